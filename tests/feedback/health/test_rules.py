"""Unit tests of cpmkit.feedback.health.rules: what a vote may hold, voters, the spread and its
words, the rules that an open check shows nothing and fewer than three voters (of a check or a
dimension) show nothing, names only on a named check, a member's own votes, and the history of
checks for the heat map."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback.health.rules import (
    HISTORY_COLUMNS,
    HISTORY_ROW_COLUMNS,
    MIN_VOTERS,
    VOTE_COLUMNS,
    Note,
    check_results,
    clean_vote_field,
    history,
    member_votes,
    spread,
    spread_label,
    voters,
)
from cpmkit.feedback.health.template import HealthCheck, HealthDimension

CHECK = HealthCheck(
    "mini",
    "Mini",
    "Two cards.",
    (HealthDimension("pace", "Pace", "Fast.", "Slow."), HealthDimension("fun", "Fun", "Fun.", "A chore.")),
)
SCRIPT = "<script>alert(1)</script>"


def votes(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Votes as ``(member_id, name, dimension, colour, trend, note)``."""
    return pd.DataFrame(list(rows), columns=VOTE_COLUMNS)


def three_voters() -> pd.DataFrame:
    return votes(
        (1, "Ana", "pace", "green", "better", None),
        (1, "Ana", "fun", "red", "worse", "Too much overtime"),
        (2, "Ben", "pace", "green", "same", None),
        (2, "Ben", "fun", "amber", None, SCRIPT),
        (3, "Cy", "pace", "green", "better", "  "),
        (3, "Cy", "fun", "amber", "worse", None),
    )


# -- a vote ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "saved"),
    [
        ("colour", " Green ", "green"),
        ("colour", "", None),
        ("trend", "WORSE", "worse"),
        ("note", "  Late answers  ", "Late answers"),
        ("note", "   ", None),
    ],
)
def test_a_vote_field_is_saved_cleaned(field: str, value: Any, saved: str | None) -> None:
    assert clean_vote_field(field, value) == saved


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("colour", "blue", "Colour"), ("trend", "up", "Trend"), ("note", "x" * 501, "Note"), ("mood", "ok", "Field")],
)
def test_a_bad_vote_field_is_refused_by_name(field: str, value: Any, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        clean_vote_field(field, value)


# -- spread ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "value", "label"),
    [
        ({"green": 4}, 0.0, "agreed"),
        ({"red": 3}, 0.0, "agreed"),
        ({}, 0.0, "agreed"),
        ({"green": 2, "amber": 2}, 0.25, "mostly agreed"),
        ({"green": 3, "amber": 1}, 0.2165, "mostly agreed"),
        ({"green": 2, "red": 2}, 0.5, "split"),
        ({"green": 1, "amber": 1, "red": 1}, 0.4082, "split"),
        ({"green": 9, "red": 1}, 0.3, "split"),
    ],
)
def test_spread_and_its_words(counts: dict[str, int], value: float, label: str) -> None:
    assert spread(counts) == pytest.approx(value, abs=1e-4)
    assert spread_label(spread(counts)) == label


# -- results ---------------------------------------------------------------------------------


def test_a_voter_gave_at_least_one_colour() -> None:
    only_trend = votes((4, "Di", "pace", None, "better", "note"))
    assert voters(pd.concat([three_voters(), only_trend])) == 3


@pytest.mark.parametrize("named", [False, True])
def test_fewer_than_three_voters_show_nothing_not_even_one_dimension(named: bool) -> None:
    two = three_voters()
    two = two[two["member_id"] != 3]
    results = check_results(two, 5, CHECK, named=named, finished=True)
    assert (results.voters, results.members, results.shown, results.dimensions) == (2, 5, False, ())
    assert MIN_VOTERS == 3


@pytest.mark.parametrize("named", [False, True])
def test_an_open_check_shows_only_how_many_voted_and_who_if_named(named: bool) -> None:
    results = check_results(three_voters(), 4, CHECK, named=named, finished=False)
    assert (results.voters, results.members, results.shown, results.dimensions) == (3, 4, False, ())
    assert results.voted == (("Ana", "Ben", "Cy") if named else ())


def test_three_voters_show_each_dimension_in_the_checks_order() -> None:
    results = check_results(three_voters(), 4, CHECK, named=False, finished=True)
    assert results.shown and results.voters == 3 and results.members == 4 and results.voted == ()
    pace, fun = results.dimensions
    assert (pace.id, pace.name, pace.colours, pace.votes, pace.spread_label) == ("pace", "Pace", (3, 0, 0), 3, "agreed")
    assert pace.trends == (2, 1, 0)
    assert pace.notes == ()  # a blank note is no note
    assert (fun.colours, fun.votes, fun.trends, fun.spread_label) == ((0, 2, 1), 3, (0, 0, 2), "mostly agreed")


@pytest.mark.parametrize("named", [False, True])
def test_a_dimension_with_fewer_than_three_votes_shows_nothing_of_them(named: bool) -> None:
    few = three_voters()
    few = few[~((few["member_id"] == 3) & (few["dimension"] == "fun"))]  # fun: Ana red, Ben amber
    pace, fun = check_results(few, 3, CHECK, named=named, finished=True).dimensions
    assert pace.shown and pace.votes == 3
    assert not fun.shown and fun.spread_label == "fewer than 3 votes"
    assert (fun.colours, fun.trends, fun.notes, fun.names, fun.votes) == ((), (), (), (), 0)


