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


async def test_one_429_slows_nobody_down_but_a_run_of_them_pauses_everyone() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep, run_length=4)
    for _ in range(200):
        throttle.on_success()
        t.now += 0.005
    # The rejected request waits its own Retry-After (the request loop does): nobody else.
    throttle.on_rate_limited(retry_after=0.5, fallback_delay=0.1)
    assert throttle.paused_for == 0.0
    for _ in range(3):  # four 429s in a row, no success between: the server refuses everything
        throttle.on_rate_limited(retry_after=0.5, fallback_delay=0.1)
    assert throttle.paused_for == pytest.approx(0.5)
    await throttle.acquire()
    assert t.sleeps and sum(t.sleeps) == pytest.approx(0.5)


async def test_the_first_429_seeds_the_pace_from_retry_after_not_from_the_burst() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    for _ in range(40):  # a burst allowance used up in 20 ms
        throttle.on_success()
        t.now += 0.0005
    # A token bucket's Retry-After is the wait for its next token: one interval of its rate.
    throttle.on_rate_limited(retry_after=0.02, fallback_delay=0.1)
    assert throttle.mode == "rate"
    assert throttle.rate == pytest.approx(50.0)
    # Measured between two 429s, the pace follows what the server accepts.
    for _ in range(15):
        t.now += 1 / 30  # 30 per second accepted
        throttle.on_success()
    throttle.on_rate_limited(retry_after=0.02, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(30.0, rel=0.05)
    # 429s from requests already in flight do not cut it again straight away.
    t.now += 0.01
    throttle.on_rate_limited(retry_after=0.02, fallback_delay=0.1)
    assert throttle.rate == pytest.approx(30.0, rel=0.05)


async def test_pace_probes_upward_while_no_429_arrives_and_ends_after_a_while() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    throttle.on_success()
    throttle.on_rate_limited(retry_after=0.02, fallback_delay=0.1)
    start = throttle.rate
    assert start is not None
    t.now += 0.15
    throttle.on_success()
    assert throttle.rate is not None and start * 1.05 < throttle.rate < start * 1.2
    t.now += 0.85  # a second after the cut: a rate that came back is found again
    throttle.on_success()
    assert throttle.rate is not None and throttle.rate > start * 4
    t.now += 1.0
    throttle.on_success()
    assert throttle.rate is None and throttle.idle


async def test_repeated_429s_without_successes_never_collapse_the_pace() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep, min_rate=1.0)
    throttle.on_rate_limited(retry_after=0.01, fallback_delay=0.1)
    first = throttle.rate
    assert first == pytest.approx(100.0)
    t.now += 0.2
    throttle.on_rate_limited(retry_after=0.01, fallback_delay=0.1)
    rate = throttle.rate
    assert first is not None and rate is not None
    assert rate >= first / 4  # at most a quarter per measuring span
    for _ in range(20):
        t.now += 1.0
        throttle.on_rate_limited(retry_after=0.01, fallback_delay=0.1)
    assert throttle.rate is not None and throttle.rate >= 1.0


async def test_paced_acquires_are_spaced() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    throttle.on_success()
    throttle.on_rate_limited(retry_after=0.01, fallback_delay=0.0001)
    rate = throttle.rate
    assert rate is not None
    start = t.now
    await asyncio.gather(*(throttle.acquire() for _ in range(5)))
    assert t.now - start >= 4 / (rate * 1.05)  # the pace probes upward a little meanwhile
    assert throttle.in_flight == 5
    for _ in range(5):
        throttle.release()
    assert throttle.in_flight == 0
