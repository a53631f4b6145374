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
