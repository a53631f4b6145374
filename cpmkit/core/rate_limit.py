"""A small sliding-window rate limiter, in memory: sign-in attempts, bad links, kernel starts,
join codes and trainer keys.

At most ``limit`` events per key within any ``per_seconds`` window: with ``RateLimiter(5, 60)``
five wrong codes in a row are allowed, and the sixth waits until the first is a minute old.
Pure apart from the clock, which is injected so tests need no sleeping. Nothing is shared
between processes: the web server keeps its own (per client address or user name), and each
kernel (one page) keeps its own for the codes and keys typed in it. The number of keys it
remembers is bounded, so a flood of new keys (addresses, usernames) cannot grow it without
limit: the least recently used key is forgotten first. Thread-safe.

Two ways to count:

* ``hit(key)``: count this event if it is allowed, else return the seconds to wait (every
  event counts, such as a kernel start);
* ``wait_seconds(key)`` before a try and ``record(key)`` after a failed one (only failures
  count, such as wrong codes: someone who types the right code is never slowed down), or the
  same around a block: ``with limiter.failures(key, NotFoundError): look the code up``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Final

from cpmkit.errors import TooManyTries

__all__ = ["DEFAULT_MAX_KEYS", "Clock", "RateLimiter", "TooManyTries"]

#: How many keys a limiter remembers by default.
DEFAULT_MAX_KEYS: Final = 10_000

#: A source of seconds that never goes back, such as ``time.monotonic``.
Clock = Callable[[], float]


class RateLimiter:
    """At most ``limit`` events per key (any hashable: a client address, a user name, a
    constant for a kernel's own count) within any ``per_seconds`` window."""

    def __init__(
        self, limit: int, per_seconds: float, *, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of events, 1 or more, not {limit!r}")
        if not math.isfinite(per_seconds) or per_seconds <= 0:
            raise ValueError(f"per_seconds must be a positive number of seconds, not {per_seconds!r}")
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be a whole number, 1 or more, not {max_keys!r}")
        self.limit, self.per_seconds, self.clock, self.max_keys = limit, float(per_seconds), clock, max_keys
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()  # key -> its last events, oldest first
        self._lock = threading.Lock()

    def wait_seconds(self, key: Hashable) -> float | None:
        """Seconds until ``key`` may act again, or None if it may act now (nothing is counted)."""
        with self._lock:
            return self._wait(key, self.clock())

    def hit(self, key: Hashable) -> float | None:
        """Count one event for ``key`` if allowed; returns None, or the seconds to wait (not counted)."""
        with self._lock:
            now = self.clock()
            wait = self._wait(key, now)
            if wait is None:
                self._count(key, now)
            return wait

    def record(self, key: Hashable) -> None:
        """Count one event for ``key`` even past the limit (a failed try, when only failures count)."""
        with self._lock:
            self._count(key, self.clock())

    def require(self, key: Hashable) -> None:
        """``hit(key)``, raising TooManyTries (with the wait) when ``key`` must wait."""
        wait = self.hit(key)
        if wait is not None:
            raise TooManyTries.after(wait)

    @contextmanager
    def failures(self, key: Hashable, *errors: type[Exception]) -> Iterator[None]:
        """Around one try of ``key`` that counts only when it fails: raises TooManyTries (and
        the block does not run) while ``key`` must wait; counts the try when the block raises
        one of ``errors`` (any Exception if none is given), which then goes on up.

        Between the check and the count another thread may try too, so with threads a few
        more than ``limit`` failures can get through; use ``hit`` where that matters."""
        wait = self.wait_seconds(key)
        if wait is not None:
            raise TooManyTries.after(wait)
        counted = errors or (Exception,)
        try:
            yield
        except counted:
            self.record(key)
            raise

    def reset(self, key: Hashable) -> None:
        """Forget ``key`` (e.g. after a successful sign-in): it may act ``limit`` times again at once."""
        with self._lock:
            self._events.pop(key, None)

    def __len__(self) -> int:
        """How many keys are remembered (at most ``max_keys``)."""
        return len(self._events)

    def _wait(self, key: Hashable, now: float) -> float | None:
        events = self._events.get(key)
        if events is None:
            return None
        self._events.move_to_end(key)  # a key still trying is recently used, even when refused
        if len(events) < self.limit:
            return None
        wait = events[0] + self.per_seconds - now  # until the oldest of the last ``limit`` leaves the window
        return wait if wait > 0 else None

    def _count(self, key: Hashable, now: float) -> None:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque(maxlen=self.limit)
        events.append(now)
        self._events.move_to_end(key)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)  # the least recently used key
