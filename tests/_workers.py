"""What each process that ``run_in_processes`` (tests/conftest.py) starts runs around its
worker. A module of its own: a spawned process imports what it runs by module name."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any


def report(worker: Callable[..., Any], results: Any, barrier: Any, index: int, *args: Any) -> None:
    """Run ``worker(barrier, index, *args)``; put ``("ok", index, what it returned)`` or
    ``("error", index, traceback)`` on ``results``, exactly once."""
    try:
        results.put(("ok", index, worker(barrier, index, *args)))
    except BaseException:  # noqa: BLE001 - reported to the test, which fails with the traceback
        results.put(("error", index, traceback.format_exc()))
