"""Unit tests of cpmkit.feedback.trend_charts: each chart's spec validates against the Vega-Lite
schema and is plain JSON, keeps sessions in the order held, carries n beside every pulse point
(hollow below the small-n threshold), leaves out a round no one answered, and draws nothing
rather than failing when there is nothing to draw."""

from __future__ import annotations

import pandas as pd

from cpmkit.feedback import trend_charts as charts
from cpmkit.feedback import trends
from cpmkit.feedback.pulse.template import feedback_taxonomy, pulse_survey
from tests._charts import chart_spec, rows_with
from tests.feedback.test_trends import ACTIONS, BOARDS, CARDS, RATINGS, RESPONSES

RETROS = ["Sprint 1 (2026-01-05)", "Sprint 2 (2026-02-05)", "Sprint 2 (2026-03-05)"]


def test_the_theme_chart_has_a_cell_per_theme_and_retrospective_recurring_first() -> None:
    spec = chart_spec(charts.theme_trend_chart(trends.theme_trend(BOARDS, CARDS, feedback_taxonomy())))
    rows = rows_with(spec, "cards")
    assert spec["layer"][0]["encoding"]["x"]["sort"] == RETROS
    themes = spec["layer"][0]["encoding"]["y"]["sort"]
    assert themes[:2] == ["Communication (recurring)", "Scope and requirements (recurring)"]
    assert {r["theme"] for r in rows} == set(themes)  # themes no card mentions are left out
    assert len(rows) == 3 * len(themes)


def test_the_action_chart_has_three_bars_per_retrospective_the_last_done_so_far() -> None:
    spec = chart_spec(charts.action_trend_chart(trends.action_trend(BOARDS, ACTIONS)))
    rows = rows_with(spec, "count")
    assert [(r["retrospective"], r["what"], r["count"]) for r in rows if r["retrospective"] == RETROS[-1]] == [
        (RETROS[-1], "agreed here", 1),
        (RETROS[-1], "carried over, still open", 1),
        (RETROS[-1], "done so far", 1),
    ]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == RETROS


def test_pulse_points_carry_n_hollow_when_few_and_none_for_no_answers() -> None:
    trend = trends.pulse_trend(RESPONSES, pulse_survey())[0]
    spec = chart_spec(charts.score_trend_chart(trend))
    rows = rows_with(spec, "n_label")
    assert [(r["round"], r["label"], r["n_label"], r["small_n"]) for r in rows] == [
        ("May", "NPS", "n = 6", False),
        ("May", "CSAT (% satisfied)", "n = 6", False),
        ("June", "NPS", "n = 3", True),
    ]  # June's CSAT: no one answered, so no point at 0
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [-100, 100]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["May", "June"]
    comfort = chart_spec(charts.comfort_trend_chart(trend))
    assert {r["label"] for r in rows_with(comfort, "n_label")} == {
        q.text for q in pulse_survey().questions if q.kind == "rating"
    }
    assert comfort["layer"][0]["encoding"]["y"]["scale"]["domain"] == [1, 5]


def test_the_gap_chart_names_dimensions_and_draws_the_overall_line() -> None:
    trend = trends.weighted_gap_trend(RATINGS, sources=["pm_estimate"], dimensions=["quality", "speed"])
    spec = chart_spec(charts.gap_trend_chart(trend, {"quality": "Quality"}))
    rows = rows_with(spec, "weighted_gap")
    assert {r["dimension"] for r in rows} == {"Quality", "speed", charts.OVERALL_LABEL}
    assert {r["assessed_on"] for r in rows} == {"2026-01-10", "2026-02-10"}
    assert [r["overall"] for r in rows if r["dimension"] == charts.OVERALL_LABEL] == [True, True]


def test_charts_of_nothing_are_empty_not_errors() -> None:
    chart_spec(charts.theme_trend_chart(pd.DataFrame(columns=trends.THEME_TREND_COLUMNS)))
    chart_spec(charts.action_trend_chart(pd.DataFrame(columns=trends.ACTION_TREND_COLUMNS)))
    chart_spec(charts.score_trend_chart(pd.DataFrame(columns=trends.PULSE_COLUMNS)))
    chart_spec(charts.comfort_trend_chart(pd.DataFrame(columns=trends.PULSE_COLUMNS)))
    chart_spec(charts.gap_trend_chart(pd.DataFrame(columns=trends.GAP_TREND_COLUMNS)))
