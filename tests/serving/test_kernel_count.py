"""Unit tests of cpmkit.serving.kernel_count: the server's cap and kernel count, as its kernels read
them. The running server keeping the file is checked in test_web_gate.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from cpmkit.core.capacity import Capacity
from cpmkit.serving.kernel_count import KERNEL_COUNT_ENV, KernelCountFile, server_capacity

GB = 2**30
MB = 2**20


@pytest.fixture(autouse=True)
def six_gb_free(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=6 * GB))


def test_a_new_file_is_named_for_the_kernels_and_says_none_runs() -> None:
    environ: dict[str, str] = {}
    made = KernelCountFile.create(40, 64 * MB, environ)
    try:
        assert environ == {KERNEL_COUNT_ENV: str(made.path)}
        assert made.path.stat().st_mode & 0o077 == 0  # only the server's user reads it
        assert server_capacity(environ) == Capacity(40, 0, 6 * GB, 64 * MB)
        made.write(12)
        assert server_capacity(environ) == Capacity(40, 12, 6 * GB, 64 * MB)
        assert [p.name for p in made.path.parent.glob(made.path.name + "*")] == [made.path.name]  # no leftovers
    finally:
        made.remove()
    assert not made.path.exists()
    made.remove()  # twice is fine (it also runs at exit)


def test_outside_cpmkit_serve_or_without_a_readable_file_there_is_no_figure(tmp_path: Path) -> None:
    assert server_capacity({}) is None
    assert server_capacity({KERNEL_COUNT_ENV: str(tmp_path / "gone.json")}) is None
    for text in ("", "{", json.dumps({"cap": 3, "running": 1}), json.dumps({"cap": "x", "running": 1}), "[]"):
        (tmp_path / "bad.json").write_text(text)
        assert server_capacity({KERNEL_COUNT_ENV: str(tmp_path / "bad.json")}) is None, text
