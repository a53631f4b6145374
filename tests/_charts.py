"""What the chart tests share: a builder's Vega-Lite spec, checked, and the rows of one of its
inline datasets. A module of its own, imported by the chart test modules."""

from __future__ import annotations

import json
from typing import Any

import altair as alt


def chart_spec(chart: alt.TopLevelMixin | dict[str, Any]) -> dict[str, Any]:
    """The chart's Vega-Lite spec (an Altair layered chart's, or one written out as a dict),
    validated against the schema Altair draws with (raises if invalid) and plain JSON (no NaN),
    as the page receives it."""
    if isinstance(chart, dict):
        assert chart["$schema"] == alt.SCHEMA_URL
        alt.LayerChart.from_dict(chart, validate=True)
        spec = chart
    else:
        assert isinstance(chart, alt.LayerChart)
        spec = chart.to_dict(validate=True)
    assert json.loads(json.dumps(spec, allow_nan=False)) == spec
    return spec


def datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every inline dataset of the spec, in the order Altair stored them."""
    return list(spec.get("datasets", {}).values())


def rows_with(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The rows of the (single) dataset whose rows have ``key``; [] if only empty datasets."""
    found = [rows for rows in datasets(spec) if rows and key in rows[0]]
    assert len(found) <= 1
    return found[0] if found else []
