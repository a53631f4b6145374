"""Unit tests of cpmkit.feedback.health.charts: the heat map's spec, its cells and tooltip."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.feedback.health.charts import heat_map
from cpmkit.feedback.health.rules import HISTORY_COLUMNS, HISTORY_ROW_COLUMNS, history
from tests._charts import chart_spec, rows_with


def test_heat_map_has_a_cell_per_check_and_dimension_with_n_in_the_tooltip() -> None:
    votes = [
        (board, title, dt.datetime(2026, month, 1), member, dim, colour)
        for board, title, month, colour in [(1, "March", 3, "red"), (2, "<b>April</b>", 4, "green")]
        for member in (1, 2, 3)
        for dim in ("pace", "fun")
    ]
    found = history(pd.DataFrame(votes, columns=HISTORY_ROW_COLUMNS), {"pace": "Pace", "fun": "Fun"})
    spec = chart_spec(heat_map(found))
    layer = spec["layer"][0]
    assert layer["mark"]["type"] == "rect"
    assert layer["encoding"]["x"]["sort"] == ["2026-03-01 · March", "2026-04-01 · <b>April</b>"]
    assert layer["encoding"]["y"]["sort"] == ["Pace", "Fun"]
    assert layer["encoding"]["color"]["field"] == "score"
    assert {"Votes (n)", "Green", "Amber", "Red"} <= {t.get("title") for t in layer["encoding"]["tooltip"]}
    cells = rows_with(spec, "score")
    assert len(cells) == 4 and {c["votes"] for c in cells} == {3}
    assert [c["score"] for c in cells] == [0.0, 0.0, 1.0, 1.0]


def test_an_empty_history_is_an_empty_chart() -> None:
    spec = chart_spec(heat_map(pd.DataFrame({c: [] for c in HISTORY_COLUMNS})))
    assert rows_with(spec, "score") == []
