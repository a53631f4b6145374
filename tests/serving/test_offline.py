"""The chart library is bundled once, offline, and cached; kernels only read the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cpmkit.core import vega_lite
from cpmkit.serving import offline


def test_bundle_is_built_into_the_cache_and_contains_no_remote_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPMKIT_CACHE_DIR", str(tmp_path))
    offline.chart_bundle.cache_clear()
    try:
        bundle = offline.chart_bundle()
    finally:
        offline.chart_bundle.cache_clear()
    assert offline.bundle_path().parent == tmp_path and offline.bundle_path().is_file()
    assert "export{" in bundle.replace(" ", "") and "render" in bundle
    assert not re.search(r"""import\s*(\(|[^;]*from)\s*["']https?://""", bundle), (
        "the bundle must not import from a URL"
    )


def test_bundle_name_changes_with_the_render_module(monkeypatch: pytest.MonkeyPatch) -> None:
    before = offline.bundle_path()
    monkeypatch.setattr(offline, "_render_module", lambda: "export default {};")
    assert offline.bundle_path() != before


def test_vega_lite_version_follows_altair() -> None:
    """Known without importing Altair in a kernel, and the very version Altair writes (an Altair
    upgrade fails here until cpmkit.core.vega_lite says the same)."""
    import altair

    assert (vega_lite.SCHEMA_VERSION, vega_lite.SCHEMA_URL) == (altair.SCHEMA_VERSION, altair.SCHEMA_URL)
    assert altair.SCHEMA_VERSION.lstrip("v").startswith(offline.vega_lite_version())


def test_under_serve_a_chart_imports_the_served_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chart's module is 0.9 MB with the library in it: sent in every chart's state that was
    the biggest part of a participant's traffic. Under ``cpmkit serve`` it imports it instead."""
    monkeypatch.delenv(offline.SERVED_LIBRARY_ENV, raising=False)
    assert offline.chart_module() == offline.chart_bundle()
    monkeypatch.setenv(offline.SERVED_LIBRARY_ENV, offline.served_library())
    module = offline.chart_module()
    assert len(module) < 2000 and f'"{offline.served_library()}"' in module
    assert "jupyter-config-data" in module and "export default" in module