def test_anonymous_results_give_no_names_and_notes_in_alphabetical_order() -> None:
    fun = check_results(three_voters(), 3, CHECK, named=False, finished=True).dimensions[1]
    assert fun.notes == (Note(SCRIPT), Note("Too much overtime"))
    assert fun.names == ()


def test_named_results_give_who_wrote_and_who_chose_each_colour() -> None:
    fun = check_results(three_voters(), 3, CHECK, named=True, finished=True).dimensions[1]
    assert fun.notes == (Note("Too much overtime", "Ana"), Note(SCRIPT, "Ben"))
    assert fun.names == ((), ("Ben", "Cy"), ("Ana",))


def test_a_members_own_votes_by_dimension() -> None:
    assert member_votes(three_voters(), 3) == {
        "pace": {"colour": "green", "trend": "better", "note": "  "},
        "fun": {"colour": "amber", "trend": "worse", "note": None},
    }
    assert member_votes(three_voters(), 9) == {}


# -- history ---------------------------------------------------------------------------------


def rows(board_id: int, title: str, day: dt.date, picks: dict[int, dict[str, str | None]]) -> list[tuple[Any, ...]]:
    when = dt.datetime.combine(day, dt.time(10))
    return [
        (board_id, title, when, member, dim, colour) for member, dims in picks.items() for dim, colour in dims.items()
    ]


def test_history_has_a_row_per_check_and_dimension_in_date_order() -> None:
    first = rows(
        1,
        "March",
        dt.date(2026, 3, 2),
        {
            1: {"pace": "green", "fun": "red"},
            2: {"pace": "amber", "fun": "red"},
            3: {"pace": "green", "fun": "red"},
            4: {"pace": None, "fun": "amber"},
        },
    )
    second = rows(2, "April", dt.date(2026, 4, 6), {m: {"fun": "green", "pace": "red"} for m in (4, 5, 6, 7)})
    found = history(pd.DataFrame(second + first, columns=HISTORY_ROW_COLUMNS), {"pace": "Pace", "fun": "Fun"})
    assert list(found.columns) == HISTORY_COLUMNS
    assert found[["board_id", "check", "name", "votes", "green", "amber", "red"]].values.tolist() == [
        [1, "2026-03-02 · March", "Pace", 3, 2, 1, 0],
        [1, "2026-03-02 · March", "Fun", 4, 0, 1, 3],
        [2, "2026-04-06 · April", "Pace", 4, 0, 0, 4],
        [2, "2026-04-06 · April", "Fun", 4, 4, 0, 0],
    ]
    assert found["score"].round(3).tolist() == [0.833, 0.125, 0.0, 1.0]
    assert found["date"].tolist() == [dt.date(2026, 3, 2)] * 2 + [dt.date(2026, 4, 6)] * 2


def test_history_leaves_out_a_check_with_fewer_than_three_voters() -> None:
    few = rows(1, "Tiny", dt.date(2026, 3, 2), {1: {"pace": "green"}, 2: {"pace": "red"}, 3: {"pace": None}})
    found = history(pd.DataFrame(few, columns=HISTORY_ROW_COLUMNS))
    assert found.empty and list(found.columns) == HISTORY_COLUMNS


def test_history_leaves_out_a_dimension_with_fewer_than_three_votes() -> None:
    picks = {1: {"pace": "green", "fun": "red"}, 2: {"pace": "green", "fun": None}, 3: {"pace": "amber", "fun": "red"}}
    found = history(pd.DataFrame(rows(1, "May", dt.date(2026, 5, 4), picks), columns=HISTORY_ROW_COLUMNS))
    assert found[["dimension", "votes"]].values.tolist() == [["pace", 3]]


def test_two_checks_of_the_same_day_and_title_keep_their_own_columns() -> None:
    picks = {m: {"pace": "green"} for m in (1, 2, 3)}
    day = dt.date(2026, 5, 4)
    same = rows(7, "Sprint", day, picks) + rows(9, "Sprint", day, {m: {"pace": "red"} for m in (4, 5, 6)})
    found = history(pd.DataFrame(same, columns=HISTORY_ROW_COLUMNS))
    assert found[["board_id", "check", "score"]].values.tolist() == [
        [7, "2026-05-04 · Sprint", 1.0],
        [9, "2026-05-04 · Sprint #2", 0.0],
    ]


def test_history_names_dimensions_by_id_without_names() -> None:
    picks = {m: {"teamwork": "amber"} for m in (1, 2, 3)}
    found = history(pd.DataFrame(rows(1, "May", dt.date(2026, 5, 4), picks), columns=HISTORY_ROW_COLUMNS))
    assert found[["name", "votes", "score"]].values.tolist() == [["teamwork", 3, 0.5]]


def test_history_needs_its_columns() -> None:
    with pytest.raises(ValidationError):
        history(pd.DataFrame({"board_id": [1]}))
