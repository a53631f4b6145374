"""A periodic call in a kernel: what keeps the workshop dashboard and the retrospective board
up to date without a reload (each open page re-reads the store every few seconds)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from traitlets import HasTraits

__all__ = ["Ticker"]

log = logging.getLogger("cpmkit")


class Ticker:
    """Calls ``tick`` every ``seconds`` until ``stop()``.

    In a kernel the calls run as a task on its event loop, between cell executions and widget
    messages, so they never race a user's click. Without a running loop (a plain script) a
    daemon thread makes the calls. ``tick`` should not raise; if it does, the error is logged
    and the ticking goes on.
    """

    def __init__(self, tick: Callable[[], None], seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"a refresh interval must be positive, not {seconds!r}")
        self.tick, self.seconds = tick, float(seconds)
        self._stopped = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Started and not stopped."""
        return (self._task is not None or self._thread is not None) and not self.stopped

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def start(self) -> None:
        """Start ticking (nothing happens while it runs); after ``stop()``, start again: each run
        has its own stop signal, so the run stopped before never ticks on beside the new one."""
        if self.running:
            return
        if self._stopped.is_set():
            self._stopped = threading.Event()
        stopped = self._stopped
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._task = None
            self._thread = threading.Thread(
                target=self._run_thread, args=(stopped,), name="cpmkit-refresh", daemon=True
            )
            self._thread.start()
        else:
            self._thread = None
            self._task = loop.create_task(self._run_task(stopped))

    def start_with(self, widget: HasTraits) -> None:
        """Start, and stop once ``widget`` is closed (its page went away, or it was replaced)."""
        self.start()
        widget.observe(lambda change: self.stop() if change["new"] is None else None, "comm")

    def stop(self) -> None:
        """Stop ticking; safe to call more than once, and from a tick."""
        self._stopped.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run_task(self, stopped: threading.Event) -> None:
        while not stopped.is_set():
            await asyncio.sleep(self.seconds)
            if not stopped.is_set():
                self._call()

    def _run_thread(self, stopped: threading.Event) -> None:
        while not stopped.wait(self.seconds):
            self._call()

    def _call(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("unexpected error in a periodic refresh")
