"""Unit tests of cpmkit.serving.chart_library: the chart library served once, compressed and cached."""

from __future__ import annotations

import gzip

from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from cpmkit.serving.chart_library import ROUTE, ChartLibraryHandler
from cpmkit.serving.offline import chart_bundle, served_library


class TestChartLibrary(AsyncHTTPTestCase):
    def get_app(self) -> Application:
        return Application([(ROUTE, ChartLibraryHandler)])

    def test_the_library_comes_compressed_and_kept_for_good(self) -> None:
        answer = self.fetch("/" + served_library(), headers={"Accept-Encoding": "gzip"}, decompress_response=False)
        assert answer.code == 200
        assert answer.headers["Content-Encoding"] == "gzip"
        assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert "immutable" in answer.headers["Cache-Control"]
        assert gzip.decompress(answer.body).decode() == chart_bundle()
        assert len(answer.body) < len(chart_bundle()) / 2

    def test_a_browser_without_gzip_gets_it_as_it_is(self) -> None:
        answer = self.fetch("/" + served_library(), headers={"Accept-Encoding": "identity"}, decompress_response=False)
        assert answer.code == 200 and "Content-Encoding" not in answer.headers
        assert answer.body.decode() == chart_bundle()

    def test_any_other_name_is_not_found(self) -> None:
        for path in ("/cpmkit/chart/vega-chart-0000000000000000.js", "/cpmkit/chart/..", "/cpmkit/chart/x"):
            assert self.fetch(path).code == 404, path
