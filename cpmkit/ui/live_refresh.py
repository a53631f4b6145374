"""The live refresh a shared page does (a retrospective board, a health check): every few
seconds one cheap read of the store's version, and the full read and redraw only when it changed."""

from __future__ import annotations

from cpmkit.ui.ticker import Ticker
from cpmkit.ui.widgets import MessageArea, guard

__all__ = ["LiveRefresh"]


class LiveRefresh:
    """Base of a live page: it gives ``_version()`` (the store's cheap check), ``_read()`` (the
    full read and redraw), ``live_message`` (where a failed read is said) and ``ticker`` (None:
    no periodic refresh, as in tests, which call ``tick()``). After a person's own change the
    page calls ``_load()``, so the next tick does not read the board again for it."""

    live_message: MessageArea
    ticker: Ticker | None
    #: The version the page shows, read before the read it shows, so a change in between redraws again.
    seen: object = None

    def _version(self) -> object:
        raise NotImplementedError

    def _read(self) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        """One periodic check: one cheap read; the page is re-read and redrawn only if it changed."""
        with guard(self.live_message):
            if self._version() != self.seen:
                self._load()

    def refresh(self) -> None:
        """Re-read and redraw the whole page."""
        with guard(self.live_message):
            self._load()

    def stop(self) -> None:
        """Stop the periodic refresh for good (the page is closed or replaced)."""
        if self.ticker is not None:
            self.ticker.stop()

    def _load(self) -> None:
        """Read and redraw the page, and note the version it shows."""
        seen = self._version()
        self._read()
        self.seen = seen
