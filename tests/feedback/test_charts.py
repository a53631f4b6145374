"""Unit tests of cpmkit.feedback.charts: each builder's spec validates against the Vega-Lite
schema, is plain JSON, carries n beside every score, never draws a round without answers as
0, and copes with nothing to draw."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback import comments
from cpmkit.feedback import scores as feedback
from cpmkit.feedback.charts import csat_chart, nps_chart, theme_chart, theme_trend_chart
from cpmkit.feedback.pulse.template import feedback_taxonomy
from tests._charts import chart_spec, rows_with

RESPONSES = pd.DataFrame(
    {
        "round": ["October", "October", "October", "November"],
        "submitted_at": [dt.datetime(2026, 10, d) for d in (2, 3, 4)] + [dt.datetime(2026, 11, 2)],
        "recommend": pd.array([10, 9, 3, 6], dtype="Int64"),
        "satisfaction": pd.array([5, 4, None, None], dtype="Int64"),
        "comment": [
            "Great communication",
            None,
            "Late reports and unclear budget",
            "<script>alert(1)</script> scope creep",
        ],
    }
)


def test_nps_per_round_shows_n_on_the_full_axis() -> None:
    spec = chart_spec(nps_chart(feedback.nps_by_round(RESPONSES)))
    rows = rows_with(spec, "nps")
    assert [(r["round"], r["n"], r["label"]) for r in rows] == [
        ("October", 3, "33 (n = 3)"),
        ("November", 1, "-100 (n = 1)"),
    ]
    bars = spec["layer"][1]
    assert bars["encoding"]["y"]["scale"]["domain"] == [-100, 100]
    assert bars["encoding"]["x"]["sort"] == ["October", "November"]
    assert any(t["field"] == "n" for t in bars["encoding"]["tooltip"])
    assert [r["at"] for r in rows] == [r["nps"] for r in rows][:1] + [0.0]  # a negative score's label sits above 0


def test_a_round_without_answers_is_no_bar_and_says_so() -> None:
    spec = chart_spec(csat_chart(feedback.csat_by_round(RESPONSES)))
    rows = rows_with(spec, "csat")
    assert [(r["round"], r["csat"], r["label"]) for r in rows] == [
        ("October", 100.0, "100 (n = 2)"),
        ("November", None, "not answered (n = 0)"),
    ]
    assert spec["layer"][1]["encoding"]["y"]["scale"]["domain"] == [0, 100]


def test_themes_show_counts_and_the_negative_part() -> None:
    analysed = comments.analyse_comments(RESPONSES, feedback_taxonomy())
    summary = comments.theme_summary(analysed, feedback_taxonomy())
    spec = chart_spec(theme_chart(summary))
    rows = rows_with(spec, "tone")
    assert {r["tone"] for r in rows} == {"negative", "neutral or positive"}
    assert sum(r["count"] for r in rows if r["tone"] == "negative") == int(summary["negative"].sum())
    mentioned = summary.loc[summary["comments"] > 0, "label"].tolist()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == mentioned and {r["label"] for r in rows} == set(mentioned)
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == list(range(int(summary["comments"].max()) + 1))
    trend = chart_spec(theme_trend_chart(comments.theme_trend(analysed, feedback_taxonomy())))
    assert trend["layer"][0]["encoding"]["x"]["sort"] == ["October", "November"]
    assert {r["label"] for r in rows_with(trend, "comments")} == set(mentioned)  # no line for a theme never mentioned


def test_nothing_to_draw_still_makes_a_valid_chart() -> None:
    empty = RESPONSES.iloc[:0]
    chart_spec(nps_chart(feedback.nps_by_round(empty)))
    chart_spec(csat_chart(feedback.csat_by_round(empty)))
    analysed = comments.analyse_comments(RESPONSES.assign(comment=None), feedback_taxonomy())
    chart_spec(theme_chart(comments.theme_summary(analysed, feedback_taxonomy())))


def test_a_frame_without_the_columns_is_refused_plainly() -> None:
    with pytest.raises(ValidationError, match="nps"):
        nps_chart(pd.DataFrame({"round": ["A"]}))
