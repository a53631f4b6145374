"""The JavaScript that draws charts without a network: Vega, Vega-Lite and Vega-Embed,
bundled once by vl-convert with cpmkit's render module, then cached on disk.

Altair's default output loads these libraries from a CDN, which workshop rooms and corporate
networks block. Bundling runs V8 inside vl-convert (about 1.5 s and 130 MB), so it happens in
a short-lived subprocess and its result is cached: kernels only read a file.
Run ``python -m cpmkit.serving.offline`` to build the cache ahead of time (``cpmkit serve`` does).

Under ``cpmkit serve`` a chart's module is a few lines that import the library from the server
(``LIBRARY_ROUTE``, cached by the browser for good, since its name carries its digest), not the
library itself: sent in every chart widget's state it was 0.9 MB per chart per participant over
the websocket, with no compression and no cache (367 MB for a room of 200 on the venue's Wi-Fi).
Elsewhere (JupyterLab, or a notebook run by hand) the module is the whole library, as before.

A chart also becomes a file here, in the kernel: ``chart_png`` and ``chart_svg`` draw its
Vega-Lite spec with the Vega that vl-convert carries, and its own fonts where the machine has
none (a PNG's labels are drawn even then), so nothing is fetched. The first one costs
a PM's kernel about 0.4 s and 80 MB (V8); participants' kernels never call them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Final

from cpmkit import config
from cpmkit.core.vega_lite import SCHEMA_VERSION
from cpmkit.errors import CpmkitError

__all__ = [
    "LIBRARY_ROUTE",
    "PNG_MIME",
    "PNG_SCALE",
    "SERVED_LIBRARY_ENV",
    "SVG_MIME",
    "bundle_path",
    "chart_bundle",
    "chart_module",
    "chart_png",
    "chart_svg",
    "served_library",
    "vega_lite_version",
]

#: The media types of ``chart_png`` and ``chart_svg``, for a download.
PNG_MIME: Final = "image/png"
SVG_MIME: Final = "image/svg+xml"
#: Pixels per point of a PNG: sharp on a slide or a high-density screen.
PNG_SCALE: Final = 2.0
#: Where the server serves the bundle, under its base URL: the file name follows.
LIBRARY_ROUTE: Final = "cpmkit/chart/"
#: Set by ``cpmkit serve`` for its kernels: the bundle's path under the page's base URL.
SERVED_LIBRARY_ENV: Final = "CPMKIT_CHART_LIBRARY"
#: A chart's module when the server serves the library: it imports it from the page's server on
#: first use (the browser keeps it), tries again on a failed import (a phone on a room's Wi-Fi),
#: and says so in the chart's place if it cannot.
_LOADER: Final = """const config = JSON.parse(document.getElementById("jupyter-config-data")?.textContent || "{}");
const url = new URL((config.baseUrl || "/") + PATH, document.baseURI).href;
let library = null;
async function load() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await import(attempt ? `${url}?attempt=${attempt}` : url);
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}
export default {
  async render(context) {
    library ??= load().catch((error) => {
      library = null;
      throw error;
    });
    try {
      return (await library).default.render(context);
    } catch (error) {
      context.el.textContent = "The chart could not be loaded. Reload the page to try again.";
      throw error;
    }
  },
};
"""


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it ("v6.4.1" -> "6.4"),
    known without importing Altair (a kernel drawing only Vega-Lite specs never does)."""
    return ".".join(SCHEMA_VERSION.lstrip("v").split(".")[:2])


def _render_module() -> str:
    return resources.files("cpmkit.ui").joinpath("vega_chart.js").read_text(encoding="utf-8")


def bundle_path() -> Path:
    """Where the bundle for this render module, vl-convert and Vega-Lite version is cached."""
    key = "\n".join([_render_module(), metadata.version("vl-convert-python"), vega_lite_version()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return config.cache_dir() / f"vega-chart-{digest}.js"


@functools.cache
def chart_bundle() -> str:
    """The ES module the chart widget runs in the browser, built on first use."""
    path = bundle_path()
    if not path.exists():
        result = subprocess.run(
            [sys.executable, "-m", "cpmkit.serving.offline"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0 or not path.exists():
            raise CpmkitError(f"Could not build the offline chart library: {result.stderr.strip()[-500:]}")
    return path.read_text(encoding="utf-8")


def served_library() -> str:
    """The bundle's path under the server's base URL, as ``cpmkit serve`` hands it to its kernels."""
    return LIBRARY_ROUTE + bundle_path().name


def chart_module() -> str:
    """The ES module a chart widget runs: an import of the served library under ``cpmkit serve``
    (``SERVED_LIBRARY_ENV``), the whole library anywhere else."""
    served = os.environ.get(SERVED_LIBRARY_ENV)
    return _LOADER.replace("PATH", json.dumps(served)) if served else chart_bundle()


def chart_png(spec: dict[str, Any], *, scale: float = PNG_SCALE) -> bytes:
    """A Vega-Lite spec (data inline) drawn as a PNG image, offline."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(spec, vl_version=vega_lite_version(), scale=scale)
    return png


def chart_svg(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec (data inline) drawn as an SVG document, offline; its text names the
    font family ("sans-serif"), which the viewer's own fonts draw."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec, vl_version=vega_lite_version())
    return svg


def _build() -> Path:
    import vl_convert

    path = bundle_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = vl_convert.javascript_bundle(_render_module(), vl_version=vega_lite_version())
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(bundle, encoding="utf-8")
    partial.replace(path)  # atomic: kernels starting together never read half a file
    return path


if __name__ == "__main__":
    print(_build())
