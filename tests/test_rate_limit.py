"""Unit tests of cpmkit.rate_limit.RateLimiter, on a fake clock: the window, both ways of
counting, keys kept apart and bounded, and bad settings refused."""

from __future__ import annotations

import threading

import pytest

from cpmkit import rate_limit
from cpmkit.errors import TooManyTries
from cpmkit.rate_limit import DEFAULT_MAX_KEYS, RateLimiter


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_exported_names() -> None:
    assert sorted(rate_limit.__all__) == ["Clock", "DEFAULT_MAX_KEYS", "RateLimiter", "TooManyTries"]


def test_limit_tries_are_allowed_then_the_next_waits_for_the_oldest_to_leave_the_window(clock: FakeClock) -> None:
    limiter = RateLimiter(5, 60, clock=clock)
    for _try in range(5):
        assert limiter.check("kernel") is None
        clock.advance(1)
    assert limiter.check("kernel") == pytest.approx(55)  # the first try leaves the window at 60
    assert limiter.check("kernel") == pytest.approx(55)  # a refused try is not counted
    clock.advance(54.5)
    assert limiter.check("kernel") == pytest.approx(0.5)
    clock.advance(0.5)
    assert limiter.check("kernel") is None  # the first try is a minute old
    assert limiter.check("kernel") == pytest.approx(1)  # the second is a minute old one second later


def test_never_more_than_limit_in_any_window(clock: FakeClock) -> None:
    limiter = RateLimiter(3, 10, clock=clock)
    allowed: list[float] = []
    for _step in range(400):  # a try every quarter second for 100 seconds
        if limiter.check("k") is None:
            allowed.append(clock.now)
        clock.advance(0.25)
    assert all(later - earlier >= 10 for earlier, later in zip(allowed, allowed[3:]))
    assert len(allowed) == 30  # and the limit is reached: 3 every 10 seconds


def test_counting_failures_only(clock: FakeClock) -> None:
    limiter = RateLimiter(2, 60, clock=clock)
    for _right_code in range(10):
        assert limiter.retry_after("kernel") is None  # asking counts nothing
    limiter.record("kernel")
    limiter.record("kernel")
    assert limiter.retry_after("kernel") == pytest.approx(60)
    clock.advance(60)
    assert limiter.retry_after("kernel") is None


def test_keys_are_counted_apart_and_reset_forgets_one(clock: FakeClock) -> None:
    limiter = RateLimiter(1, 60, clock=clock)
    assert limiter.check(("10.0.0.1", "sign-in")) is None
    assert limiter.check(("10.0.0.2", "sign-in")) is None
    assert limiter.check(42) is None
    assert limiter.check(("10.0.0.1", "sign-in")) == pytest.approx(60)
    limiter.reset(("10.0.0.1", "sign-in"))
    limiter.reset("never seen")
    assert limiter.check(("10.0.0.1", "sign-in")) is None
    assert limiter.check(("10.0.0.2", "sign-in")) == pytest.approx(60)


def test_require_raises_with_the_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(1, 30, clock=clock)
    limiter.require("k")
    clock.advance(18)
    with pytest.raises(TooManyTries, match=r"^Too many tries: wait 12 seconds and try again\.$") as caught:
        limiter.require("k")
    assert caught.value.wait_seconds == pytest.approx(12)


def test_keys_are_bounded_forgetting_the_least_recently_used(clock: FakeClock) -> None:
    limiter = RateLimiter(1, 60, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.check(key)
    assert limiter.check("a") is not None  # "a" is used again: "b" is now the least recent
    limiter.check("d")
    assert len(limiter) == 3
    assert limiter.check("b") is None  # forgotten, so allowed again ...
    assert limiter.check("a") is not None and limiter.check("d") is not None  # ... the others are not
    for key in range(1000):
        limiter.check(key)
    assert len(limiter) == 3
    assert RateLimiter(1, 1).max_keys == DEFAULT_MAX_KEYS


def test_the_default_clock_is_monotonic() -> None:
    limiter = RateLimiter(1, 3600)
    assert limiter.check("k") is None
    wait = limiter.check("k")
    assert wait is not None and 3599 < wait <= 3600


def test_threads_sharing_a_limiter_never_exceed_the_limit() -> None:
    limiter = RateLimiter(50, 3600)
    allowed: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(100):
            if limiter.check("shared") is None:
                with lock:
                    allowed.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 50


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((0, 60), {}, "limit must be"),
        ((True, 60), {}, "limit must be"),
        ((2.5, 60), {}, "limit must be"),
        ((5, 0), {}, "per_seconds must be"),
        ((5, float("inf")), {}, "per_seconds must be"),
        ((5, float("nan")), {}, "per_seconds must be"),
        ((5, 60), {"max_keys": 0}, "max_keys must be"),
    ],
)
def test_bad_settings_are_refused(args: tuple[object, object], kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        RateLimiter(*args, **kwargs)  # type: ignore[arg-type]


def test_failures_counts_a_try_only_when_the_block_fails(clock: FakeClock) -> None:
    limiter = RateLimiter(3, 60, clock=clock)
    ran: list[str] = []
    for _right in range(5):
        with limiter.failures("k", LookupError):
            ran.append("right")
    for _wrong in range(2):
        with pytest.raises(LookupError), limiter.failures("k", LookupError):
            ran.append("wrong")
            raise LookupError("no such code")
    with pytest.raises(ValueError), limiter.failures("k", LookupError):
        raise ValueError("not a failure to count")  # goes up, not counted
    assert limiter.retry_after("k") is None
    with pytest.raises(LookupError), limiter.failures("k", LookupError):
        raise LookupError("the third wrong code")
    clock.advance(30)
    with pytest.raises(TooManyTries, match="wait 30 seconds") as caught, limiter.failures("k", LookupError):
        ran.append("never")
    assert caught.value.wait_seconds == pytest.approx(30)
    assert ran == ["right"] * 5 + ["wrong"] * 2
    clock.advance(30)  # the wrong tries have left the window
    for _boom in range(3):
        with pytest.raises(RuntimeError), limiter.failures("k"):  # no errors named: any Exception counts
            raise RuntimeError("boom")
    assert limiter.retry_after("k") == pytest.approx(60)
