"""The chart widget: what it sends the browser besides the chart itself."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cpmkit.ui.chart import VegaChart

DATA = pd.DataFrame({"name": ["a", "b"], "value": [1, 2]})


def test_a_chart_is_one_image_to_a_screen_reader_named_by_its_title() -> None:
    bars = alt.Chart(DATA).mark_bar().encode(x="value:Q", y="name:N")
    chart = VegaChart(bars.properties(title="Value per name"))
    assert chart.spec["description"] == "Value per name"
    assert chart.spec["config"]["aria"] is False and chart.spec["config"]["mark"]["aria"] is False
    chart.draw(bars.properties(title=alt.TitleParams(["Two", "lines"])))
    assert chart.spec["description"] == "Two lines"
    chart.draw(bars)
    assert chart.spec["description"] == "Chart"
    chart.draw(bars.properties(description="Said by the chart", title="Value"))
    assert chart.spec["description"] == "Said by the chart"
