"""Unit tests of cpmkit.ui.chart_files: a chart becomes a PNG and an SVG in the kernel, offline
(vl-convert), offered as links that download from the page; the SVG loads nothing from
anywhere, and the PNG has its labels drawn."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from typing import Any

import pandas as pd

from cpmkit.feedback import trend_charts, trends
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.serving.offline import chart_png, chart_svg
from cpmkit.ui.chart_files import ChartWithFiles, chart_downloads
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


def test_the_links_download_the_files_from_the_page() -> None:
    html = chart_downloads(_spec(), stem="project-1-pulse-scores")
    links = dict(re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', html))
    assert set(links) == {"project-1-pulse-scores.png", "project-1-pulse-scores.svg"}
    assert base64.b64decode(links["project-1-pulse-scores.png"]).startswith(PNG_SIGNATURE)
    assert base64.b64decode(links["project-1-pulse-scores.svg"]).startswith(b"<svg")
    assert 'href="data:image/png;base64,' in html and 'href="data:image/svg+xml;base64,' in html


def test_the_files_are_made_when_asked_for_and_dropped_with_a_new_chart() -> None:
    chart = ChartWithFiles()
    chart.draw(trend_charts.score_trend_chart(trends.pulse_trend(RESPONSES, pulse_survey())[0]), stem="scores")
    assert chart.links.value == ""
    chart.prepare.click()
    assert "scores.png" in chart.links.value and "scores.svg" in chart.links.value
    assert chart.message.value == ""
    chart.draw(trend_charts.score_trend_chart(pd.DataFrame(columns=trends.PULSE_COLUMNS)), stem="other")
    assert chart.links.value == ""
