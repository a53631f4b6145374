"""Altair charts for workbook 2, the soft-skills self-assessment: a DataFrame in, a new chart
out, never displayed here (the style of :mod:`cpmkit.core.charts`). A participant's own profile
chart, which every participant's kernel draws, is written without Altair in
:mod:`cpmkit.soft_skills.profile_chart`.

Inputs are the small, already aggregated frames :mod:`cpmkit.soft_skills.scoring` returns (one row
per competency), so no chart carries anyone's individual answers. Rows that the logic hides
for anonymity (fewer than ``MIN_GROUP`` people) are left out of every chart.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH, dumbbell
from cpmkit.core.frames import require_columns
from cpmkit.soft_skills.profile_chart import DEFAULT_SCALE, chart_height

__all__ = ["cohort_distribution_chart", "self_vs_others_chart"]

_COUNT_COLUMN = re.compile(r"n_(-?\d+)")
_SUMMARY = ["mean", "min", "q1", "median", "q3", "max"]


def _score_axis(scale: tuple[int, int], title: str) -> alt.X:
    low, high = scale
    return alt.X(
        "score:Q",
        scale=alt.Scale(domain=[low, high], nice=False, zero=False),
        axis=alt.Axis(values=list(range(low, high + 1)), format="d"),
        title=title,
    )


def self_vs_others_chart(view: pd.DataFrame, *, scale: tuple[int, int] = DEFAULT_SCALE) -> alt.LayerChart:
    """Self score and the average of others' scores per competency (a dumbbell each).

    ``view`` is ``soft_skills.others_view()``; only competencies whose others' score is shown
    (enough raters) are drawn, in the frame's order.
    """
    require_columns(view, ["name", "self", "others", "raters", "gap", "status"], "self vs others chart")
    shown = view[(view["status"] == "shown") & view["others"].notna()]
    order = [str(name) for name in shown["name"]]
    long = pd.DataFrame(
        [
            {
                "name": str(row["name"]),
                "who": who,
                "score": float(row[who]),
                "raters": int(row["raters"]),
                "gap": None if pd.isna(row["gap"]) else float(row["gap"]),
            }
            for _index, row in shown.iterrows()
            for who in ("self", "others")
            if not pd.isna(row[who])
        ],
        columns=["name", "who", "score", "raters", "gap"],
    )
    tooltip = [
        alt.Tooltip("name:N", title="Competency"),
        alt.Tooltip("who:N", title="Whose view"),
        alt.Tooltip("score:Q", format=".2f"),
        alt.Tooltip("raters:Q", title="Raters"),
        alt.Tooltip("gap:Q", title="Others - self", format="+.2f"),
    ]
    colours = {"self": "#1f4e79", "others": "#e67e22"}
    chart = dumbbell(long, x=_score_axis(scale, "Score"), order=order, key="who", colours=colours, tooltip=tooltip)
    return chart.properties(height=chart_height(len(order)), title="How I see myself and how others see me")


def cohort_distribution_chart(dist: pd.DataFrame) -> alt.LayerChart:
    """How a cohort's scores spread per competency: whiskers from min to max, a box from the
    first to the third quartile, a tick at the median and a diamond at the mean.

    ``dist`` is ``soft_skills.cohort_distribution()``; rows hidden for anonymity (status other
    than "shown") are left out, the rest keep the frame's order. The axis runs over the scale
    its ``n_<point>`` columns name (1 to 5 without them).
    """
    require_columns(dist, ["name", "n", *_SUMMARY, "status"], "cohort distribution chart")
    points = sorted(int(match.group(1)) for column in dist.columns if (match := _COUNT_COLUMN.fullmatch(str(column))))
    scale = (points[0], points[-1]) if len(points) >= 2 else DEFAULT_SCALE
    shown = dist[(dist["status"] == "shown") & dist["n"].notna()]
    frame = pd.DataFrame({"name": [str(name) for name in shown["name"]], "n": [int(n) for n in shown["n"]]})
    for column in _SUMMARY:
        frame[column] = [float(value) for value in shown[column]]
    order = list(frame["name"])
    low, high = scale
    axis = alt.Scale(domain=[low, high], nice=False, zero=False)
    y = alt.Y("name:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("name:N", title="Competency"),
        alt.Tooltip("n:Q", title="Participants"),
        *(alt.Tooltip(f"{column}:Q", format=".2f") for column in _SUMMARY),
    ]
    base = alt.Chart(frame).encode(y=y, tooltip=tooltip)
    whiskers = base.mark_rule(color="#555").encode(
        x=alt.X("min:Q", scale=axis, axis=alt.Axis(values=list(range(low, high + 1)), format="d"), title="Score"),
        x2="max:Q",
    )
    box = base.mark_bar(size=16, color="#9ecae1", stroke="#1f4e79").encode(x=alt.X("q1:Q", scale=axis), x2="q3:Q")
    median = base.mark_tick(color="#1f4e79", size=18, thickness=3).encode(x=alt.X("median:Q", scale=axis))
    mean = base.mark_point(shape="diamond", filled=True, color="#e67e22", size=70).encode(x=alt.X("mean:Q", scale=axis))
    return alt.LayerChart(layer=[whiskers, box, median, mean]).properties(
        width=WIDTH, height=chart_height(len(order)), title="Cohort: spread of scores per competency"
    )
