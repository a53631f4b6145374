"""Unit tests of cpmkit.gap.rules on hand-computed cases: which figures count, gap,
weighting, ranking (ties included), the views built on them, and empty or partial input.

Gap = perception - expectation; weighted gap = gap x importance / the stakeholder's total
importance. The arithmetic of each case is written beside it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.gap.rules import (
    ACTION_STATUSES,
    DONE,
    GAP_COLUMNS,
    MISREADING_COLUMNS,
    NOTE_FIELDS,
    RATING_COLUMNS,
    current_ratings,
    dimension_summary,
    figures_as_of,
    for_gap,
    gap_note,
    gap_table,
    gap_trend,
    is_open,
    latest_trusted,
    misreadings,
    points_given,
    satisfaction_as_of,
    top_weighted,
    unanswered,
    weight_problems,
    whole,
    with_notes,
)

SOURCES = ("survey", "stakeholder", "estimate")
DIMENSIONS = ("reliability", "schedule", "scope", "budget")
JAN, FEB, MAR, APR = (dt.date(2024, month, 1) for month in (1, 2, 3, 4))
ANN, BOB, CY = (1, "Ann"), (2, "bob"), (3, "Cy")


def ratings(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Rows of ((id, name), dimension, source, date, expectation, perception, importance)."""
    return pd.DataFrame([(*who, *rest) for who, *rest in rows], columns=RATING_COLUMNS)


def est(
    who: tuple[int, str], dimension: str, expectation: Any, perception: Any, importance: Any, on: dt.date = JAN
) -> tuple[Any, ...]:
    """An estimate row (the PM's figures) dated ``on``."""
    return (who, dimension, "estimate", on, expectation, perception, importance)


def gaps(*rows: tuple[Any, ...], dimensions: tuple[str, ...] = DIMENSIONS) -> pd.DataFrame:
    return gap_table(current_ratings(ratings(*rows), sources=SOURCES), dimensions=dimensions)


