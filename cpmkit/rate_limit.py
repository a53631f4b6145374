"""A small rate limiter: at most ``limit`` tries per ``per_seconds`` for each key.

Used where a guess costs an attacker little and the page a lot, or where a secret could be
guessed by trying: workshop join codes and trainer keys (per kernel, in the UI), and by the web
server for sign-ins and kernel starts (per client). Pure: the clock is injected, nothing is
shared between processes, no I/O.

The limiter is a sliding window: each key keeps the moments of its last ``limit`` tries, and
a try is allowed while fewer than ``limit`` of them fall in the last ``per_seconds``. So with
``RateLimiter(5, 60)`` five wrong codes in a row are allowed, and the sixth waits until the
first is a minute old: never more than 5 in any minute. At most ``max_keys`` keys are kept;
past that the key used least recently is forgotten (as if it had not tried), so memory stays
bounded (``max_keys * limit`` moments) whatever keys a client makes up.

Two ways to count:

* ``check(key)``: count this try if it is allowed, else return the seconds to wait (count
  every try, such as a kernel start);
* ``retry_after(key)`` before the try and ``record(key)`` after a failed one (count failures
  only, such as wrong codes: someone who types the right code is never slowed down), or the
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
    """At most ``limit`` tries per ``per_seconds`` for each key (any hashable: a client address,
    a workshop id, a name); thread-safe."""

    def __init__(
        self, limit: int, per_seconds: float, *, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of tries, 1 or more, not {limit!r}")
        if not math.isfinite(per_seconds) or per_seconds <= 0:
            raise ValueError(f"per_seconds must be a positive number of seconds, not {per_seconds!r}")
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be a whole number, 1 or more, not {max_keys!r}")
        self.limit, self.per_seconds, self.max_keys = limit, float(per_seconds), max_keys
        self._clock = clock
        self._tries: OrderedDict[Hashable, deque[float]] = OrderedDict()  # key -> its last tries, oldest first
        self._lock = threading.Lock()

    def check(self, key: Hashable) -> float | None:
        """None, and this try counted, if ``key`` may try now; else the seconds to wait (not counted)."""
        with self._lock:
            now = self._clock()
            wait = self._wait(key, now)
            if wait is None:
                self._count(key, now)
            return wait

    def retry_after(self, key: Hashable) -> float | None:
        """None if ``key`` may try now, else the seconds to wait; counts nothing."""
        with self._lock:
            return self._wait(key, self._clock())

    def record(self, key: Hashable) -> None:
        """Count one try of ``key`` (a failed one, when only failures count)."""
        with self._lock:
            self._count(key, self._clock())

    def require(self, key: Hashable) -> None:
        """``check(key)``, raising TooManyTries (with the wait) when ``key`` must wait."""
        wait = self.check(key)
        if wait is not None:
            raise TooManyTries.after(wait)

    @contextmanager
    def failures(self, key: Hashable, *errors: type[Exception]) -> Iterator[None]:
        """Around one try of ``key`` that counts only when it fails: raises TooManyTries (and
        the block does not run) while ``key`` must wait; counts the try when the block raises
        one of ``errors`` (any Exception if none is given), which then goes on up.

        Between the check and the count another thread may try too, so with threads a few
        more than ``limit`` failures can get through; use ``check`` where that matters."""
        wait = self.retry_after(key)
        if wait is not None:
            raise TooManyTries.after(wait)
        counted = errors or (Exception,)
        try:
            yield
        except counted:
            self.record(key)
            raise

    def reset(self, key: Hashable) -> None:
        """Forget ``key``'s tries: it may try ``limit`` times again at once."""
        with self._lock:
            self._tries.pop(key, None)

    def __len__(self) -> int:
        """How many keys are remembered (at most ``max_keys``)."""
        return len(self._tries)

    def _wait(self, key: Hashable, now: float) -> float | None:
        tries = self._tries.get(key)
        if tries is None:
            return None
        self._tries.move_to_end(key)  # a key still trying is recently used, even when refused
        if len(tries) < self.limit:
            return None
        wait = tries[0] + self.per_seconds - now  # until the oldest of the last ``limit`` leaves the window
        return wait if wait > 0 else None

    def _count(self, key: Hashable, now: float) -> None:
        tries = self._tries.get(key)
        if tries is None:
            tries = self._tries[key] = deque(maxlen=self.limit)
        tries.append(now)
        self._tries.move_to_end(key)
        while len(self._tries) > self.max_keys:
            self._tries.popitem(last=False)  # the least recently used key
