"""A chart with its downloads: the chart as the page draws it, and a button that makes it a PNG
and an SVG file in the kernel (``cpmkit.serving.offline``, vl-convert: no network) and offers
them as links that download from the page itself (``download_link``), as every workbook's
downloads do.

The files are made when asked for, not at each redraw: a PNG is some 50 KB (70 KB as a data
link) and the first one costs the kernel about 0.4 s, so a page of charts stays light until
someone wants a file.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from cpmkit.serving.offline import PNG_MIME, SVG_MIME, chart_png, chart_svg
from cpmkit.ui.chart import VegaChart
from cpmkit.ui.widgets import download_link, guard, message_area

__all__ = ["ChartWithFiles", "chart_downloads"]


def chart_downloads(spec: dict[str, Any], *, stem: str) -> str:
    """Links that download the chart ``spec`` as ``stem``.png and ``stem``.svg."""
    return " &middot; ".join(
        [
            download_link(chart_png(spec), filename=f"{stem}.png", mime=PNG_MIME, label="PNG"),
            download_link(chart_svg(spec).encode("utf-8"), filename=f"{stem}.svg", mime=SVG_MIME, label="SVG"),
        ]
    )


class ChartWithFiles:
    """A chart, and under it "Download as PNG or SVG": pressed, the links to both files.
    ``draw(chart, stem=...)`` replaces the chart (and drops links to the one before)."""

    def __init__(self) -> None:
        self.chart = VegaChart()
        self.stem = "chart"
        self.prepare = W.Button(description="Download as PNG or SVG", icon="download", layout=W.Layout(width="auto"))
        self.prepare.on_click(lambda _: self.make_files())
        self.links = W.HTML()
        self.message = message_area()
        self.widget = W.VBox([self.chart, W.HBox([self.prepare, self.links]), self.message])
        self.widget.add_class("cpmkit-chart-files")

    def draw(self, chart: Any, *, stem: str) -> None:
        """Show ``chart`` (an Altair chart or a Vega-Lite spec); its files will be ``stem``.png and .svg."""
        self.chart.draw(chart)
        self.stem = stem
        self.links.value = ""
        self.message.say("")

    def make_files(self) -> None:
        """Make the PNG and SVG of the chart shown, and show the links that download them."""
        with guard(self.message):
            self.links.value = chart_downloads(self.chart.spec, stem=self.stem)
