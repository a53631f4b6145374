"""The Ticker: periodic calls on the kernel's event loop, or a daemon thread without one."""

from __future__ import annotations

import asyncio
import threading

import ipywidgets as W
import pytest

from cpmkit.ui.ticker import Ticker


def test_the_ticker_runs_on_the_kernels_event_loop() -> None:
    calls: list[str] = []

    async def main() -> Ticker:
        enough = asyncio.Event()

        def tick() -> None:
            calls.append(threading.current_thread().name)
            if len(calls) >= 2:
                enough.set()

        ticker = Ticker(tick, 0.01)
        ticker.start()
        assert ticker._thread is None and ticker.running
        await asyncio.wait_for(enough.wait(), timeout=5)
        ticker.stop()
        seen = len(calls)
        await asyncio.sleep(0.05)
        assert len(calls) == seen, "no tick after stop"
        return ticker

    ticker = asyncio.run(main())
    assert set(calls) == {threading.main_thread().name}
    assert ticker._task is not None and ticker._task.done()


def test_the_ticker_thread_survives_a_failing_tick(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    enough = threading.Event()

    def tick() -> None:
        calls.append(1)
        if len(calls) >= 2:
            enough.set()
        raise RuntimeError("boom")

    ticker = Ticker(tick, 0.01)
    ticker.start()
    assert enough.wait(timeout=5)
    ticker.stop()
    assert ticker._thread is not None
    ticker._thread.join(timeout=5)
    assert not ticker._thread.is_alive()
    assert "periodic refresh" in caplog.text
    ticker.stop()  # twice is fine


def test_a_refresh_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Ticker(lambda: None, 0)


def test_a_ticker_started_with_a_widget_stops_when_the_widget_closes() -> None:
    page = W.VBox()
    ticker = Ticker(lambda: None, 60)
    ticker.start_with(page)
    assert ticker.running
    page.close()
    assert ticker.stopped
    assert ticker._thread is not None
    ticker._thread.join(timeout=5)
    assert not ticker._thread.is_alive()


def test_a_stopped_ticker_starts_again_and_the_stopped_run_ends() -> None:
    calls: list[int] = []
    ticker = Ticker(lambda: calls.append(1), 0.01)
    ticker.start()
    first = ticker._thread
    ticker.stop()
    ticker.start()
    assert ticker.running and ticker._thread is not first
    assert first is not None
    first.join(timeout=5)
    assert not first.is_alive()  # its own stop signal stays set
    seen = len(calls)
    deadline = threading.Event()
    deadline.wait(0.1)
    assert len(calls) > seen  # the new run ticks
    ticker.stop()
    assert ticker._thread is not None
    ticker._thread.join(timeout=5)
    assert not ticker._thread.is_alive()
