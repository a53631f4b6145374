"""A widget that draws a chart (Altair's, or a Vega-Lite spec) in the browser with no network access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from cpmkit.serving.offline import chart_module

if TYPE_CHECKING:  # a kernel drawing only Vega-Lite specs never imports Altair
    import altair as alt

__all__ = ["VegaChart"]


class VegaChart(anywidget.AnyWidget):
    """Shows one chart; ``draw()`` replaces it in place.

    The browser module is the offline bundle from ``cpmkit.serving.offline`` (Vega included), or
    under ``cpmkit serve`` an import of it from the server, so nothing is fetched from a CDN.
    """

    spec = traitlets.Dict().tag(sync=True)

    @property
    def _esm(self) -> str:
        return chart_module()

    def __init__(self, chart: alt.TopLevelMixin | dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("cpmkit-chart-widget")
        if chart is not None:
            self.draw(chart)

    def draw(self, chart: alt.TopLevelMixin | dict[str, Any]) -> None:
        """Replace the chart shown: an Altair chart or a Vega-Lite spec (a dict, not changed here).
        Charts come from the workbooks' chart modules, whose tests validate them; skipping
        validation here saves the kernel a schema walk on every redraw."""
        spec = dict(chart) if isinstance(chart, dict) else chart.to_dict(validate=False)
        # One image to a screen reader, named by its title: not hundreds of unnamed marks.
        config = spec.setdefault("config", {})
        config.setdefault("aria", False)  # axes and legends
        config.setdefault("mark", {}).setdefault("aria", False)  # every mark
        spec.setdefault("description", _title(spec))
        self.spec = spec


def _title(spec: dict[str, Any]) -> str:
    """A chart's title as plain text (Vega-Lite allows a string, lines, or an object with text)."""
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text) or "Chart"