def listed(table: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    return list(table[list(columns)].itertuples(index=False, name=None))


# -- latest_trusted and current_ratings --------------------------------------------------------


def test_the_most_trusted_source_counts_even_if_older() -> None:
    current = current_ratings(
        ratings(
            est(ANN, "reliability", 6, 3, 60, on=MAR),
            (ANN, "reliability", "survey", JAN, 6, 5, 50),  # survey beats a later estimate
            (ANN, "reliability", "stakeholder", FEB, 7, 1, 40),
        ),
        sources=SOURCES,
    )
    assert listed(current, "source", "assessed_on", "expectation", "perception", "importance") == [
        ("survey", JAN, 6, 5, 50.0)
    ]


def test_of_the_trusted_source_the_latest_date_counts() -> None:
    current = current_ratings(
        ratings(
            est(ANN, "reliability", 6, 3, 60, on=JAN),
            est(ANN, "reliability", 6, 4, 60, on=MAR),
            est(ANN, "reliability", 6, 2, 60, on=FEB),
        ),
        sources=SOURCES,
    )
    assert listed(current, "assessed_on", "perception") == [(MAR, 4)]


def test_a_source_without_both_figures_gives_way_to_the_next() -> None:
    current = current_ratings(
        ratings(
            (ANN, "reliability", "survey", MAR, 6, None, 50),  # no perception: cannot give a gap
            (ANN, "reliability", "stakeholder", FEB, 5, 4, 50),
            (ANN, "schedule", "other", MAR, 5, 1, 50),  # a source not listed: ignored
        ),
        sources=SOURCES,
    )
    assert listed(current, "dimension", "source", "perception") == [("reliability", "stakeholder", 4)]


def test_current_ratings_order_and_types() -> None:
    current = current_ratings(
        ratings(
            est(BOB, "schedule", 5, 4, None), est(ANN, "schedule", 5, 5, 40), est(ANN, "reliability", 6.0, 3.0, 60)
        ),
        sources=SOURCES,
    )
    # By name, case-insensitively ("Ann" before "bob"), then by dimension id.
    assert listed(current, "stakeholder", "dimension") == [
        ("Ann", "reliability"),
        ("Ann", "schedule"),
        ("bob", "schedule"),
    ]
    assert list(current.columns) == RATING_COLUMNS
    assert current["expectation"].tolist() == [6, 5, 5] and current["expectation"].dtype == int
    assert current["perception"].dtype == int
    assert current["importance"].tolist()[:2] == [60.0, 40.0] and math.isnan(current["importance"].iloc[2])


def test_latest_trusted_keeps_the_first_of_exact_duplicates() -> None:
    frame = pd.DataFrame(
        {"stakeholder_id": [1, 1], "source": ["survey", "survey"], "assessed_on": [JAN, JAN], "score": [3, 4]}
    )
    assert latest_trusted(frame, keys=["stakeholder_id"], sources=SOURCES, needed=["score"])["score"].tolist() == [3]


def test_current_ratings_of_nothing_and_of_missing_columns() -> None:
    empty = current_ratings(ratings(), sources=SOURCES)
    assert empty.empty and list(empty.columns) == RATING_COLUMNS
    with pytest.raises(ValidationError, match=r"^The gap analysis needs the column\(s\) importance\.$"):
        current_ratings(ratings().drop(columns="importance"), sources=SOURCES)


# -- gap_table: gap, weight, ranking -----------------------------------------------------------


def test_weights_summing_to_100() -> None:
    table = gaps(
        est(ANN, "reliability", 6, 3, 60),  # gap -3, weight 60/100 = 0.6, weighted -3 x 0.6 = -1.8
        est(ANN, "schedule", 5, 4, 40),  # gap -1, weight 0.4, weighted -0.4
        est(BOB, "reliability", 7, 4, 50),  # gap -3, weight 0.5, weighted -1.5
        est(BOB, "scope", 4, 6, 50),  # gap +2, weight 0.5, weighted +1.0
    )
    assert list(table.columns) == GAP_COLUMNS
    assert listed(table, "rank", "stakeholder", "dimension", "gap") == [
        (1, "Ann", "reliability", -3), (2, "bob", "reliability", -3), (3, "Ann", "schedule", -1), (4, "bob", "scope", 2),
    ]  # fmt: skip
    assert table["weight"].tolist() == pytest.approx([0.6, 0.5, 0.4, 0.5])
    assert table["weighted_gap"].tolist() == pytest.approx([-1.8, -1.5, -0.4, 1.0])


def test_weights_not_summing_to_100_count_as_their_share() -> None:
    table = gaps(
        est(CY, "reliability", 6, 4, 30),  # total 30 + 50 = 80: weight 30/80 = 0.375, weighted -2 x 0.375 = -0.75
        est(CY, "schedule", 6, 2, 50),  # weight 50/80 = 0.625, weighted -4 x 0.625 = -2.5
    )
    assert listed(table, "dimension", "weight", "weighted_gap") == [
        ("schedule", 0.625, -2.5),
        ("reliability", 0.375, -0.75),
    ]


def test_importance_rated_1_to_5_counts_as_its_share() -> None:
    table = gaps(
        est(ANN, "reliability", 6, 4, 5),  # total 5 + 3 + 2 = 10: -2 x 5/10 = -1.0
        est(ANN, "schedule", 6, 3, 3),  # -3 x 3/10 = -0.9
        est(ANN, "scope", 4, 3, 2),  # -1 x 2/10 = -0.2
    )
    assert listed(table, "rank", "dimension", "gap") == [(1, "reliability", -2), (2, "schedule", -3), (3, "scope", -1)]
    assert table["weight"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert table["weighted_gap"].tolist() == pytest.approx([-1.0, -0.9, -0.2])


def test_a_tie_in_weighted_gap_puts_the_worse_gap_first() -> None:
    table = gaps(
        est(ANN, "scope", 6, 4, 30),  # -2 x 30/100 = -0.6
        est(ANN, "reliability", 6, 3, 20),  # -3 x 20/100 = -0.6: same weighted gap, worse gap -> first
        est(ANN, "schedule", 6, 6, 50),  # 0
    )
    assert listed(table, "rank", "dimension", "weighted_gap") == [
        (1, "reliability", -0.6),
        (2, "scope", -0.6),
        (3, "schedule", 0.0),
    ]


def test_a_tie_in_weighted_gap_and_gap_goes_by_name_then_dimension_order() -> None:
    rows = (
        est(BOB, "schedule", 6, 4, 50),  # -2 x 0.5 = -1.0 for everyone
        est(BOB, "scope", 6, 4, 50),
        est(ANN, "scope", 6, 4, 50),
        est(ANN, "schedule", 6, 4, 50),
    )
    assert listed(gaps(*rows, dimensions=("schedule", "scope")), "stakeholder", "dimension") == [
        ("Ann", "schedule"), ("Ann", "scope"), ("bob", "schedule"), ("bob", "scope"),
    ]  # fmt: skip
    assert listed(gaps(*rows, dimensions=("scope", "schedule")), "stakeholder", "dimension") == [
        ("Ann", "scope"), ("Ann", "schedule"), ("bob", "scope"), ("bob", "schedule"),
    ]  # fmt: skip
    assert gaps(*rows)["rank"].tolist() == [1, 2, 3, 4]


def test_a_missing_importance_ranks_after_every_weighted_gap() -> None:
    table = gaps(
        est(ANN, "reliability", 7, 1, None),  # gap -6 but no importance: no weight, listed last
        est(ANN, "schedule", 6, 5, 100),  # total 100 (the missing one does not count): -1 x 1.0 = -1.0
        est(BOB, "scope", 4, 6, 100),  # +2
        est(BOB, "budget", 5, 5, None),  # no weight: last, after Ann's (gap -6 before gap 0)
    )
    assert listed(table, "rank", "stakeholder", "dimension", "gap") == [
        (1, "Ann", "schedule", -1), (2, "bob", "scope", 2), (3, "Ann", "reliability", -6), (4, "bob", "budget", 0),
    ]  # fmt: skip
    assert table["weighted_gap"].tolist()[:2] == [-1.0, 2.0]
    assert table[["weight", "weighted_gap"]].iloc[2:].isna().all().all()


def test_zero_importance_weighs_nothing_and_all_zero_gives_no_weight() -> None:
    table = gaps(
        est(ANN, "reliability", 6, 3, 0),  # -3 x 0/100 = 0.0 (not -0.0)
        est(ANN, "schedule", 6, 6, 100),  # 0
        est(BOB, "scope", 6, 3, 0),  # bob's total is 0: nothing to share out, no weight
    )
    ann = table[table["stakeholder"] == "Ann"]
    assert ann["weighted_gap"].tolist() == [0.0, 0.0]
    assert all(math.copysign(1.0, value) == 1.0 for value in ann["weighted_gap"])
    assert listed(table, "dimension")[-1] == ("scope",)
    assert math.isnan(table["weight"].iloc[-1]) and math.isnan(table["weighted_gap"].iloc[-1])


def test_missing_dimensions_are_left_out_and_weights_share_what_is_left() -> None:
    table = gaps(
        est(ANN, "reliability", 6, 3, 60),  # only reliability is chosen: weight 60/60 = 1.0, weighted -3
        est(ANN, "budget", 6, 1, 40),  # a dimension no longer chosen: left out
        dimensions=("reliability", "quality"),  # quality has no rating: no row
    )
    assert listed(table, "rank", "dimension", "weight", "weighted_gap") == [(1, "reliability", 1.0, -3.0)]


def test_gap_table_of_nothing() -> None:
    table = gaps()
    assert table.empty and list(table.columns) == GAP_COLUMNS


# -- weight_problems ---------------------------------------------------------------------------


def _current(*rows: tuple[Any, ...]) -> pd.DataFrame:
    return current_ratings(ratings(*rows), sources=SOURCES)


def test_weight_problems_in_weights_mode() -> None:
    current = _current(
        est(ANN, "reliability", 6, 3, 60), est(ANN, "schedule", 6, 3, 40),  # 100: fine
        est(CY, "reliability", 6, 3, 30), est(CY, "schedule", 6, 3, 50),  # 80
        est(BOB, "reliability", 6, 3, 100), est(BOB, "schedule", 6, 3, None), est(BOB, "scope", 6, 3, None),
        est((4, "Dee"), "scope", 6, 3, None),  # nothing given: only the missing one is said
    )  # fmt: skip
    assert weight_problems(current, mode="weights") == [
        "Importance is missing for bob on schedule, scope.",
        "Weights for Cy add up to 80, not 100.",
        "Importance is missing for Dee on scope.",
    ]


def test_weight_problems_in_rating_mode_only_flags_missing() -> None:
    current = _current(est(ANN, "reliability", 6, 3, 5), est(ANN, "schedule", 6, 3, None), est(BOB, "scope", 6, 3, 2))
    assert weight_problems(current, mode="rating") == ["Importance is missing for Ann on schedule."]


def test_weight_problems_of_nothing_and_of_an_unknown_mode() -> None:
    assert weight_problems(_current(), mode="weights") == []
    with pytest.raises(ValidationError) as info:
        weight_problems(_current(), mode="points")
    assert str(info.value) == "Importance: 'points' is not one of: weights, rating."


# -- dimension_summary -------------------------------------------------------------------------


def test_dimension_summary_in_template_order() -> None:
    current = _current(
        est(ANN, "reliability", 6, 3, 50),  # reliability: expectation (6 + 7) / 2 = 6.5, perception (3 + 4) / 2 = 3.5
        est(BOB, "reliability", 7, 4, 50),  # gaps -3, -3: mean -3, n 2
        est(ANN, "schedule", 5, 4, 50),  # schedule: 5, 4, gap -1, n 1
        est(ANN, "quality", 5, 1, 50),  # not among the dimensions: left out
    )
    summary = dimension_summary(current, dimensions=["schedule", "budget", "reliability"])  # budget: no ratings
    assert list(summary.columns) == ["dimension", "expectation", "perception", "gap", "n"]
    assert listed(summary, "dimension", "expectation", "perception", "gap", "n") == [
        ("schedule", 5.0, 4.0, -1.0, 1), ("reliability", 6.5, 3.5, -3.0, 2),
    ]  # fmt: skip


def test_dimension_summary_of_nothing() -> None:
    summary = dimension_summary(_current(), dimensions=DIMENSIONS)
    assert summary.empty and list(summary.columns) == ["dimension", "expectation", "perception", "gap", "n"]


# -- gap_trend ---------------------------------------------------------------------------------


def test_gap_trend_counts_what_was_known_on_each_date() -> None:
    trend = gap_trend(
        ratings(
            est(ANN, "reliability", 6, 3, 50, on=JAN),  # Jan: Ann -3 -> mean -3, n 1
            est(BOB, "reliability", 7, 6, 50, on=FEB),  # Feb: Ann -3 (still), bob -1 -> (-3 - 1) / 2 = -2, n 2
            (ANN, "reliability", "survey", MAR, 6, 5, 50),  # Mar: Ann's survey -1, bob -1 -> -1, n 2
            est(ANN, "reliability", 6, 1, 50, on=APR),  # Apr: an estimate, but Ann's survey still counts -> -1
            est(ANN, "schedule", 5, 4, 50, on=JAN),  # schedule only assessed in Jan: -1, n 1
            (CY, "schedule", "other", FEB, 5, 1, 50),  # a source not listed: no point
        ),
        sources=SOURCES,
    )
    assert list(trend.columns) == ["dimension", "assessed_on", "gap", "n"]
    assert listed(trend, "dimension", "assessed_on", "gap", "n") == [
        ("reliability", JAN, -3.0, 1), ("reliability", FEB, -2.0, 2), ("reliability", MAR, -1.0, 2),
        ("reliability", APR, -1.0, 2), ("schedule", JAN, -1.0, 1),
    ]  # fmt: skip


def test_gap_trend_of_nothing() -> None:
    trend = gap_trend(ratings(), sources=SOURCES)
    assert trend.empty and list(trend.columns) == ["dimension", "assessed_on", "gap", "n"]


# -- misreadings -------------------------------------------------------------------------------


def test_misreadings_compare_the_stakeholders_figures_with_the_estimate() -> None:
    table = misreadings(
        ratings(
            (ANN, "reliability", "survey", FEB, 6, 5, 50),  # theirs: expect 6, perceive 5
            (ANN, "reliability", "stakeholder", MAR, 7, 7, 40),  # a survey is trusted more
            est(ANN, "reliability", 6, 3, 60),  # ours: perception misread 3 - 5 = -2, expectation 6 - 6 = 0
            (ANN, "schedule", "stakeholder", FEB, 4, 4, 50),
            est(ANN, "schedule", 5, 4, 40),  # perception 0, expectation 5 - 4 = +1
            est(BOB, "reliability", 6, 3, 100),  # no figures of bob's own: not compared
            (CY, "scope", "survey", FEB, 6, 2, 100),  # no estimate for Cy: not compared
        ),
        sources=SOURCES,
        own=["survey", "stakeholder"],
        estimate="estimate",
    )
    assert list(table.columns) == MISREADING_COLUMNS
    assert table.drop(columns=["stakeholder_id"]).to_dict("records") == [
        {"stakeholder": "Ann", "dimension": "reliability", "own_expectation": 6, "own_perception": 5, "own_importance": 50.0,
         "est_expectation": 6, "est_perception": 3, "est_importance": 60.0, "perception_misread": -2, "expectation_misread": 0},
        {"stakeholder": "Ann", "dimension": "schedule", "own_expectation": 4, "own_perception": 4, "own_importance": 50.0,
         "est_expectation": 5, "est_perception": 4, "est_importance": 40.0, "perception_misread": 0, "expectation_misread": 1},
    ]  # fmt: skip


def test_misreadings_largest_first_then_by_name() -> None:
    table = misreadings(
        ratings(
            (BOB, "scope", "survey", FEB, 6, 6, 50), est(BOB, "scope", 6, 3, 50),  # |3 - 6| = 3
            (ANN, "scope", "survey", FEB, 6, 2, 50), est(ANN, "scope", 3, 3, 50),  # |3 - 6| = 3 on expectation: tie
            (CY, "scope", "survey", FEB, 6, 2, 50), est(CY, "scope", 6, 3, 50),  # 1
        ),
        sources=SOURCES, own=["survey"], estimate="estimate",
    )  # fmt: skip
    assert listed(table, "stakeholder", "perception_misread", "expectation_misread") == [
        ("Ann", 1, -3),
        ("bob", -3, 0),
        ("Cy", 1, 0),
    ]
    empty = misreadings(ratings(), sources=SOURCES, own=["survey"], estimate="estimate")
    assert empty.empty and list(empty.columns) == MISREADING_COLUMNS


# -- top_weighted ------------------------------------------------------------------------------


def test_top_weighted_takes_the_highest_importance_and_on_a_tie_the_worst_gap() -> None:
    table = gaps(
        est(ANN, "reliability", 6, 5, 40),  # 40, gap -1
        est(ANN, "schedule", 6, 3, 40),  # 40 too, gap -3: the worse of the two tied -> top
        est(ANN, "scope", 6, 1, 20),  # worst gap, but less important
        est(BOB, "scope", 6, 6, None),  # no importance at all: no top dimension
        est(CY, "budget", 5, 4, 100),
    )
    top = top_weighted(table)
    assert list(top.columns) == ["stakeholder_id", "stakeholder", "dimension", "importance", "gap"]
    assert listed(top, "stakeholder", "dimension", "importance", "gap") == [
        ("Ann", "schedule", 40.0, -3),
        ("Cy", "budget", 100.0, -1),
    ]


def test_top_weighted_full_tie_keeps_the_gap_list_order() -> None:
    rows = (est(ANN, "scope", 6, 4, 50), est(ANN, "schedule", 6, 4, 50))  # same importance, same gap
    assert listed(top_weighted(gaps(*rows, dimensions=("schedule", "scope"))), "dimension") == [("schedule",)]
    assert listed(top_weighted(gaps(*rows, dimensions=("scope", "schedule"))), "dimension") == [("scope",)]
    assert top_weighted(gaps()).empty


# -- figures_as_of and satisfaction_as_of ------------------------------------------------------


def test_figures_as_of_a_date() -> None:
    frame = ratings(
        est(ANN, "reliability", 6, 3, 60, on=JAN),
        est(ANN, "reliability", 6, 4, None, on=MAR),
        est(ANN, "schedule", 5, None, 40, on=FEB),
        (ANN, "reliability", "survey", FEB, 7, 7, 10),  # another source: not shown
        est(BOB, "reliability", 1, 1, 1, on=JAN),  # another stakeholder
    )
    assert figures_as_of(frame, stakeholder_id=1, source="estimate", on=FEB) == {
        "reliability": {"expectation": 6, "perception": 3, "importance": 60},
        "schedule": {"expectation": 5, "perception": None, "importance": 40},
    }
    assert figures_as_of(frame, stakeholder_id=1, source="estimate", on=APR)["reliability"] == {
        "expectation": 6, "perception": 4, "importance": None,
    }  # fmt: skip
    assert figures_as_of(frame, stakeholder_id=1, source="estimate", on=dt.date(2023, 12, 31)) == {}
    assert figures_as_of(frame, stakeholder_id=None, source="estimate", on=APR) == {}


def test_satisfaction_as_of_a_date() -> None:
    scores = pd.DataFrame(
        {
            "stakeholder_id": [1, 1, 1, 2],
            "stakeholder": ["Ann", "Ann", "Ann", "bob"],
            "source": ["estimate", "estimate", "survey", "estimate"],
            "assessed_on": [JAN, MAR, FEB, FEB],
            "score": [3, 2, 5, 1],
        }
    )
    assert satisfaction_as_of(scores, stakeholder_id=1, source="estimate", on=FEB) == 3
    assert satisfaction_as_of(scores, stakeholder_id=1, source="estimate", on=APR) == 2
    assert satisfaction_as_of(scores, stakeholder_id=1, source="stakeholder", on=APR) is None
    assert satisfaction_as_of(scores, stakeholder_id=None, source="estimate", on=APR) is None


def test_points_given_counts_blank_importance_as_zero() -> None:
    figures = {
        "reliability": {"importance": 60},
        "schedule": {"importance": None},
        "scope": {},
        "budget": {"importance": 15.0},
    }
    assert points_given(figures) == 75
    assert points_given({}) == 0
    assert [whole(v) for v in (3, 4.0, None, math.nan, pd.NA)] == [3, 4, None, None, None]


def test_unanswered_lists_each_dimensions_missing_figures_in_the_order_asked() -> None:
    figures = {
        "reliability": {"expectation": 6, "perception": 5, "importance": 3},
        "schedule": {"expectation": 7, "perception": math.nan, "importance": None},
        "budget": {"expectation": 4.0, "perception": 2, "importance": pd.NA},
    }
    assert unanswered(figures, ["scope", "schedule", "reliability", "budget"]) == {
        "scope": ["expectation", "perception", "importance"],
        "schedule": ["perception", "importance"],
        "budget": ["importance"],
    }
    assert list(unanswered(figures, ["budget", "scope"])) == ["budget", "scope"]
    assert unanswered(figures, ["reliability"]) == {} and unanswered({}, []) == {}


# -- notes and actions on the gaps --------------------------------------------------------------

NOTE_KEYS = ["stakeholder_id", "dimension"]


def notes(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Rows of (stakeholder id, dimension, stated problem, underlying expectation)."""
    return pd.DataFrame(rows, columns=[*NOTE_KEYS, *NOTE_FIELDS])


def actions(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Rows of (stakeholder id, dimension, status)."""
    return pd.DataFrame(rows, columns=[*NOTE_KEYS, "status"])


def test_an_action_is_open_until_it_is_done() -> None:
    assert ACTION_STATUSES == ("open", "in progress", "done") and DONE in ACTION_STATUSES
    assert [is_open(status) for status in ACTION_STATUSES] == [True, True, False]


def test_the_gap_list_gets_each_gaps_note_and_open_actions_in_its_own_order() -> None:
    table = gaps(est(ANN, "reliability", 6, 3, 60), est(ANN, "schedule", 5, 5, 40), est(BOB, "scope", 4, 2, 100))
    rows = with_notes(
        table,
        notes((1, "reliability", "It breaks", "That it just works"), (2, "scope", None, "All of it"), (2, "budget", "x", "y")),
        actions(
            (1, "reliability", "open"), (1, "reliability", "in progress"), (1, "reliability", "done"),
            (2, "scope", "done"), (1, "budget", "open"),
        ),
    )  # fmt: skip
    # Weighted gaps: bob scope -2 x 100/100 = -2; Ann reliability -3 x 60/100 = -1.8; Ann schedule 0.
    assert listed(rows, "stakeholder_id", "dimension", "open_actions") == [
        (2, "scope", 0),  # its only action is done
        (1, "reliability", 2),  # open and in progress count; done does not
        (1, "schedule", 0),  # no actions at all
    ]
    assert listed(rows, "stated_problem", "underlying_expectation")[1] == ("It breaks", "That it just works")
    assert pd.isna(rows["stated_problem"][0]) and rows["underlying_expectation"][0] == "All of it"
    assert rows["stated_problem"].isna()[2]  # no note on that gap
    assert list(rows["rank"]) == list(table["rank"]) and rows["open_actions"].dtype == int


def test_the_gap_list_with_no_notes_or_actions() -> None:
    table = gaps(est(ANN, "reliability", 6, 3, 60))
    rows = with_notes(table, notes(), actions())
    assert list(rows["open_actions"]) == [0] and rows["stated_problem"].isna().all()
    assert with_notes(gaps(), notes(), actions()).empty


def test_one_gaps_note_and_actions() -> None:
    saved = notes(
        (1, "reliability", "It breaks", None), (1, "schedule", "Late", "On time"), (2, "reliability", "a", "b")
    )
    assert gap_note(saved, stakeholder_id=1, dimension="reliability") == {
        "stated_problem": "It breaks",
        "underlying_expectation": "",
    }
    assert gap_note(saved, stakeholder_id=1, dimension="scope") == {"stated_problem": "", "underlying_expectation": ""}
    assert gap_note(saved, stakeholder_id=None, dimension=None) == {"stated_problem": "", "underlying_expectation": ""}
    todo = actions((1, "reliability", "open"), (2, "reliability", "done"), (1, "reliability", "done"))
    assert list(for_gap(todo, stakeholder_id=1, dimension="reliability")["status"]) == ["open", "done"]
    assert for_gap(todo, stakeholder_id=1, dimension="scope").empty
