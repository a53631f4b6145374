"""The sliding-window rate limiter (cpmkit.core.rate_limit), on a fake clock: the window, both ways
of counting (every event, or failures only), keys kept apart and bounded, threads, and bad
settings refused."""

from __future__ import annotations

import threading

import pytest

from cpmkit.core import rate_limit
from cpmkit.core.rate_limit import DEFAULT_MAX_KEYS, RateLimiter
from cpmkit.errors import TooManyTries


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_event_past_the_limit_is_refused_with_the_wait_until_the_window_frees() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("ip") for _ in range(3)] == [None, None, None]
    clock.now += 10
    assert limiter.hit("ip") == pytest.approx(50)
    assert limiter.wait_seconds("other") is None  # keys are separate
    clock.now += 50
    assert limiter.hit("ip") is None  # the first event left the window


def test_a_refused_event_is_not_counted_and_reset_forgets_the_key() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    limiter.hit("u")
    for _ in range(100):
        assert limiter.hit("u") is not None
    clock.now += 10
    assert limiter.hit("u") is None  # the refusals did not push the window on
    limiter.reset("u")
    assert limiter.wait_seconds("u") is None


def test_the_keys_remembered_are_bounded_least_recent_first() -> None:
    limiter = RateLimiter(1, 60, clock=Clock(), max_keys=100)
    for n in range(1000):
        limiter.hit(f"address {n}")
    assert len(limiter._events) == 100
    assert limiter.wait_seconds("address 999") is not None
    assert limiter.wait_seconds("address 0") is None  # forgotten


@pytest.mark.parametrize(("limit", "per", "keys"), [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_a_limiter_that_could_allow_nothing_is_a_programming_error(limit: int, per: float, keys: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit, per, max_keys=keys)


def test_exported_names() -> None:
    assert sorted(rate_limit.__all__) == ["Clock", "DEFAULT_MAX_KEYS", "RateLimiter", "TooManyTries"]


def test_limit_tries_are_allowed_then_the_next_waits_for_the_oldest_to_leave_the_window(clock: Clock) -> None:
    limiter = RateLimiter(5, 60, clock=clock)
    for _try in range(5):
        assert limiter.hit("kernel") is None
        clock.now += 1
    assert limiter.hit("kernel") == pytest.approx(55)  # the first try leaves the window at 60
    assert limiter.hit("kernel") == pytest.approx(55)  # a refused try is not counted
    clock.now += 54.5
    assert limiter.hit("kernel") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.hit("kernel") is None  # the first try is a minute old
    assert limiter.hit("kernel") == pytest.approx(1)  # the second is a minute old one second later


def test_never_more_than_limit_in_any_window(clock: Clock) -> None:
    limiter = RateLimiter(3, 10, clock=clock)
    allowed: list[float] = []
    for _step in range(400):  # a try every quarter second for 100 seconds
        if limiter.hit("k") is None:
            allowed.append(clock.now)
        clock.now += 0.25
    assert all(later - earlier >= 10 for earlier, later in zip(allowed, allowed[3:]))
    assert len(allowed) == 30  # and the limit is reached: 3 every 10 seconds


def test_counting_failures_only(clock: Clock) -> None:
    limiter = RateLimiter(2, 60, clock=clock)
    for _right_code in range(10):
        assert limiter.wait_seconds("kernel") is None  # asking counts nothing
    limiter.record("kernel")
    limiter.record("kernel")
    assert limiter.wait_seconds("kernel") == pytest.approx(60)
    clock.now += 60
    assert limiter.wait_seconds("kernel") is None


def test_require_raises_with_the_wait(clock: Clock) -> None:
    limiter = RateLimiter(1, 30, clock=clock)
    limiter.require("k")
    clock.now += 18
    with pytest.raises(TooManyTries, match=r"^Too many tries: wait 12 seconds and try again\.$") as caught:
        limiter.require("k")
    assert caught.value.wait_seconds == pytest.approx(12)


def test_keys_are_bounded_forgetting_the_least_recently_used(clock: Clock) -> None:
    limiter = RateLimiter(1, 60, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.hit(key)
    assert limiter.hit("a") is not None  # "a" is used again: "b" is now the least recent
    limiter.hit("d")
    assert len(limiter) == 3
    assert limiter.hit("b") is None  # forgotten, so allowed again ...
    assert limiter.hit("a") is not None and limiter.hit("d") is not None  # ... the others are not
    for key in range(1000):
        limiter.hit(key)
    assert len(limiter) == 3
    assert RateLimiter(1, 1).max_keys == DEFAULT_MAX_KEYS


def test_the_default_clock_is_monotonic() -> None:
    limiter = RateLimiter(1, 3600)
    assert limiter.hit("k") is None
    wait = limiter.hit("k")
    assert wait is not None and 3599 < wait <= 3600


def test_threads_sharing_a_limiter_never_exceed_the_limit() -> None:
    limiter = RateLimiter(50, 3600)
    allowed: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(100):
            if limiter.hit("shared") is None:
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
        ((True, 60), {}, "limit must be"),
        ((2.5, 60), {}, "limit must be"),
        ((5, float("inf")), {}, "per_seconds must be"),
        ((5, float("nan")), {}, "per_seconds must be"),
        ((5, 60), {"max_keys": 1.5}, "max_keys must be"),
    ],
)
def test_settings_of_the_wrong_kind_are_refused_with_what_was_given(
    args: tuple[object, object], kwargs: dict[str, object], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        RateLimiter(*args, **kwargs)  # type: ignore[arg-type]


def test_failures_counts_a_try_only_when_the_block_fails(clock: Clock) -> None:
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
    assert limiter.wait_seconds("k") is None
    with pytest.raises(LookupError), limiter.failures("k", LookupError):
        raise LookupError("the third wrong code")
    clock.now += 30
    with pytest.raises(TooManyTries, match="wait 30 seconds") as caught, limiter.failures("k", LookupError):
        ran.append("never")
    assert caught.value.wait_seconds == pytest.approx(30)
    assert ran == ["right"] * 5 + ["wrong"] * 2
    clock.now += 30  # the wrong tries have left the window
    for _boom in range(3):
        with pytest.raises(RuntimeError), limiter.failures("k"):  # no errors named: any Exception counts
            raise RuntimeError("boom")
    assert limiter.wait_seconds("k") == pytest.approx(60)
