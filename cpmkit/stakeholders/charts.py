"""Workbook 1's charts: the power/interest grid, engagement now against needed, and the
value scorecard. A DataFrame in, a new chart out, never displayed here.

Inputs are the small, already aggregated frames ``stakeholders.rules`` returns, so no chart
carries raw rows (and none reaches Altair's row limit).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH, dumbbell
from cpmkit.stakeholders.rules import ENGAGEMENT_LEVELS, HIGH_FROM, QUADRANTS, SCALE

__all__ = ["engagement_gap_chart", "power_interest_chart", "scorecard_chart"]

_LOW, _HIGH = SCALE
_SPLIT = HIGH_FROM - 0.5


def power_interest_chart(grid: pd.DataFrame) -> alt.LayerChart:
    """Stakeholders on the power/interest grid, each quadrant labelled with its strategy.

    ``grid`` is ``stakeholders.power_interest_grid()``: one row per occupied cell.
    """
    quadrants = pd.DataFrame(
        [
            {
                "x0": _SPLIT if high_interest else _LOW - 0.5,
                "x1": _HIGH + 0.5 if high_interest else _SPLIT,
                "y0": _SPLIT if high_power else _LOW - 0.5,
                "y1": _HIGH + 0.5 if high_power else _SPLIT,
                "strategy": strategy,
            }
            for (high_power, high_interest), strategy in QUADRANTS.items()
        ]
    )
    axis = alt.Scale(domain=[_LOW - 0.5, _HIGH + 0.5], nice=False)
    ticks = alt.Axis(values=list(range(_LOW, _HIGH + 1)), grid=False, format="d")
    base = alt.Chart(quadrants)
    areas = base.mark_rect(opacity=0.12, stroke="#888").encode(
        x=alt.X("x0:Q", scale=axis, axis=ticks, title="Interest"),
        x2="x1",
        y=alt.Y("y0:Q", scale=axis, axis=ticks, title="Power"),
        y2="y1",
        color=alt.Color("strategy:N", legend=None, scale=alt.Scale(scheme="tableau10")),
    )
    labels = base.mark_text(align="left", baseline="top", dx=4, dy=4, fontWeight="bold", color="#444").encode(
        x="x0:Q", y="y1:Q", text="strategy:N"
    )
    people = alt.Chart(grid).encode(
        x=alt.X("interest:Q", scale=axis),
        y=alt.Y("power:Q", scale=axis),
        tooltip=[
            alt.Tooltip("names:N", title="Stakeholders"),
            alt.Tooltip("strategy:N", title="Strategy"),
            alt.Tooltip("power:Q"),
            alt.Tooltip("interest:Q"),
        ],
    )
    points = people.mark_circle(color="#1f4e79", opacity=0.85).encode(
        size=alt.Size("count:Q", legend=None, scale=alt.Scale(range=[120, 900]))
    )
    names = people.mark_text(dy=-14, fontSize=11, limit=160).encode(text="names:N")
    return alt.LayerChart(layer=[areas, labels, points, names]).properties(
        width=WIDTH, height=WIDTH, title="Power / interest grid"
    )


def engagement_gap_chart(gaps: pd.DataFrame) -> alt.LayerChart:
    """Where each stakeholder's engagement is now and where it must be (a dumbbell per person).

    ``gaps`` is ``stakeholders.engagement_gaps()``; its order (largest gap first) is kept.
    """
    order = list(gaps["name"])
    long = gaps.melt(
        id_vars=["name", "gap"],
        value_vars=["current_engagement", "desired_engagement"],
        var_name="when",
        value_name="level",
    )
    long["when"] = long["when"].map({"current_engagement": "now", "desired_engagement": "desired"})
    level = alt.X("level:O", scale=alt.Scale(domain=list(ENGAGEMENT_LEVELS)), title="Engagement")
    colours = {"now": "#c0392b", "desired": "#27ae60"}
    return dumbbell(
        long, x=level, order=order, key="when", colours=colours, tooltip=["name:N", "when:N", "level:N", "gap:Q"]
    ).properties(title="Engagement: now and desired")


def scorecard_chart(card: pd.DataFrame) -> alt.LayerChart:
    """Each success measure's progress from baseline (0 %) to target (100 %).

    ``card`` is ``stakeholders.value_scorecard()``; measures not yet measured are left out.
    """
    columns = ["stakeholder", "metric", "baseline", "target", "latest", "progress", "status"]
    measured = card.dropna(subset=["progress"])[columns].copy()  # dates stay out: the spec must be JSON
    measured["label"] = measured["stakeholder"] + ": " + measured["metric"]
    bars = (
        alt.Chart(measured)
        .mark_bar()
        .encode(
            x=alt.X("progress:Q", axis=alt.Axis(format="%"), title="Progress from baseline to target"),
            y=alt.Y("label:N", sort="-x", title=None),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(
                    domain=["moving away", "in progress", "target met"], range=["#c0392b", "#f39c12", "#27ae60"]
                ),
                title=None,
            ),
            tooltip=[
                "stakeholder:N",
                "metric:N",
                "baseline:Q",
                "target:Q",
                "latest:Q",
                alt.Tooltip("progress:Q", format=".0%"),
            ],
        )
    )
    target = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return alt.LayerChart(layer=[bars, target]).properties(
        width=WIDTH, height=max(60, 28 * len(measured)), title="Value scorecard"
    )
