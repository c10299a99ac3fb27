import asyncio

import pytest

from twvideo_async import AdaptiveThrottle, RateLimiter, TokenBucket
from twvideo_async.errors import ConfigurationError


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_token_bucket_allows_a_burst_then_paces() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, burst=3, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert t.sleeps == []
    await bucket.acquire()
    assert t.sleeps == [pytest.approx(0.1)]
    waits = [bucket.reserve() for _ in range(3)]
    assert waits == [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3)]


def test_token_bucket_rejects_bad_rates() -> None:
    with pytest.raises(ConfigurationError, match="> 0"):
        TokenBucket(0)
    with pytest.raises(ConfigurationError, match="burst"):
        TokenBucket(5, burst=0)


def test_token_bucket_fits_the_limiter_protocol() -> None:
    assert isinstance(TokenBucket(1), RateLimiter)


async def test_throttle_is_free_until_the_first_429() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(50):
        await throttle.acquire()
        throttle.on_success()
    assert t.sleeps == [] and throttle.rate is None


async def test_429_pauses_everyone_and_paces_at_the_accepted_rate() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(200):  # the server accepted 200 requests in the last second
        throttle.on_success()
        t.now += 0.005
    throttle.on_rate_limited(retry_after=0.5, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(190.0, rel=0.01)
    assert throttle.paused_for == pytest.approx(0.5)
    # 429s from requests already in flight do not lower the pace again straight away.
    t.now += 0.05
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(190.0, rel=0.01)
    await throttle.acquire()
    assert t.sleeps[0] == pytest.approx(0.45)


async def test_an_initial_burst_is_not_taken_for_the_sustained_rate() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(40):  # a burst allowance used up in 20 ms
        throttle.on_success()
        t.now += 0.0005
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    first = throttle.rate
    assert first is not None and first <= 40 / 0.2
    # Measured again over a longer span, the pace settles to what the server accepts.
    for _ in range(20):
        t.now += 0.02  # 50 per second accepted
        throttle.on_success()
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(50 * 0.95, rel=0.05)


async def test_pace_recovers_while_no_429_arrives_and_ends_after_a_quiet_period() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        throttle.on_success()
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    start = throttle.rate
    assert start is not None
    t.now += 2.0
    throttle.on_success()
    t.now += 1.0
    throttle.on_success()
    assert throttle.rate is not None and throttle.rate > start
    t.now += 60
    throttle.on_success()
    assert throttle.rate is None


async def test_repeated_429s_without_successes_halve_the_pace() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(40):
        throttle.on_success()
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    first = throttle.rate
    assert first is not None
    t.now += 5
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(first / 2)


async def test_paced_acquires_are_spaced() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        throttle.on_success()
    throttle.on_rate_limited(retry_after=None, fallback_delay=0.0001)
    t.now += 0.001
    rate = throttle.rate
    assert rate is not None
    start = t.now
    await asyncio.gather(*(throttle.acquire() for _ in range(5)))
    assert t.now - start >= 4 / rate * 0.99
