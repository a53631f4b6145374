"""Altair charts of workbook 4's trends across sessions: the themes of retrospective cards, the
actions each retrospective agreed, carried over and completed, the pulse scores and comfort
questions per round (each point labelled with its n, hollow when it rests on few answers), and
workbook 3's gap per assessment date, weighted by importance. A DataFrame in, a new chart out, never displayed
here (the style of :mod:`cpmkit.feedback.charts`).

Inputs are the frames :mod:`cpmkit.feedback.trends` returns. Sessions run left to right in the
order they were held; a point no one answered is left out, never drawn at 0. Every spec is plain
JSON (dates as ISO text, blanks null), so the offline chart widget sends it as is and vl-convert
draws it as a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH
from cpmkit.core.frames import require_columns
from cpmkit.feedback.charts import whole_axis
from cpmkit.feedback.trends import OVERALL, SCORE_MEASURES
from cpmkit.gap.charts import zero_line

__all__ = [
    "ACTION_MEASURES",
    "OVERALL_LABEL",
    "action_trend_chart",
    "comfort_trend_chart",
    "gap_trend_chart",
    "score_trend_chart",
    "theme_trend_chart",
]

#: The bars of the action chart, in order, as the legend names them.
ACTION_MEASURES: Final = {
    "created": "agreed here",
    "carried_over": "carried over, still open",
    "completed_by_next": "done by the end of the next",
}
_ACTION_COLOURS: Final = ["#1f4e79", "#e67e22", "#27ae60"]
#: What the gap chart calls the line over all dimensions.
OVERALL_LABEL: Final = "All dimensions"
_CELL: Final = 34
#: No cards to the most cards: from near white to a mid blue, under dark text.
_CELL_COLOURS: Final = ["#f4f8fc", "#7fb0de"]
_HEIGHT: Final = 240


def theme_trend_chart(trend: pd.DataFrame) -> alt.LayerChart:
    """Cards per theme (rows) and retrospective (columns, in the order held), a deeper blue for
    more cards, the count written in it; recurring themes first, marked "(recurring)". Themes no
    card mentioned are left out. ``trend`` is ``trends.theme_trend()``."""
    require_columns(trend, ["retrospective", "theme", "label", "cards", "retrospectives", "recurring"], "theme chart")
    cells = trend[["retrospective", "label", "cards", "negative", "retrospectives", "recurring"]].astype(
        {"retrospective": str, "label": str, "cards": int, "negative": int, "retrospectives": int, "recurring": bool}
    )
    cells = cells[cells.groupby("label")["cards"].transform("sum") > 0]
    cells["theme"] = [
        f"{label} (recurring)" if again else label for label, again in zip(cells["label"], cells["recurring"])
    ]
    columns = list(dict.fromkeys(cells["retrospective"]))
    first = cells.drop_duplicates("theme")
    rows = first.sort_values(["recurring", "retrospectives"], ascending=False, kind="stable")["theme"].tolist()
    x = alt.X("retrospective:N", sort=columns, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    y = alt.Y("theme:N", sort=rows, title=None)
    tooltip = [
        alt.Tooltip("retrospective:N", title="Retrospective"),
        alt.Tooltip("label:N", title="Theme"),
        alt.Tooltip("cards:Q", title="Cards"),
        alt.Tooltip("negative:Q", title="Negative"),
        alt.Tooltip("retrospectives:Q", title="Retrospectives it came up in"),
    ]
    base = alt.Chart(cells).encode(x=x, y=y, tooltip=tooltip)
    squares = base.mark_rect(stroke="#fff").encode(  # light enough for the count written on it
        color=alt.Color("cards:Q", scale=alt.Scale(range=_CELL_COLOURS, domainMin=0), legend=None)
    )
    counts = base.mark_text(fontSize=11).encode(
        text="cards:Q",
        color=alt.condition(alt.datum.cards > 0, alt.value("#222"), alt.value("#999")),
    )
    return alt.LayerChart(layer=[squares, counts]).properties(
        width=max(WIDTH, _CELL * 2 * len(columns)),
        height=max(60, _CELL * len(rows)),
        title="Themes of the cards, per retrospective",
    )


def action_trend_chart(actions: pd.DataFrame) -> alt.LayerChart:
    """Per retrospective (in the order held), three bars side by side: the actions agreed there,
    those of earlier ones still open when it began, and of its own those done by the end of the next.
    ``actions`` is ``trends.action_trend()``."""
    require_columns(actions, ["retrospective", *ACTION_MEASURES, "next_held"], "action chart")
    rows = actions[["retrospective", *ACTION_MEASURES, "next_held"]].astype({"retrospective": str, "next_held": bool})
    long = rows.melt(
        id_vars=["retrospective", "next_held"], value_vars=list(ACTION_MEASURES), var_name="what", value_name="count"
    )
    long["count"] = long["count"].astype(int)
    long["what"] = long["what"].map(ACTION_MEASURES)
    long.loc[(long["what"] == ACTION_MEASURES["completed_by_next"]) & ~long["next_held"], "what"] = "done so far"
    long = long.drop(columns="next_held")
    order = list(dict.fromkeys(rows["retrospective"]))
    domain = [*ACTION_MEASURES.values(), "done so far"]
    x = alt.X("retrospective:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("what:N", sort=domain),
            y=alt.Y("count:Q", title="Actions", axis=whole_axis(long["count"])),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(domain=domain, range=[*_ACTION_COLOURS, "#a9dfbf"]),
                title=None,
                legend=alt.Legend(orient="bottom", columns=2),
            ),
            tooltip=[
                alt.Tooltip("retrospective:N", title="Retrospective"),
                alt.Tooltip("what:N", title="Actions"),
                alt.Tooltip("count:Q", title="How many"),
            ],
        )
    )
    return alt.LayerChart(layer=[bars]).properties(
        width=WIDTH, height=_HEIGHT, title="Actions per retrospective: agreed, carried over, done"
    )


def score_trend_chart(pulse: pd.DataFrame) -> alt.LayerChart:
    """NPS and CSAT (% satisfied) per pulse round on one -100..100 axis, a line each, every point
    labelled with its n and hollow below the small-n threshold. ``pulse`` is ``trends.pulse_trend()``."""
    require_columns(pulse, ["measure"], "score chart")
    return _round_lines(
        pulse[pulse["measure"].isin(SCORE_MEASURES)],
        domain=(-100, 100),
        title="NPS and CSAT per pulse round",
        axis="Score",
    )


def comfort_trend_chart(pulse: pd.DataFrame) -> alt.LayerChart:
    """The comfort questions' mean answer per pulse round on their scale, a line each, every point
    labelled with its n and hollow below the small-n threshold. ``pulse`` is ``trends.pulse_trend()``."""
    require_columns(pulse, ["measure", "low", "high"], "comfort chart")
    rows = pulse[~pulse["measure"].isin(SCORE_MEASURES)]
    low = int(rows["low"].min()) if len(rows) else 1
    high = int(rows["high"].max()) if len(rows) else 5
    return _round_lines(rows, domain=(low, high), title="Comfort questions per pulse round", axis="Mean answer")


def gap_trend_chart(trend: pd.DataFrame, names: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Workbook 3's gap per assessment date, weighted by importance: a line per dimension (named
    by ``names``) and a thick dark one over all dimensions, all on one gap scale, with the zero line where perception meets
    expectation. ``trend`` is ``trends.weighted_gap_trend()``."""
    require_columns(trend, ["assessed_on", "dimension", "weighted_gap", "stakeholders"], "gap trend chart")
    points = trend[["assessed_on", "dimension", "weighted_gap", "stakeholders"]].astype(
        {"dimension": str, "weighted_gap": float, "stakeholders": int}
    )
    points["assessed_on"] = pd.to_datetime(points["assessed_on"]).dt.strftime("%Y-%m-%d").astype(str)
    named = {**(names or {}), OVERALL: OVERALL_LABEL}
    points["overall"] = points["dimension"] == OVERALL
    points["dimension"] = points["dimension"].map(lambda d: named.get(d, d))
    lines_in = [d for d in dict.fromkeys(points["dimension"]) if d != OVERALL_LABEL] + [OVERALL_LABEL]
    days = sorted(set(points["assessed_on"]))  # one place per assessment, however far apart
    x = alt.X("assessed_on:O", sort=days, title="Assessed on", axis=alt.Axis(labelAngle=0))
    lines = (
        alt.Chart(points)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("weighted_gap:Q", title="Mean gap, weighted by importance (perceived - expected)"),
            color=alt.Color(
                "dimension:N", sort=lines_in, title="Dimension", legend=alt.Legend(orient="bottom", columns=2)
            ),
            strokeWidth=alt.StrokeWidth(
                "overall:N", scale=alt.Scale(domain=[True, False], range=[3.5, 1.5]), legend=None
            ),
            tooltip=[
                alt.Tooltip("dimension:N", title="Dimension"),
                alt.Tooltip("assessed_on:N", title="Assessed on"),
                alt.Tooltip("weighted_gap:Q", title="Mean gap, weighted", format="+.2f"),
                alt.Tooltip("stakeholders:Q", title="Stakeholders"),
            ],
        )
    )
    return alt.LayerChart(layer=[zero_line(), lines]).properties(
        width=WIDTH, height=_HEIGHT, title="Gap per assessment, weighted by importance"
    )


