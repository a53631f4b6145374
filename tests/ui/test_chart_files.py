"""Unit tests of cpmkit.ui.chart_files: a chart becomes a PNG and an SVG in the kernel, offline
(vl-convert), offered as buttons that download them; the SVG loads nothing from
anywhere, and the PNG has its labels drawn."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pandas as pd

from cpmkit.feedback import trend_charts, trends
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.serving.offline import chart_png, chart_svg
from cpmkit.ui.chart_files import ChartWithFiles
from tests.feedback.test_trends import RESPONSES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Attributes and CSS that make an SVG viewer load something.
_LOADS = re.compile(
    r"""(?:href|src)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.IGNORECASE
)


def _spec() -> dict[str, Any]:
    return trend_charts.score_trend_chart(trends.pulse_trend(RESPONSES, pulse_survey())[0]).to_dict()


def test_a_chart_is_a_png_file() -> None:
    png = chart_png(_spec())
    assert png.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 800 and height > 400  # drawn at twice the page's size


def test_a_chart_is_an_svg_that_loads_nothing() -> None:
    svg = chart_svg(_spec())
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not _LOADS.search(svg)
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not (name.endswith("href") and value.strip().lower().startswith(("http:", "https:", "//")))
    assert "NPS" in svg and "n = 6" in svg  # the labels are text


def test_labels_are_drawn_in_the_png() -> None:
    """vl-convert draws text with its own fonts where the machine has none: labels change the image."""
    with_text = {"data": {"values": [{"a": "NPS"}]}, "mark": "text", "encoding": {"text": {"field": "a"}}}
    without = {**with_text, "data": {"values": [{"a": ""}]}}
    assert chart_png(with_text) != chart_png(without)


def test_the_buttons_make_the_files_of_the_chart_shown_at_the_click() -> None:
    chart = ChartWithFiles()
    chart.draw(trend_charts.score_trend_chart(trends.pulse_trend(RESPONSES, pulse_survey())[0]), stem="scores")
    name, png = chart.png.file()
    assert name == "scores.png" and png.startswith(PNG_SIGNATURE) and chart.png.mime == "image/png"
    name, svg = chart.svg.file()
    assert name == "scores.svg" and svg.startswith(b"<svg") and chart.svg.mime == "image/svg+xml"
    chart.draw(trend_charts.score_trend_chart(pd.DataFrame(columns=trends.PULSE_COLUMNS)), stem="other")
    assert chart.svg.file()[0] == "other.svg" and chart.svg.file()[1] != svg
