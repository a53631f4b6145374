"""The team health check's heat map: one row per dimension, one column per check (in the order
they ran), each cell coloured by the dimension's average score from red to green, with its
votes in the tooltip. A DataFrame in, a new chart out, never displayed here (the style of
:mod:`cpmkit.feedback.charts`).
"""

from __future__ import annotations

from typing import Final

import altair as alt
import pandas as pd

from cpmkit.core.charts import WIDTH
from cpmkit.core.frames import require_columns
from cpmkit.feedback.health.rules import COLOURS

__all__ = ["heat_map"]

#: Red, amber and green, for an average score of 0, 0.5 and 1.
_RAG: Final = ["#c0392b", "#f0a500", "#2e8b57"]
_ROW: Final = 30


def heat_map(history: pd.DataFrame) -> alt.LayerChart:
    """Dimension × check, coloured by the average score (0 red .. 1 green), a tooltip giving the
    check, the dimension, the votes (n) by colour and the score. ``history`` is
    ``health.rules.history()``; its row order is the order of checks and dimensions."""
    require_columns(history, ["check", "date", "name", "votes", *COLOURS, "score"], "health check heat map")
    cells = history[["check", "date", "name", "votes", *COLOURS, "score"]].astype(
        {"check": str, "name": str, "votes": int, "score": float, **dict.fromkeys(COLOURS, int)}
    )
    cells["date"] = cells["date"].map(lambda d: f"{d:%Y-%m-%d}")
    checks = list(dict.fromkeys(cells["check"]))
    names = list(dict.fromkeys(cells["name"]))
    rects = (
        alt.Chart(cells)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=alt.X("check:N", sort=checks, title="Check", axis=alt.Axis(labelAngle=-30, labelLimit=260)),
            y=alt.Y("name:N", sort=names, title=None),
            color=alt.Color(
                "score:Q",
                scale=alt.Scale(domain=[0, 0.5, 1], range=_RAG),
                title="Average (red 0, green 1)",
                legend=alt.Legend(format=".1f"),
            ),
            tooltip=[
                alt.Tooltip("check:N", title="Check"),
                alt.Tooltip("name:N", title="Dimension"),
                alt.Tooltip("votes:Q", title="Votes (n)"),
                alt.Tooltip("green:Q", title="Green"),
                alt.Tooltip("amber:Q", title="Amber"),
                alt.Tooltip("red:Q", title="Red"),
                alt.Tooltip("score:Q", title="Average (0 red .. 1 green)", format=".2f"),
            ],
        )
    )
    return alt.LayerChart(layer=[rects]).properties(
        width=min(WIDTH, max(120, 90 * len(checks))),
        height=max(60, _ROW * len(names)),
        title="Team health over time",
    )