def _round_lines(rows: pd.DataFrame, *, domain: tuple[int, int], title: str, axis: str) -> alt.LayerChart:
    """A line per measure over the rounds (in ``rows``' order), points labelled "n = 4", hollow
    where ``small_n``; a round no one answered has no point."""
    require_columns(rows, ["round", "measure", "label", "value", "n", "small_n"], title)
    points = rows[["round", "label", "value", "n", "small_n"]].astype(
        {"round": str, "label": str, "value": float, "n": int, "small_n": bool}
    )
    order = list(dict.fromkeys(points["round"]))
    points = points[points["value"].notna()].copy()
    points["few"] = points["small_n"].map({True: "few answers", False: "enough answers"})
    points["n_label"] = [f"n = {n:,}" for n in points["n"]]
    x = alt.X("round:N", sort=order, title="Pulse round", axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", title=axis, scale=alt.Scale(domain=list(domain), nice=False))
    colour = alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=360))
    tooltip = [
        alt.Tooltip("round:N", title="Round"),
        alt.Tooltip("label:N", title="Measure"),
        alt.Tooltip("value:Q", title=axis, format=".1f"),
        alt.Tooltip("n:Q", title="Answers (n)"),
        alt.Tooltip("few:N", title="Answers"),
    ]
    base = alt.Chart(points).encode(x=x, y=y, color=colour, tooltip=tooltip)
    lines = base.mark_line()
    dots = base.mark_point(size=70, strokeWidth=2).encode(
        fill=alt.condition(alt.datum.small_n, alt.value("white"), alt.Fill("label:N", legend=None)),
    )
    counts = base.mark_text(dy=-11, fontSize=10).encode(text="n_label:N")
    return alt.LayerChart(layer=[lines, dots, counts]).properties(width=WIDTH, height=_HEIGHT, title=title)
