"""Unit tests of cpmkit.soft_skills.charts: each builder's spec validates against the Vega-Lite
schema, carries the expected (aggregated) data, leaves hidden rows out and copes with nothing."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cpmkit.errors import ValidationError
from cpmkit.soft_skills.bank import QuestionBank, Scale
from cpmkit.soft_skills.charts import cohort_distribution_chart, self_vs_others_chart
from cpmkit.soft_skills.profile_chart import competency_profile_chart
from cpmkit.soft_skills.scoring import (
    PeerRelease,
    cohort_distribution,
    competency_score_rows,
    others_view,
    released_rows,
    released_table,
)
from tests._charts import chart_spec, rows_with
from tests.soft_skills._banks import BANK

# -- competency_profile_chart ------------------------------------------------------------------


def test_profile_chart_bars_and_incomplete_rows() -> None:
    # listen (4+2)/2 = 3.0; conflict C1 5, C2 reverse 2 -> 4: 4.5; feedback: 1 of 2 answered
    scores = competency_score_rows(BANK, {"L1": 4, "L2": 2, "C1": 5, "C2": 2, "F1": 3})
    spec = chart_spec(competency_profile_chart(scores))
    assert spec["title"] == "My competency profile"
    bars = rows_with(spec, "score")
    assert [(b["name"], b["score"], b["base"]) for b in bars] == [
        ("Active listening", 3.0, 1.0),
        ("Handling conflict", 4.5, 1.0),
    ]
    assert rows_with(spec, "label") == [{"name": "Giving feedback", "base": 1.0, "label": "incomplete"}]
    bar = spec["layer"][0]
    # Every competency keeps its row, in the bank's order; the axis is the 1-5 scale.
    assert bar["encoding"]["y"]["scale"]["domain"] == ["Active listening", "Handling conflict", "Giving feedback"]
    assert bar["encoding"]["x"]["scale"]["domain"] == [1, 5]
    assert spec["height"] == 84  # 28 * 3


def test_profile_chart_of_nothing_answered_and_of_no_rows() -> None:
    spec = chart_spec(competency_profile_chart(competency_score_rows(BANK, {})))
    assert rows_with(spec, "score") == []
    assert len(rows_with(spec, "label")) == 3
    empty = chart_spec(competency_profile_chart([]))
    assert empty["height"] == 60


def test_profile_chart_other_scale() -> None:
    scores = competency_score_rows(BANK, {"L1": 4, "L2": 2})
    spec = chart_spec(competency_profile_chart(scores, scale=(1, 7)))
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == [1, 2, 3, 4, 5, 6, 7]


def test_profile_chart_names_missing_columns() -> None:
    with pytest.raises(ValidationError, match="score"):
        competency_profile_chart([{"name": "x"}])


# -- self_vs_others_chart ----------------------------------------------------------------------


def test_self_vs_others_chart_draws_only_shown_competencies() -> None:
    me = {"L1": 4, "L2": 4, "C1": 2, "C2": 4, "F1": 5, "F2": 5}  # listen 4, conflict (2+2)/2 = 2, feedback 5
    # A release made before the bank had conflict and feedback: only listen is shown.
    release = PeerRelease(raters=frozenset({1, 2, 3}), others={"listen": Fraction(3)})
    view = released_table(released_rows(BANK, me, release))
    assert list(view["status"]) == ["shown", "hidden: fewer than 3 raters", "hidden: fewer than 3 raters"]
    spec = chart_spec(self_vs_others_chart(view))
    rows = rows_with(spec, "who")
    # listen: self 4, others 3.0, gap -1.0; conflict and feedback are hidden
    assert sorted((r["name"], r["who"], r["score"], r["raters"], r["gap"]) for r in rows) == [
        ("Active listening", "others", 3.0, 3, -1.0),
        ("Active listening", "self", 4.0, 3, -1.0),
    ]
    assert spec["layer"][1]["encoding"]["y"]["sort"] == ["Active listening"]
    assert spec["height"] == 60


def test_self_vs_others_chart_with_no_self_score_and_with_nothing_shown() -> None:
    raters = [{"L1": 3, "L2": 3, "C1": 3, "C2": 3, "F1": 4, "F2": 5}] * 3  # listen 3, conflict 3, feedback 4.5
    view = others_view(BANK, {"L1": 5}, raters)  # self listen incomplete, others shown
    rows = rows_with(chart_spec(self_vs_others_chart(view)), "who")
    assert [(r["name"], r["who"], r["score"]) for r in rows] == [
        ("Active listening", "others", 3.0),
        ("Handling conflict", "others", 3.0),
        ("Giving feedback", "others", 4.5),
    ]
    hidden = others_view(BANK, {"L1": 5, "L2": 5}, raters[:2])
    assert rows_with(chart_spec(self_vs_others_chart(hidden)), "who") == []


# -- cohort_distribution_chart -----------------------------------------------------------------


def test_cohort_chart_skips_hidden_rows() -> None:
    # listen: 3 participants (3.0, 4.0, 5.0); conflict: 2 (hidden); feedback: nobody (hidden)
    people = {
        "p1": {"L1": 3, "L2": 3, "C1": 4, "C2": 2},
        "p2": {"L1": 4, "L2": 4, "C1": 5, "C2": 1},
        "p3": {"L1": 5, "L2": 5},
    }
    dist = cohort_distribution(BANK, people)
    assert list(dist["status"]) == ["shown", "hidden: fewer than 3", "hidden: fewer than 3"]
    spec = chart_spec(cohort_distribution_chart(dist))
    assert spec["title"] == "Cohort: spread of scores per competency"
    rows = rows_with(spec, "median")
    assert rows == [
        {"name": "Active listening", "n": 3, "mean": 4.0, "min": 3.0, "q1": 3.5, "median": 4.0, "q3": 4.5, "max": 5.0}
    ]
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "bar", "tick", "point"]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 5]
    assert spec["height"] == 60


def test_cohort_chart_with_every_row_hidden() -> None:
    dist = cohort_distribution(BANK, {"p1": {"L1": 3, "L2": 3}})
    spec = chart_spec(cohort_distribution_chart(dist))
    assert rows_with(spec, "median") == []


def test_cohort_chart_reads_the_scale_from_the_count_columns() -> None:
    seven = QuestionBank("Seven", Scale(tuple((v, str(v)) for v in range(1, 8))), BANK.competencies, BANK.items)
    people = {f"p{i}": {"L1": 7, "L2": i} for i in range(1, 4)}
    spec = chart_spec(cohort_distribution_chart(cohort_distribution(seven, people)))
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 7]


def test_charts_are_new_each_call() -> None:
    scores = competency_score_rows(BANK, {})
    assert competency_profile_chart(scores) is not competency_profile_chart(scores)
