"""Unit tests of cpmkit.feedback.health.store.HealthStore, each run on SQLite and on a real
PostgreSQL server: creating a check (anonymous or named) beside retrospectives, every choice
saved as entered, votes refused on finished and archived checks, finishing without phases,
the version, and the history rows of a project's checks."""

from __future__ import annotations

from typing import Any

import pytest

from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.health.rules import HISTORY_ROW_COLUMNS, VOTE_COLUMNS, check_results, history
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.retro import rules as retro

BROWSER = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def made(health: HealthStore, project: int) -> dict[str, Any]:
    return health.create_check(project, "Health check, March", "project_team")


def join(health: HealthStore, made: dict[str, Any], name: str) -> int:
    return health.retros.join(made["id"], name, BROWSER)


def test_a_check_is_a_board_of_kind_health_with_two_links(
    health: HealthStore, project: int, made: dict[str, Any]
) -> None:
    assert set(made) == {"id", "token", "facilitator_key"}
    board = health.retros.board_for_token(made["token"])
    assert (board["kind"], board["format"], bool(board["named_votes"])) == ("health", "project_team", False)
    assert health.retros.board_for_facilitator(made["facilitator_key"])["id"] == made["id"]
    named = health.create_check(project, "Named", "project_team", named=True)
    retro_board = health.retros.create_board(project, "Retro", "sailboat")
    boards = health.retros.boards(project)
    assert boards[["kind", "named_votes"]].astype({"named_votes": bool}).values.tolist() == [
        ["health", False],
        ["health", True],
        ["retro", False],
    ]
    assert health.check(health.retros.board(named["id"])).id == "project_team"
    with pytest.raises(ValidationError, match="retrospective, not a health check"):
        health.check(health.retros.board(retro_board["id"]))


@pytest.mark.parametrize(("title", "check", "words"), [("", "project_team", "Title"), ("X", "squad", "Check")])
def test_a_bad_check_is_refused(health: HealthStore, project: int, title: str, check: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        health.create_check(project, title, check)


def test_every_choice_is_saved_on_its_own_as_entered(health: HealthStore, made: dict[str, Any]) -> None:
    ana = join(health, made, "Ana")
    assert health.save(ana, "pace", "trend", "Better") == "better"  # a trend may come before the colour
    assert health.save(ana, "pace", "colour", "amber") == "amber"
    assert health.save(ana, "pace", "note", "  <b>late</b> answers ") == "<b>late</b> answers"
    assert health.save(ana, "pace", "colour", "green") == "green"  # changed, the rest kept
    assert health.save(ana, "fun", "colour", "red") == "red"
    state = health.state(made["id"])
    assert list(state.votes.columns) == VOTE_COLUMNS
    assert state.votes.fillna("-").values.tolist() == [
        [ana, "Ana", "fun", "red", "-", "-"],
        [ana, "Ana", "pace", "green", "better", "<b>late</b> answers"],
    ]
    assert state.members["name"].tolist() == ["Ana"] and not state.named
    assert health.save(ana, "pace", "note", "") is None  # a note can be taken back
    assert health.state(made["id"]).votes["note"].isna().all()


@pytest.mark.parametrize(
    ("dimension", "field", "value", "words"),
    [("speed", "colour", "green", "not on this health check"), ("pace", "colour", "blue", "Colour")],
)
def test_a_bad_vote_is_refused_and_nothing_saved(
    health: HealthStore, made: dict[str, Any], dimension: str, field: str, value: str, words: str
) -> None:
    ana = join(health, made, "Ana")
    with pytest.raises(ValidationError, match=words):
        health.save(ana, dimension, field, value)
    assert health.state(made["id"]).votes.empty


def test_a_vote_on_a_retrospective_or_by_nobody_is_refused(health: HealthStore, project: int) -> None:
    board = health.retros.create_board(project, "Retro", "sailboat")
    member = health.retros.join(board["id"], "Ana", BROWSER)
    with pytest.raises(ValidationError, match="not a health check"):
        health.save(member, "pace", "colour", "green")
    with pytest.raises(NotFoundError, match="no longer on this board"):
        health.save(member + 100, "pace", "colour", "green")


def test_a_finished_or_archived_check_refuses_votes(health: HealthStore, made: dict[str, Any]) -> None:
    ana = join(health, made, "Ana")
    health.save(ana, "pace", "colour", "green")
    health.retros.finish(made["id"], facilitator_key=made["facilitator_key"])  # no phases to go through first
    assert retro.board_status(health.retros.board(made["id"])) == "finished"
    with pytest.raises(ValidationError, match="finished"):
        health.save(ana, "pace", "colour", "red")
    health.retros.archive(made["id"])
    with pytest.raises(ValidationError, match="archived"):
        health.save(ana, "pace", "trend", "worse")
    with pytest.raises(ValidationError, match="archived"):
        health.retros.join(made["id"], "Ben", BROWSER)
    assert health.state(made["id"]).votes["colour"].tolist() == ["green"]


def test_finishing_needs_the_facilitators_key(health: HealthStore, made: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Only the facilitator"):
        health.retros.finish(made["id"], facilitator_key="wrong")


def test_the_version_changes_with_members_votes_and_status(health: HealthStore, made: dict[str, Any]) -> None:
    seen = [health.version(made["id"])]
    ana = join(health, made, "Ana")
    seen.append(health.version(made["id"]))
    health.save(ana, "pace", "colour", "green")
    seen.append(health.version(made["id"]))
    health.save(ana, "pace", "note", "ok")
    seen.append(health.version(made["id"]))
    assert health.version(made["id"]) == seen[-1]
    join(health, made, "ana")  # the same member, renamed: pages show the new name
    seen.append(health.version(made["id"]))
    health.retros.finish(made["id"], facilitator_key=made["facilitator_key"])
    seen.append(health.version(made["id"]))
    assert len(set(seen)) == len(seen)
    with pytest.raises(NotFoundError):
        health.version(made["id"] + 100)


def test_results_and_history_of_a_projects_checks(health: HealthStore, project: int, store: Store) -> None:
    titles = ("March", "April", "Abandoned", "Still open")
    checks = [health.create_check(project, title, "project_team") for title in titles]
    for made, colours in zip(checks, (["green", "green", "red"], ["amber"] * 3, ["red"] * 3, ["green"] * 3)):
        for number, colour in enumerate(colours):
            member = join(health, made, f"Member {number}")
            health.save(member, "pace", "colour", colour)
    for made in checks[:3]:
        health.retros.finish(made["id"], facilitator_key=made["facilitator_key"])
    health.retros.archive(checks[2]["id"])
    other = store.create_project("Other project")
    elsewhere = health.create_check(other, "Elsewhere", "project_team")
    health.save(join(health, elsewhere, "Zed"), "pace", "colour", "green")

    state = health.state(checks[0]["id"])
    results = check_results(state.votes, len(state.members), health.check(state.board), named=False, finished=True)
    assert results.shown and results.dimensions[2].colours == (2, 0, 1)  # pace is the third dimension

    rows = health.history_rows(project)
    assert list(rows.columns) == HISTORY_ROW_COLUMNS
    assert sorted(set(rows["board_id"])) == [checks[0]["id"], checks[1]["id"]]  # open, archived, others' left out
    found = history(rows, health.checks.checks["project_team"].names)
    assert found[["name", "green", "amber", "red"]].values.tolist() == [["Pace", 2, 0, 1], ["Pace", 0, 3, 0]]
