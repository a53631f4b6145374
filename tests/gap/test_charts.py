"""Unit tests of cpmkit.gap.charts: each builder's spec validates against the Vega-Lite schema,
is plain JSON and compiles offline (vl-convert), carries the expected data, and copes with
nothing to draw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert

from cpmkit.errors import ValidationError
from cpmkit.gap.charts import (
    expectation_perception_chart,
    gap_heat_map,
    gap_trend_chart,
)
from cpmkit.gap.rules import (
    RATING_COLUMNS,
    current_ratings,
    dimension_summary,
    gap_table,
    gap_trend,
)
from cpmkit.serving.offline import vega_lite_version
from tests._charts import chart_spec, rows_with

SOURCES = ("survey", "stakeholder", "estimate")
DIMENSIONS = ("reliability", "schedule", "scope")
JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def _ratings(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """Estimate rows of (id, name, dimension, date, expectation, perception, importance)."""
    return pd.DataFrame(
        [(sid, name, d, "estimate", on, e, p, i) for sid, name, d, on, e, p, i in rows], columns=RATING_COLUMNS
    )


RATINGS = _ratings(
    (1, "Ann", "reliability", JAN, 6, 3, 60),  # gap -3, weighted -3 x 0.6 = -1.8
    (1, "Ann", "schedule", JAN, 5, 4, 40),  # gap -1, weighted -0.4
    (2, "Bob", "reliability", JAN, 6, 6, 50),  # 0, weighted 0
    (2, "Bob", "scope", JAN, 4, 6, 50),  # +2, weighted +1.0
    (3, "Cy", "scope", FEB, 5, 4, None),  # no importance: no weighted gap
)


def _current() -> pd.DataFrame:
    return current_ratings(RATINGS, sources=SOURCES)


# -- expectation_perception_chart --------------------------------------------------------------


def test_expectation_perception_chart() -> None:
    # reliability: expectation (6 + 6) / 2 = 6, perception (3 + 6) / 2 = 4.5, gap -1.5, n 2
    # schedule: 5, 4, -1, n 1; scope: (4 + 5) / 2 = 4.5, (6 + 4) / 2 = 5, +0.5, n 2
    summary = dimension_summary(_current(), dimensions=["scope", "reliability", "schedule"])
    spec = chart_spec(expectation_perception_chart(summary))
    assert spec["title"] == "Expected and perceived, per dimension"
    rows = rows_with(spec, "score")
    assert sorted((r["name"], r["figure"], r["score"], r["gap"], r["n"]) for r in rows) == [
        ("reliability", "expected", 6.0, -1.5, 2), ("reliability", "perceived", 4.5, -1.5, 2),
        ("schedule", "expected", 5.0, -1.0, 1), ("schedule", "perceived", 4.0, -1.0, 1),
        ("scope", "expected", 4.5, 0.5, 2), ("scope", "perceived", 5.0, 0.5, 2),
    ]  # fmt: skip
    _line, dots = spec["layer"]
    assert dots["encoding"]["y"]["sort"] == ["scope", "reliability", "schedule"]  # the summary's (template) order
    assert dots["encoding"]["x"]["scale"]["domain"] == [1, 7]
    assert dots["encoding"]["color"]["scale"] == {"domain": ["expected", "perceived"], "range": ["#1f4e79", "#c0392b"]}
    assert spec["height"] == 84  # 28 x 3


def test_expectation_perception_chart_on_another_scale_and_of_nothing() -> None:
    empty = dimension_summary(_current().iloc[0:0], dimensions=DIMENSIONS)
    spec = chart_spec(expectation_perception_chart(empty, scale=(1, 5)))
    assert rows_with(spec, "score") == []
    assert spec["layer"][1]["encoding"]["x"]["scale"]["domain"] == [1, 5]
    assert spec["layer"][1]["encoding"]["x"]["axis"]["values"] == [1, 2, 3, 4, 5]
    assert spec["height"] == 60


# -- gap_heat_map ------------------------------------------------------------------------------


def test_gap_heat_map() -> None:
    spec = chart_spec(gap_heat_map(gap_table(_current(), dimensions=DIMENSIONS)))
    assert spec["title"] == "Weighted gap by stakeholder and dimension"
    cells = rows_with(spec, "label")
    assert sorted((c["stakeholder"], c["dimension"], c["weighted_gap"], c["label"]) for c in cells) == [
        ("Ann", "reliability", pytest.approx(-1.8), "-1.80"),
        ("Ann", "schedule", pytest.approx(-0.4), "-0.40"),
        ("Bob", "reliability", 0.0, "0.00"),
        ("Bob", "scope", 1.0, "1.00"),
        ("Cy", "scope", None, "no weight"),
    ]
    squares, values = spec["layer"]
    assert squares["mark"]["type"] == "rect" and values["mark"]["type"] == "text"
    assert values["encoding"]["text"] == {"field": "label", "type": "nominal"}
    # Diverging, symmetric about 0: the largest |weighted gap| is 1.8.
    scale = squares["encoding"]["color"]["scale"]
    assert scale["domain"] == pytest.approx([-1.8, 0, 1.8])
    assert scale["range"] == ["#c0392b", "#f7f7f7", "#27ae60"]
    # Worst total first: rows Ann (-2.2), Bob (+1.0), Cy (0 counted: no weight) -> Ann, Cy, Bob;
    # columns reliability (-1.8), schedule (-0.4), scope (+1.0).
    assert squares["encoding"]["y"]["sort"] == ["Ann", "Cy", "Bob"]
    assert squares["encoding"]["x"]["sort"] == ["reliability", "schedule", "scope"]
    assert spec["height"] == 108  # 36 x 3


def test_gap_heat_map_of_nothing_and_of_no_weights() -> None:
    spec = chart_spec(gap_heat_map(gap_table(_current().iloc[0:0], dimensions=DIMENSIONS)))
    assert rows_with(spec, "label") == []
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [-1.0, 0, 1.0]
    unweighted = gap_table(current_ratings(RATINGS.iloc[[4]], sources=SOURCES), dimensions=DIMENSIONS)
    spec = chart_spec(gap_heat_map(unweighted))
    assert [c["label"] for c in rows_with(spec, "label")] == ["no weight"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [-1.0, 0, 1.0]


# -- gap_trend_chart ---------------------------------------------------------------------------


def test_gap_trend_chart_dates_are_iso_text() -> None:
    # reliability on Jan: (-3 + 0) / 2 = -1.5; schedule on Jan: -1; scope on Jan: +2, on Feb: (+2 - 1) / 2 = 0.5
    spec = chart_spec(gap_trend_chart(gap_trend(RATINGS, sources=SOURCES)))
    assert spec["title"] == "Gap over time, per dimension"
    points = rows_with(spec, "assessed_on")
    assert [(p["dimension"], p["assessed_on"], p["gap"], p["n"]) for p in points] == [
        ("reliability", "2024-01-01", -1.5, 2), ("schedule", "2024-01-01", -1.0, 1),
        ("scope", "2024-01-01", 2.0, 1), ("scope", "2024-02-01", 0.5, 2),
    ]  # fmt: skip
    zero, lines = spec["layer"]
    assert rows_with(spec, "y") == [{"y": 0}]
    assert zero["mark"]["type"] == "rule"
    assert lines["encoding"]["x"]["field"] == "assessed_on" and lines["encoding"]["x"]["type"] == "temporal"
    assert lines["encoding"]["color"]["field"] == "dimension"


def test_gap_trend_chart_of_nothing() -> None:
    spec = chart_spec(gap_trend_chart(gap_trend(RATINGS.iloc[0:0], sources=SOURCES)))
    assert rows_with(spec, "assessed_on") == []


# -- all charts --------------------------------------------------------------------------------


def _charts() -> list[alt.LayerChart]:
    current = _current()
    return [
        expectation_perception_chart(dimension_summary(current, dimensions=DIMENSIONS)),
        gap_heat_map(gap_table(current, dimensions=DIMENSIONS)),
        gap_trend_chart(gap_trend(RATINGS, sources=SOURCES)),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["expected and perceived", "heat map", "trend"])
def test_charts_compile_offline(index: int) -> None:
    vega = vl_convert.vegalite_to_vega(_charts()[index].to_dict(), vl_version=vega_lite_version())
    assert vega["marks"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            expectation_perception_chart,
            "The expected and perceived chart needs the column(s) dimension, expectation, perception, gap, n.",
        ),
        (gap_heat_map, "The heat map needs the column(s) stakeholder, dimension, gap, importance, weighted_gap."),
        (gap_trend_chart, "The gap trend chart needs the column(s) dimension, assessed_on, gap, n."),
    ],
    ids=["expected and perceived", "heat map", "trend"],
)
def test_charts_name_missing_columns(build: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        build(pd.DataFrame({"other": [1]}))
    assert str(info.value) == message


def test_charts_are_new_each_call() -> None:
    gaps = gap_table(_current(), dimensions=DIMENSIONS)
    assert gap_heat_map(gaps) is not gap_heat_map(gaps)
