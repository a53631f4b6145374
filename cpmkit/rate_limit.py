"""A small sliding-window rate limiter, in memory: sign-in attempts, bad links, kernel starts.

Pure apart from the clock, which is injected so tests need no sleeping. The number of keys
it remembers is bounded, so a flood of new keys (addresses, usernames) cannot grow it
without limit: the least recently used key is forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Final

__all__ = ["DEFAULT_MAX_KEYS", "RateLimiter"]

DEFAULT_MAX_KEYS: Final = 10_000


class RateLimiter:
    """At most ``limit`` events per key within any ``per_seconds`` window."""

    def __init__(
        self, limit: int, per_seconds: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        if limit < 1 or per_seconds <= 0 or max_keys < 1:
            raise ValueError("limit, per_seconds and max_keys must be positive")
        self.limit, self.per_seconds, self.clock, self.max_keys = limit, per_seconds, clock, max_keys
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def wait_seconds(self, key: Hashable) -> float | None:
        """Seconds until ``key`` may act again, or None if it may act now (nothing is counted)."""
        events = self._recent(key)
        if events is None or len(events) < self.limit:
            return None
        return max(0.0, events[0] + self.per_seconds - self.clock())

    def hit(self, key: Hashable) -> float | None:
        """Count one event for ``key`` if allowed; returns None, or the seconds to wait (not counted)."""
        wait = self.wait_seconds(key)
        if wait is not None:
            return wait
        events = self._events.setdefault(key, deque())
        self._events.move_to_end(key)
        events.append(self.clock())
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return None

    def reset(self, key: Hashable) -> None:
        """Forget ``key`` (e.g. after a successful sign-in)."""
        self._events.pop(key, None)

    def _recent(self, key: Hashable) -> deque[float] | None:
        events = self._events.get(key)
        if events is not None:
            cutoff = self.clock() - self.per_seconds
            while events and events[0] <= cutoff:
                events.popleft()
        return events
