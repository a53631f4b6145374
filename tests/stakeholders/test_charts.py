"""Unit tests of cpmkit.core.charts: each builder's spec validates against the Vega-Lite schema,
carries the expected data, and copes with an empty frame."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from cpmkit.stakeholders.charts import engagement_gap_chart, power_interest_chart, scorecard_chart
from cpmkit.stakeholders.rules import engagement_gaps, power_interest_grid, value_scorecard
from tests._charts import chart_spec, datasets, rows_with

MEASURE_COLUMNS = ["stakeholder", "metric", "unit", "baseline", "target", "latest", "measured_on"]


# -- power_interest_chart ----------------------------------------------------------------------


@pytest.fixture
def grid() -> pd.DataFrame:
    register = pd.DataFrame(
        {
            "name": ["Bob", "ann", "Cy", "Dee"],
            "power": [5, 5, 1, None],
            "interest": [4, 4, 2, 3],
        }
    )
    return power_interest_grid(register)


def test_power_interest_chart(grid: pd.DataFrame) -> None:
    spec = chart_spec(power_interest_chart(grid))
    assert spec["title"] == "Power / interest grid"
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text", "circle", "text"]
    quadrants = rows_with(spec, "x0")
    assert sorted(q["strategy"] for q in quadrants) == ["keep informed", "keep satisfied", "manage closely", "monitor"]
    # The split sits half way between 2 and 3 (HIGH_FROM = 3), on an axis from 0.5 to 5.5.
    assert {(q["strategy"], q["x0"], q["x1"], q["y0"], q["y1"]) for q in quadrants} == {
        ("manage closely", 2.5, 5.5, 2.5, 5.5),
        ("keep satisfied", 0.5, 2.5, 2.5, 5.5),
        ("keep informed", 2.5, 5.5, 0.5, 2.5),
        ("monitor", 0.5, 2.5, 0.5, 2.5),
    }
    assert rows_with(spec, "names") == [
        {"power": 5, "interest": 4, "strategy": "manage closely", "count": 2, "names": "ann, Bob"},
        {"power": 1, "interest": 2, "strategy": "monitor", "count": 1, "names": "Cy"},
    ]


def test_power_interest_chart_of_nobody() -> None:
    empty = power_interest_grid(pd.DataFrame({"name": [], "power": [], "interest": []}))
    spec = chart_spec(power_interest_chart(empty))
    assert rows_with(spec, "names") == []
    # The quadrants (and their four strategy names) are drawn even with nobody on the grid.
    assert len(rows_with(spec, "x0")) == 4
    assert [] in datasets(spec)


# -- engagement_gap_chart ----------------------------------------------------------------------


def test_engagement_gap_chart() -> None:
    register = pd.DataFrame(
        {
            "name": ["Ann", "Bob"],
            "current_engagement": ["neutral", "unaware"],
            "desired_engagement": ["supportive", "leading"],
        }
    )
    spec = chart_spec(engagement_gap_chart(engagement_gaps(register)))
    rows = rows_with(spec, "level")
    assert sorted((r["name"], r["when"], r["level"], r["gap"]) for r in rows) == [
        ("Ann", "desired", "supportive", 1),
        ("Ann", "now", "neutral", 1),
        ("Bob", "desired", "leading", 4),
        ("Bob", "now", "unaware", 4),
    ]
    _line, dots = spec["layer"]
    # Largest gap first on the y axis; the x axis keeps the engagement scale's order.
    assert dots["encoding"]["y"]["sort"] == ["Bob", "Ann"]
    assert dots["encoding"]["x"]["scale"]["domain"] == ["unaware", "resistant", "neutral", "supportive", "leading"]
    assert spec["height"] == 60  # max(60, 28 * 2)


def test_engagement_gap_chart_height_grows_with_people() -> None:
    names = [f"P{i}" for i in range(5)]
    register = pd.DataFrame(
        {"name": names, "current_engagement": ["neutral"] * 5, "desired_engagement": ["leading"] * 5}
    )
    assert chart_spec(engagement_gap_chart(engagement_gaps(register)))["height"] == 140  # 28 * 5


def test_engagement_gap_chart_of_nobody() -> None:
    gaps = engagement_gaps(pd.DataFrame({"name": [], "current_engagement": [], "desired_engagement": []}))
    spec = chart_spec(engagement_gap_chart(gaps))
    assert all(rows == [] for rows in datasets(spec))
    assert spec["height"] == 60


# -- scorecard_chart ---------------------------------------------------------------------------


def _card(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return value_scorecard(pd.DataFrame(rows, columns=MEASURE_COLUMNS))


def test_scorecard_chart_leaves_out_unmeasured() -> None:
    card = _card(
        [
            ("Ann", "NPS", "pts", 20.0, 50.0, 35.0, None),  # 0.5
            ("Bob", "Defects", None, 10.0, 5.0, 12.0, None),  # -0.4
            ("Cy", "Score", None, 1.0, 4.0, None, None),  # not measured: left out
        ]
    )
    spec = chart_spec(scorecard_chart(card))
    bars = rows_with(spec, "label")
    assert sorted((b["label"], b["progress"], b["status"]) for b in bars) == [
        ("Ann: NPS", 0.5, "in progress"),
        ("Bob: Defects", -0.4, "moving away"),
    ]
    assert rows_with(spec, "x") == [{"x": 1.0}]  # the target line at 100 %
    assert spec["height"] == 60
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == "%"


def test_scorecard_chart_with_a_measurement_date() -> None:
    card = _card([("Ann", "NPS", "pts", 20.0, 50.0, 50.0, dt.date(2024, 6, 1))])
    bars = rows_with(chart_spec(scorecard_chart(card)), "label")
    assert [(b["label"], b["status"]) for b in bars] == [("Ann: NPS", "target met")]


@pytest.mark.parametrize(
    "rows",
    [[], [("Cy", "Score", None, 1.0, 4.0, None, None)]],
    ids=["no measures", "none measured"],
)
def test_scorecard_chart_of_nothing_measured(rows: list[tuple[Any, ...]]) -> None:
    spec = chart_spec(scorecard_chart(_card(rows)))
    assert rows_with(spec, "label") == []
    assert rows_with(spec, "x") == [{"x": 1.0}]
    assert spec["height"] == 60


def test_charts_are_new_each_call(grid: pd.DataFrame) -> None:
    assert power_interest_chart(grid) is not power_interest_chart(grid)
