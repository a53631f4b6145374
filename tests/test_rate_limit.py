"""The sliding-window rate limiter (cpmkit.rate_limit), on a fake clock."""

from __future__ import annotations

import pytest

from cpmkit.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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
