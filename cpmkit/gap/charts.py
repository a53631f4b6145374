"""Altair charts for workbook 3, the expectation gap: a DataFrame in, a new chart out, never
displayed here (the style of :mod:`cpmkit.core.charts`).

Inputs are the frames :mod:`cpmkit.gap.rules` returns, with dimension ids already
swapped for names if the page wants names. Only the columns a chart needs are carried, and
dates go in as ISO text, so every spec is plain JSON (the offline chart widget sends it as is).
"""

from __future__ import annotations

from typing import Final

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH, dumbbell
from cpmkit.core.frames import require_columns
from cpmkit.gap.rules import DEFAULT_SCALE

__all__ = ["expectation_perception_chart", "gap_heat_map", "gap_trend_chart", "zero_line"]

_COLOURS: Final = {"expected": "#1f4e79", "perceived": "#c0392b"}
#: Diverging, symmetric about 0: shortfalls red, neutral near white, exceeded expectations green.
_DIVERGING: Final = ["#c0392b", "#f7f7f7", "#27ae60"]
_CELL: Final = 36


def expectation_perception_chart(summary: pd.DataFrame, *, scale: tuple[int, int] = DEFAULT_SCALE) -> alt.LayerChart:
    """Mean expectation and mean perception per dimension (a dumbbell each), in ``summary``'s order.

    ``summary`` is ``expectation_gap.dimension_summary()``.
    """
    require_columns(summary, ["dimension", "expectation", "perception", "gap", "n"], "expected and perceived chart")
    order = [str(d) for d in summary["dimension"]]
    long = (
        summary[["dimension", "expectation", "perception", "gap", "n"]]
        .rename(columns={"dimension": "name"})
        .melt(
            id_vars=["name", "gap", "n"],
            value_vars=["expectation", "perception"],
            var_name="figure",
            value_name="score",
        )
    )
    long["figure"] = long["figure"].map({"expectation": "expected", "perception": "perceived"})
    low, high = scale
    x = alt.X(
        "score:Q",
        scale=alt.Scale(domain=[low, high], nice=False, zero=False),
        axis=alt.Axis(values=list(range(low, high + 1)), format="d"),
        title="Mean rating",
    )
    tooltip = [
        alt.Tooltip("name:N", title="Dimension"),
        alt.Tooltip("figure:N", title="Figure"),
        alt.Tooltip("score:Q", title="Mean", format=".2f"),
        alt.Tooltip("gap:Q", title="Mean gap", format="+.2f"),
        alt.Tooltip("n:Q", title="Stakeholders"),
    ]
    return dumbbell(long, x=x, order=order, key="figure", colours=_COLOURS, tooltip=tooltip).properties(
        title="Expected and perceived, per dimension"
    )


def gap_heat_map(gaps: pd.DataFrame) -> alt.LayerChart:
    """Weighted gap per stakeholder (rows) and dimension (columns), worst totals first, coloured
    red to green symmetric about 0, with the value written in each cell ("no weight" when the
    stakeholder gave no importance). ``gaps`` is ``expectation_gap.gap_table()``."""
    require_columns(gaps, ["stakeholder", "dimension", "gap", "importance", "weighted_gap"], "heat map")
    cells = gaps[["stakeholder", "dimension", "gap", "importance", "weighted_gap"]].astype(
        {"stakeholder": str, "dimension": str, "gap": float, "importance": float, "weighted_gap": float}
    )
    cells["label"] = [f"{v:.2f}" if pd.notna(v) else "no weight" for v in cells["weighted_gap"]]
    rows, columns = _worst_first(cells, "stakeholder"), _worst_first(cells, "dimension")
    reach = float(cells["weighted_gap"].abs().max()) if cells["weighted_gap"].notna().any() else 0.0
    reach = reach or 1.0
    x = alt.X("dimension:N", sort=columns, title=None, axis=alt.Axis(labelAngle=-30))
    y = alt.Y("stakeholder:N", sort=rows, title=None)
    base = alt.Chart(cells).encode(x=x, y=y)
    colour = alt.Color(
        "weighted_gap:Q",
        scale=alt.Scale(domain=[-reach, 0, reach], range=_DIVERGING, type="linear"),
        title="Weighted gap",
    )
    tooltip = [
        alt.Tooltip("stakeholder:N", title="Stakeholder"),
        alt.Tooltip("dimension:N", title="Dimension"),
        alt.Tooltip("gap:Q", title="Gap"),
        alt.Tooltip("importance:Q", title="Importance"),
        alt.Tooltip("label:N", title="Weighted gap"),
    ]
    squares = base.mark_rect(stroke="#fff").encode(color=colour, tooltip=tooltip)
    values = base.mark_text(fontSize=11, color="#222").encode(text="label:N", tooltip=tooltip)
    return alt.LayerChart(layer=[squares, values]).properties(
        width=max(WIDTH, _CELL * 2 * len(columns)),
        height=max(60, _CELL * len(rows)),
        title="Weighted gap by stakeholder and dimension",
    )


def gap_trend_chart(trend: pd.DataFrame) -> alt.LayerChart:
    """Each dimension's mean gap over the assessment dates (a line each), with the zero line where
    perception meets expectation. ``trend`` is ``expectation_gap.gap_trend()``."""
    require_columns(trend, ["dimension", "assessed_on", "gap", "n"], "gap trend chart")
    points = trend[["dimension", "assessed_on", "gap", "n"]].astype({"dimension": str, "gap": float, "n": int})
    points["assessed_on"] = pd.to_datetime(points["assessed_on"]).dt.strftime("%Y-%m-%d").astype(str)
    x = alt.X("assessed_on:T", timeUnit="utcyearmonthdate", title="Assessed on", axis=alt.Axis(format="%Y-%m-%d"))
    lines = (
        alt.Chart(points)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("gap:Q", title="Mean gap (perceived - expected)"),
            color=alt.Color("dimension:N", title="Dimension"),
            tooltip=[
                alt.Tooltip("dimension:N", title="Dimension"),
                alt.Tooltip("assessed_on:N", title="Assessed on"),
                alt.Tooltip("gap:Q", title="Mean gap", format="+.2f"),
                alt.Tooltip("n:Q", title="Stakeholders"),
            ],
        )
    )
    return alt.LayerChart(layer=[zero_line(), lines]).properties(
        width=WIDTH, height=240, title="Gap over time, per dimension"
    )


def zero_line() -> alt.Chart:
    """The dashed line at a gap of 0, where perception meets expectation, under a gap chart's lines."""
    line: alt.Chart = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(strokeDash=[4, 4], color="#888").encode(y="y:Q")
    return line


def _worst_first(cells: pd.DataFrame, by: str) -> list[str]:
    """The values of ``by`` ordered by their total weighted gap, lowest first, then by name."""
    totals = cells.groupby(by)["weighted_gap"].sum()
    return sorted(totals.index, key=lambda value: (totals[value], str(value).casefold()))
