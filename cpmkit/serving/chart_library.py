"""The offline chart library (``cpmkit.serving.offline``) served as one file every page imports.

Its name carries its digest, so a browser keeps it for good and a new build gets a new name;
it is sent compressed to a browser that accepts gzip (0.9 MB as it is, 0.3 MB compressed).
It is the same open-source JavaScript for everyone, so it needs no sign-in.
"""

from __future__ import annotations

import functools
import gzip

from tornado import web

from cpmkit.serving.offline import LIBRARY_ROUTE, bundle_path, chart_bundle

__all__ = ["ROUTE", "ChartLibraryHandler"]

#: The handler's route (no base URL: the server has none of its own).
ROUTE = "/" + LIBRARY_ROUTE + r"([\w.-]+)"
#: A year: the longest a cache is asked to keep anything.
_KEEP_SECONDS = 365 * 24 * 3600


@functools.cache
def _library() -> tuple[str, bytes, bytes]:
    """The bundle's file name, its bytes, and its bytes compressed (built once per server)."""
    text = chart_bundle().encode("utf-8")
    return bundle_path().name, text, gzip.compress(text, mtime=0)


class ChartLibraryHandler(web.RequestHandler):
    """GET the chart library by its current name; any other name is not found."""

    def get(self, name: str) -> None:
        current, text, compressed = _library()
        if name != current:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", f"public, max-age={_KEEP_SECONDS}, immutable")
        self.set_header("Vary", "Accept-Encoding")
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            self.finish(compressed)
        else:
            self.finish(text)
