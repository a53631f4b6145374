"""A project with sessions to draw trends from, made through the stores as the workbooks make
them: retrospectives with cards and actions, finished team health checks, pulse rounds with responses, gap assessments. A
module of its own: the widget test and the browser test of the Trends tab share it."""

from __future__ import annotations

import datetime as dt

from cpmkit.db.database import Store
from cpmkit.db.schema import retro_actions, retro_boards
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import load_gap_template
from cpmkit.stakeholders.store import StakeholderStore

#: Each retrospective's cards, in the order held; "communication" comes up in both.
CARDS = [
    ["Communication with the client is slow", "Scope keeps growing"],
    ["Poor communication on the release", "Great demo"],
]
#: When each retrospective was held, and when its first action was done (before the next).
HELD = [dt.datetime(2026, 3, 2, 10), dt.datetime(2026, 3, 16, 10)]
DONE = dt.datetime(2026, 3, 9, 12)
#: Each pulse round: its name, day, and (recommend, satisfaction, progress) per response.
ROUNDS = [
    ("May", dt.date(2026, 5, 4), [(9, 4, 4), (10, 5, 4), (6, 3, 2)]),
    ("June", dt.date(2026, 6, 1), [(9, 4, 5), (9, 5, 4), (10, 4, 4), (8, 4, 4), (7, 3, 3), (9, 5, 5)]),
]
#: Each gap assessment: its day and (dimension, expectation, perception, importance) of one stakeholder.
ASSESSMENTS = [
    (dt.date(2026, 3, 1), [("reliability", 6, 3, 60), ("schedule", 5, 5, 40)]),
    (dt.date(2026, 4, 1), [("reliability", 6, 5, 60), ("schedule", 5, 4, 40)]),
]
#: Each team health check: when it was held, and each of three members' colour for "pace".
CHECKS = [(dt.datetime(2026, 3, 9, 10), ["green", "amber", "red"]), (dt.datetime(2026, 3, 23, 10), ["green"] * 3)]
BROWSER = "0123456789abcdef0123456789abcdef"


def seed_trends(store: Store, *, name: str = "Apollo", sessions: int = 2) -> int:
    """A project with ``sessions`` retrospectives, pulse rounds and gap assessments; its id."""
    project = store.create_project(name)
    retros = RetroStore(store)
    for index, texts in enumerate(CARDS[:sessions]):
        board = retros.create_board(project, f"Sprint {index + 1}", "start_stop_continue", 3)
        member = retros.join(board["id"], "Ada", BROWSER)
        for text in texts:
            retros.add_card(board["id"], member, "stop", text)
        retros.set_phase(board["id"], "act", facilitator_key=board["facilitator_key"])
        action = retros.add_action(board["id"], None, f"Action {index + 1}", facilitator_key=board["facilitator_key"])
        if index == 0:
            retros.update_action(action, "status", "done")
        # Held weeks apart, as retrospectives are (the store dates them to the second, all now).
        agreed = HELD[index] + dt.timedelta(hours=1)
        with store.write() as conn:
            conn.execute(retro_boards.update().where(retro_boards.c.id == board["id"]).values(created_at=HELD[index]))
            done = {"closed_at": DONE} if index == 0 else {}
            conn.execute(retro_actions.update().where(retro_actions.c.id == action).values(created_at=agreed, **done))
    health = HealthStore(store)
    for held, colours in CHECKS[:sessions]:
        check = health.create_check(project, "Health check", "project_team")
        for number, colour in enumerate(colours):
            member = retros.join(check["id"], f"Member {number}", f"{BROWSER[:-1]}{number}")
            health.save(member, "pace", "colour", colour)
        retros.finish(check["id"], facilitator_key=check["facilitator_key"])
        with store.write() as conn:
            conn.execute(retro_boards.update().where(retro_boards.c.id == check["id"]).values(created_at=held))
    pulses = PulseStore(store)
    for round_name, day, answers in ROUNDS[:sessions]:
        round_id = pulses.create_round(project, round_name, day)
        for recommend, satisfaction, progress in answers:
            response, _ = pulses.start_response(
                round_id, stakeholder_id=None, submitted_at=dt.datetime.combine(day, dt.time(10))
            )
            for question, value in (("recommend", recommend), ("satisfaction", satisfaction), ("progress", progress)):
                pulses.save_answer(response, question, value)
    template = load_gap_template()
    gaps = GapStore(store, scale=template.scale, importance=template.importance, satisfaction=template.satisfaction)
    ada = StakeholderStore(store).add_stakeholder(project, "Ada")
    gaps.choose_dimensions(project, ["reliability", "schedule"])
    for day, figures in ASSESSMENTS[:sessions]:
        for dimension, expectation, perception, importance in figures:
            for field, value in (("expectation", expectation), ("perception", perception), ("importance", importance)):
                gaps.save_rating(ada, dimension, source="estimate", assessed_on=day, field=field, value=value)
    return project
