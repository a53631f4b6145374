"""The cockpit's read, on SQLite and PostgreSQL: every section from one project, a failing
section said in a sentence, and the portfolio of an owner's projects."""

from __future__ import annotations

import datetime as dt

import pytest

from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.projects.store import read_overview, read_portfolio
from tests.projects.seeding import seed_troubled_project

TODAY = dt.date(2026, 12, 8)


def test_the_overview_reads_every_section(store: Store) -> None:
    project = seed_troubled_project(store, "Apollo", today=TODAY)
    found = read_overview(store, project, today=TODAY)
    assert found.problems == {}
    assert found.status is not None and found.status.all_red
    assert any("Acme <Corp>" in reason for reason in found.status.reasons)
    assert found.actions is not None
    assert found.actions[["what", "owner", "overdue", "days_overdue", "page"]].values.tolist() == [
        ["Publish a release calendar", "Dana", True, 5, "expectation_gap"],
        ["Review within a day", "Ana", False, 0, "lessons_learned"],
    ]
    assert found.touchpoints is not None
    assert found.touchpoints[["name", "days_overdue"]].values.tolist() == [["Acme <Corp>", 13]]
    assert found.pulse is not None
    assert found.pulse[["measure", "value", "n"]].values.tolist() == [["nps", 0.0, 2], ["csat", 50.0, 2]]
    sentence, late = found.pulse_round
    assert sentence == (
        "The next pulse round is due on 2026-12-12 (every 14 days); "
        "the last, November, opened on 2026-11-28 and has 2 answers."
    )
    assert not late


def test_an_empty_project_reads_without_problems(store: Store) -> None:
    project = store.create_project("Apollo")
    found = read_overview(store, project, today=TODAY)
    assert found.problems == {}
    assert found.status is not None and not found.status.all_red
    assert found.actions is not None and found.actions.empty
    assert found.pulse is not None and found.pulse.empty
    assert found.pulse_round[0].startswith("No pulse round yet")


def test_a_failing_section_says_so_and_the_rest_is_read(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    project = seed_troubled_project(store, "Apollo", today=TODAY)

    def broken(self: RetroStore, project_id: int) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(RetroStore, "actions", broken)
    found = read_overview(store, project, today=TODAY)
    assert found.actions is None
    assert found.problems == {"actions": "The open actions could not be read; the rest of the page is shown."}
    assert found.status is not None and found.status.all_red
    assert found.touchpoints is not None and len(found.touchpoints) == 1


def test_the_portfolio_lists_the_owners_projects_with_their_lights(store: Store) -> None:
    seed_troubled_project(store, "Borealis", today=TODAY)
    calm = store.create_project("Apollo")
    table = read_portfolio(store)
    assert table["name"].tolist() == ["Apollo", "Borealis"]
    assert table["id"].tolist()[0] == calm
    assert table["all_red"].tolist() == [False, True]
    assert set(table["lights"].tolist()[1].values()) == {"red"}


def test_the_portfolio_shows_only_the_owners_own_projects(store: Store) -> None:
    accounts = AccountStore(store)
    alice, bob = accounts.add_user("alice", "correct horse 1"), accounts.add_user("bob", "correct horse 2")
    store.create_project("Mine", owner=alice)
    store.create_project("Theirs", owner=bob)
    assert read_portfolio(store, alice)["name"].tolist() == ["Mine"]
