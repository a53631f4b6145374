"""Altair charts for workbook 4's feedback: NPS and CSAT per pulse round, how many comments
mention each theme (and how many of those are negative), and the themes from round to round.
A DataFrame in, a new chart out, never displayed here (the style of :mod:`cpmkit.gap.charts`).

Inputs are the frames :mod:`cpmkit.feedback.scores` and :mod:`cpmkit.feedback.comments` return. A round no one
answered has no bar, only the words "not answered (n = 0)": a score of 0 would be a claim. Every spec is
plain JSON (blanks are null), so the offline chart widget sends it as is.
"""

from __future__ import annotations

from typing import Final

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH
from cpmkit.core.frames import require_columns

__all__ = ["csat_chart", "nps_chart", "theme_chart", "theme_trend_chart", "whole_axis"]

_SCORE_COLOUR: Final = "#1f4e79"
_NEGATIVE_COLOUR: Final = "#c0392b"
_OTHER_COLOUR: Final = "#b8c4d0"
_BAR: Final = 26
#: Up to this many, a count axis lists every whole number.
_WHOLE_TICKS: Final = 10


def nps_chart(by_round: pd.DataFrame) -> alt.LayerChart:
    """NPS per round, in the order the rounds ran, on its full -100..100 axis, each bar labelled
    with its score and number of answers. ``by_round`` is ``feedback.nps_by_round()``."""
    return _score_chart(by_round, "nps", domain=(-100, 100), title="Net Promoter Score per round", axis="NPS")


def csat_chart(by_round: pd.DataFrame) -> alt.LayerChart:
    """CSAT (% satisfied) per round on a 0..100% axis, labelled with n; ``feedback.csat_by_round()``."""
    return _score_chart(
        by_round, "csat", domain=(0, 100), title="Customer satisfaction (CSAT) per round", axis="% satisfied"
    )


def theme_chart(summary: pd.DataFrame) -> alt.LayerChart:
    """Comments per theme (a bar each, in ``summary``'s order: most negative first), the
    negative ones in red at the start of the bar. ``summary`` is ``comments.theme_summary()``."""
    require_columns(summary, ["theme", "label", "comments", "share", "negative"], "theme chart")
    rows = summary[["theme", "label", "comments", "share", "negative"]].astype(
        {"theme": str, "label": str, "comments": int, "share": float, "negative": int}
    )
    rows = rows[rows["comments"] > 0]  # a theme no one mentioned is no bar
    rows["other"] = rows["comments"] - rows["negative"]
    long = rows.melt(
        id_vars=["theme", "label", "comments", "share"],
        value_vars=["negative", "other"],
        var_name="tone",
        value_name="count",
    )
    long["tone"] = long["tone"].map({"negative": "negative", "other": "neutral or positive"})
    long["order"] = long["tone"].map({"negative": 0, "neutral or positive": 1})
    order = rows["label"].tolist()
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", stack="zero", title="Comments", axis=whole_axis(rows["comments"])),
            y=alt.Y("label:N", sort=order, title=None),
            color=alt.Color(
                "tone:N",
                scale=alt.Scale(domain=["negative", "neutral or positive"], range=[_NEGATIVE_COLOUR, _OTHER_COLOUR]),
                title="Tone",
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("tone:N", title="Tone"),
                alt.Tooltip("count:Q", title="Comments of this tone"),
                alt.Tooltip("comments:Q", title="Comments in all"),
                alt.Tooltip("share:Q", title="% of all comments", format=".0f"),
            ],
        )
    )
    return alt.LayerChart(layer=[bars]).properties(
        width=WIDTH, height=max(60, _BAR * len(order)), title="Comments per theme (negative in red)"
    )


def theme_trend_chart(trend: pd.DataFrame) -> alt.LayerChart:
    """Comments mentioning each theme, round by round (a line each, rounds in the order they
    ran). ``trend`` is ``comments.theme_trend()``."""
    require_columns(trend, ["round", "theme", "label", "comments", "share", "negative"], "theme trend chart")
    points = trend[["round", "label", "comments", "share", "negative"]].astype(
        {"round": str, "label": str, "comments": int, "share": float, "negative": int}
    )
    mentioned = points.groupby("label")["comments"].transform("sum") > 0
    points = points[mentioned]  # a theme no round mentioned is no line
    rounds = list(dict.fromkeys(trend["round"].astype(str)))
    lines = (
        alt.Chart(points)
        .mark_line(point=True)
        .encode(
            x=alt.X("round:N", sort=rounds, title="Pulse round", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("comments:Q", title="Comments", axis=whole_axis(points["comments"])),
            color=alt.Color("label:N", title="Theme"),
            tooltip=[
                alt.Tooltip("round:N", title="Round"),
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("comments:Q", title="Comments"),
                alt.Tooltip("negative:Q", title="Negative"),
                alt.Tooltip("share:Q", title="% of the round's comments", format=".0f"),
            ],
        )
    )
    return alt.LayerChart(layer=[lines]).properties(width=WIDTH, height=240, title="Themes per round")


def _score_chart(
    by_round: pd.DataFrame, score: str, *, domain: tuple[int, int], title: str, axis: str
) -> alt.LayerChart:
    require_columns(by_round, ["round", "n", score], f"{score} chart")
    rows = by_round[["round", "n", score]].astype({"round": str, "n": int, score: float})
    rows["label"] = [
        f"{round(value)} (n = {n:,})" if pd.notna(value) else "not answered (n = 0)"
        for value, n in zip(rows[score], rows["n"])
    ]
    rows["at"] = rows[score].fillna(0.0).clip(lower=0.0)  # labels above the bar, or above 0 for a negative score
    order = rows["round"].tolist()
    x = alt.X("round:N", sort=order, title="Pulse round", axis=alt.Axis(labelAngle=0))
    tooltip = [
        alt.Tooltip("round:N", title="Round"),
        alt.Tooltip(f"{score}:Q", title=axis, format=".0f"),
        alt.Tooltip("n:Q", title="Answers (n)"),
    ]
    y = alt.Y(f"{score}:Q", title=axis, scale=alt.Scale(domain=list(domain), nice=False))
    bars = alt.Chart(rows).mark_bar(color=_SCORE_COLOUR, size=_BAR).encode(x=x, y=y, tooltip=tooltip)
    labels = (
        alt.Chart(rows)
        .mark_text(dy=-8, fontSize=11, color="#222")
        .encode(x=x, y=alt.Y("at:Q", scale=alt.Scale(domain=list(domain), nice=False)), text="label:N", tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#888").encode(y="y:Q")
    return alt.LayerChart(layer=[zero, bars, labels]).properties(width=WIDTH, height=240, title=title)


def whole_axis(counts: pd.Series) -> alt.Axis:
    """An axis of counts: whole-number ticks only (a count of 1 would show 0, 0.5 and 1 as 0, 1, 1)."""
    top = int(counts.max()) if len(counts) else 0
    if top <= _WHOLE_TICKS:
        return alt.Axis(values=list(range(top + 1)), format="d")
    return alt.Axis(format="d", tickMinStep=1)
