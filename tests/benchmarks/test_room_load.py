"""benchmarks/room_load.py's own arithmetic: percentiles, answers lost, verdicts. The load itself
is a measurement (benchmarks/README.md), far too big for the suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOM_LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "room_load.py"


@pytest.fixture(scope="module")
def room_load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("room_load", ROOM_LOAD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["room_load"] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["room_load"]
    return module


def test_percentiles_are_nearest_rank(room_load: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert room_load.percentile(values, 50) == 50.0
    assert room_load.percentile(values, 95) == 95.0
    assert room_load.percentile(list(reversed(values)), 100) == 100.0
    assert room_load.percentile([7.0], 95) == 7.0
    assert room_load.percentile([], 50) is None


def test_a_spread_gives_its_count_median_p95_and_max(room_load: ModuleType) -> None:
    spread = room_load.Spread.of([0.3, 0.1, 0.2, 5.0])
    assert (spread.n, spread.p50, spread.p95, spread.max) == (4, 0.2, 5.0, 5.0)
    assert spread.text("ms", 1000) == "p50 200.00 / p95 5000.00 / max 5000.00 ms (n=4)"
    assert room_load.Spread.of([]).text() == "n/a"


def test_answers_lost_are_those_missing_or_stored_with_another_value(room_load: ModuleType) -> None:
    sent = {("Ann", "q1"): 3, ("Ann", "q2"): 4, ("Bob", "q1"): 5}
    stored = {("Ann", "q1"): 3, ("Ann", "q2"): 2, ("Cy", "q1"): 1}  # Bob's answer never arrived
    assert room_load.lost(sent, stored) == (1, 1)
    assert room_load.lost(sent, dict(sent)) == (0, 0)


def test_a_target_not_measured_fails(room_load: ModuleType) -> None:
    assert room_load.verdict(0.5, 0.5) == "PASS"
    assert room_load.verdict(0.51, 0.5) == "FAIL"
    assert room_load.verdict(None, 0.5) == "FAIL"


def test_the_report_names_the_server_options_with_those_added(room_load: ModuleType) -> None:
    options = room_load.server_options(["--CpmkitVoila.max_kernels=400", "--CpmkitVoila.fork_kernels=True"])
    assert "--MappingKernelManager.cull_connected=False" in options
    assert options[-2:] == ["--CpmkitVoila.max_kernels=400", "--CpmkitVoila.fork_kernels=True"]
    assert "--CpmkitVoila.max_kernels=0" not in options
    assert not any(option.startswith("--port=") for option in options)


def test_with_workers_the_report_names_serves_options(room_load: ModuleType) -> None:
    options = room_load.server_options(["--max-kernels=400"], workers=2)
    assert "--workers=2" in options and "--fork-kernels" in options
    assert [part for part in options if part.startswith("--max-kernels")] == ["--max-kernels=400"]
