"""A project with something in every section of the cockpit: a dissatisfied key customer, an
overdue gap action, a retro action not due yet, an overdue touchpoint and a pulse round."""

from __future__ import annotations

import datetime as dt

from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.stakeholders.store import StakeholderStore


def seed_troubled_project(store: Store, name: str, *, today: dt.date) -> int:
    """The project's id; its key customer "Acme <Corp>" rates satisfaction 1 of 5."""
    project = store.create_project(name)
    acme = StakeholderStore(store).add_stakeholder(
        project,
        "Acme <Corp>",
        category="customer",
        channel="meeting",
        cadence="weekly",
        owner="Dana",
        last_contact=today - dt.timedelta(days=20),
    )
    gaps = GapStore(store)
    gaps.save_satisfaction(acme, source="stakeholder", assessed_on=today - dt.timedelta(days=1), score=1)
    action = gaps.add_action(acme, "schedule", "Publish a release calendar")
    gaps.update_action(action, "owner", "Dana")
    gaps.update_action(action, "due", today - dt.timedelta(days=5))
    retros = RetroStore(store)
    board = retros.create_board(project, "Sprint 3 retrospective", "sailboat", 3)
    retros.set_phase(board["id"], "act", facilitator_key=board["facilitator_key"])
    retros.add_action(
        board["id"],
        None,
        "Review within a day",
        "Ana",
        today + dt.timedelta(days=3),
        facilitator_key=board["facilitator_key"],
    )
    pulses = PulseStore(store)
    round_id = pulses.create_round(project, "November", today - dt.timedelta(days=10))
    for recommend, satisfied in ((10, 5), (3, 2)):
        response, _ = pulses.start_response(round_id, stakeholder_id=None, submitted_at=dt.datetime(2026, 11, 30, 9))
        pulses.save_answer(response, "recommend", recommend)
        pulses.save_answer(response, "satisfaction", satisfied)
    return project
