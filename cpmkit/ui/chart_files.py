"""A chart with its downloads: the chart as the page draws it, and buttons that download it as a
PNG or an SVG file, made in the kernel at the click (``cpmkit.serving.offline``, vl-convert: no
network), as every workbook's downloads are (``cpmkit.ui.download``).

The files are made when asked for, not at each redraw: a PNG is some 50 KB and the first one
costs the kernel about 0.4 s, so a page of charts stays light until someone wants a file.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from cpmkit.serving.offline import PNG_MIME, SVG_MIME, chart_png, chart_svg
from cpmkit.ui.chart import VegaChart
from cpmkit.ui.download import DownloadButton, download_row

__all__ = ["ChartWithFiles"]


class ChartWithFiles:
    """A chart, and under it buttons that download it as PNG and as SVG. ``draw(chart, stem=...)``
    replaces the chart; the files are then ``stem``.png and .svg, of the chart shown at the click."""

    def __init__(self) -> None:
        self.chart = VegaChart()
        self.stem = "chart"
        self.png = DownloadButton(
            "PNG", filename=lambda: f"{self.stem}.png", mime=PNG_MIME, make=lambda: chart_png(self.chart.spec)
        )
        self.svg = DownloadButton(
            "SVG",
            filename=lambda: f"{self.stem}.svg",
            mime=SVG_MIME,
            make=lambda: chart_svg(self.chart.spec).encode("utf-8"),
        )
        files = download_row([W.HTML('<span class="cpmkit-help">Download the chart as</span>'), self.png, self.svg])
        self.widget = W.VBox([self.chart, files])
        self.widget.add_class("cpmkit-chart-files")

    def draw(self, chart: Any, *, stem: str) -> None:
        """Show ``chart`` (an Altair chart or a Vega-Lite spec); its files will be ``stem``.png and .svg."""
        self.chart.draw(chart)
        self.stem = stem
