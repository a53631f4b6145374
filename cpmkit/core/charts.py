"""Altair building blocks the workbooks' charts share: the chart width and the dumbbell.

A chart function takes a DataFrame and returns a new chart, never displayed here.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cpmkit.core.vega_lite import WIDTH

__all__ = ["WIDTH", "dumbbell"]


def dumbbell(
    long: pd.DataFrame, *, x: alt.X, order: list[str], key: str, colours: dict[str, str], tooltip: list[Any]
) -> alt.LayerChart:
    """One row per ``name`` in ``order``: a dot per value of ``key`` (coloured by ``colours``),
    joined by a line, so the distance between two views of the same thing stands out."""
    y = alt.Y("name:N", sort=order, title=None)
    line = alt.Chart(long).mark_line(color="#999").encode(x=x, y=y, detail="name:N")
    dots = (
        alt.Chart(long)
        .mark_point(filled=True, size=120)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                f"{key}:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())), title=None
            ),
            tooltip=tooltip,
        )
    )
    return alt.LayerChart(layer=[line, dots]).properties(width=WIDTH, height=max(60, 28 * len(order)))
