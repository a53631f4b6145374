"""A participant's competency profile chart, as a Vega-Lite spec written out directly: the one
chart every participant's kernel draws (on the results page), so it is made without Altair, which
would cost each of a room's kernels about 30 MB and 0.4 s. The other soft-skills charts are
Altair's (``cpmkit.soft_skills.charts``); the tests validate this spec against the same schema.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cpmkit.core.frames import require_fields
from cpmkit.core.vega_lite import SCHEMA_URL, WIDTH

__all__ = ["DEFAULT_SCALE", "chart_height", "competency_profile_chart"]

#: The answer scale when the caller does not say otherwise (the default bank's 1 'never' .. 5 'always').
DEFAULT_SCALE = (1, 5)
_ROW_HEIGHT = 28
_MIN_HEIGHT = 60


def _number(value: Any) -> float:
    """A score as a number; NaN for none (no score yet, or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def chart_height(rows: int) -> int:
    """A chart's height for ``rows`` competencies, one per line (a few lines at least)."""
    return max(_MIN_HEIGHT, _ROW_HEIGHT * rows)


def competency_profile_chart(
    scores: Sequence[Mapping[str, Any]], *, scale: tuple[int, int] = DEFAULT_SCALE
) -> dict[str, Any]:
    """A participant's score per competency as bars on the answer scale (1 to 5 by default).

    ``scores`` is ``soft_skills.competency_score_rows()``; its order (the bank's) is kept. A
    competency without a score yet keeps its row, labelled "incomplete" instead of a bar.
    """
    require_fields(scores, ["name", "score"], "competency profile chart")
    low, high = scale
    order = [str(row["name"]) for row in scores]
    values = [_number(row["score"]) for row in scores]
    scored = [{"name": n, "score": v, "base": float(low)} for n, v in zip(order, values) if not math.isnan(v)]
    incomplete = [
        {"name": n, "base": float(low), "label": "incomplete"} for n, v in zip(order, values) if math.isnan(v)
    ]
    domain = {"domain": [low, high], "nice": False, "zero": False}
    x = {
        "field": "score",
        "type": "quantitative",
        "scale": domain,
        "axis": {"values": list(range(low, high + 1)), "format": "d"},
        "title": "Score",
    }
    y: dict[str, Any] = {"field": "name", "type": "nominal", "sort": order, "title": None}
    if order:  # every name listed, even without a bar
        y["scale"] = {"domain": order}
    tooltip = [
        {"field": "name", "type": "nominal", "title": "Competency"},
        {"field": "score", "type": "quantitative", "format": ".2f"},
    ]
    text = {"type": "text", "align": "left", "dx": 4}
    return {
        "$schema": SCHEMA_URL,
        "title": "My competency profile",
        "width": WIDTH,
        "height": chart_height(len(order)),
        "datasets": {"scores": scored, "incomplete": incomplete},
        "layer": [
            {
                "data": {"name": "scores"},
                "mark": {"type": "bar", "color": "#1f4e79"},
                "encoding": {"x": x, "x2": {"field": "base"}, "y": y, "tooltip": tooltip},
            },
            {
                "data": {"name": "scores"},
                "mark": {**text, "color": "#333"},
                "encoding": {"x": x, "y": y, "text": {"field": "score", "type": "quantitative", "format": ".2f"}},
            },
            {
                "data": {"name": "incomplete"},
                "mark": {**text, "color": "#888", "fontStyle": "italic"},
                "encoding": {
                    "x": {"field": "base", "type": "quantitative", "scale": domain},
                    "y": y,
                    "text": {"field": "label", "type": "nominal"},
                },
            },
        ],
    }
