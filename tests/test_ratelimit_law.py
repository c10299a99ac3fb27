"""The throttle's control law on virtual time (``tests/limit_sim.py``): each of issue 17's five
limit shapes at the issue's sizes, and limits that change kind mid-run.

Virtual time makes these runs deterministic (the clock jumps to the next timer), so the bounds
below are the issue's goals themselves: wall time within 1.1x of the shape's ideal, at most 1.3
requests per call, no call failing. The loopback runs in ``test_limit_shapes.py`` check the same
law through the real request loop, without timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.limit_sim import run_virtual, shapes, simulate
from twvideo_async import AdaptiveThrottle

Clock = Callable[[], float]
ISSUE: dict[str, Callable[[Clock], shapes.Shape]] = {
    "leaky": lambda c: shapes.LeakyBucket(200.0, 20, clock=c),
    "token": lambda c: shapes.TokenBucket(50.0, 50, clock=c),
    "concurrency": lambda c: shapes.ConcurrencyCap(20, 0.05, clock=c),
    "schedule": lambda c: shapes.RateSchedule(
        [(2.0, 200.0), (5.0, 50.0), (1.0, 200.0)], 20, clock=c
    ),
    "window": lambda c: shapes.FixedWindow(500, 5.0, clock=c),
}


@pytest.mark.parametrize("name", list(ISSUE))
def test_each_shape_at_the_issue_sizes_meets_the_goal(name: str) -> None:
    calls = shapes.ISSUE_CALLS[name]
    out, throttle, shape = simulate(ISSUE[name], calls, 100)
    assert out.errors == 0
    assert out.wall <= 1.1 * shape.ideal(calls) + 0.05, (out, throttle)
    assert out.requests_per_call <= 1.3, (out, throttle)
    assert throttle.in_flight == 0


def test_a_concurrency_cap_gets_a_window_at_the_cap() -> None:
    out, throttle, _ = simulate(ISSUE["concurrency"], 2000, 100)
    assert out.modes[-1] == "concurrency"
    assert throttle.window is not None and 18 <= throttle.window <= 21
    # The probe back up to the refused size is made a quarter as often, so the 429s it draws
    # are about one per 80 successes, not one per 20 (1.065 requests per call before).
    assert out.requests_per_call <= 1.055, out


def test_a_rate_limit_gets_a_pace_near_its_rate() -> None:
    out, throttle, _ = simulate(ISSUE["leaky"], 2000, 100)
    assert out.modes[-1] == "rate"
    assert throttle.rate is not None and 180 <= throttle.rate <= 260


def test_a_fixed_window_is_waited_for_not_paced() -> None:
    out, throttle, _ = simulate(ISSUE["window"], 1000, 100)
    assert "rate" not in out.modes  # the window's long Retry-After never became a pace
    assert throttle.rate is None


class Switch:
    """One shape until ``at`` seconds after the reset, another after it."""

    def __init__(self, first: shapes.Shape, second: shapes.Shape, at: float, clock: Clock):
        self.first, self.second, self.at, self.clock = first, second, at, clock
        self.name = "switch"
        self.started = clock()

    @property
    def current(self) -> shapes.Shape:
        return self.first if self.clock() - self.started < self.at else self.second

    @property
    def service(self) -> float:
        return self.current.service

    @property
    def sends_concurrency(self) -> bool:
        return self.current.sends_concurrency

    def reset(self) -> None:
        self.started = self.clock()

    def arrive(self) -> float | None:
        return self.current.arrive()

    def leave(self) -> None:
        # Requests accepted by the first shape may finish after the switch.
        self.first.leave()
        self.second.leave()

    def in_flight(self) -> int:
        return self.current.in_flight()

    def ideal(self, calls: int) -> float:
        return 0.0


def _blind_cap(clock: Clock) -> shapes.ConcurrencyCap:
    cap = shapes.ConcurrencyCap(10, 0.05, clock=clock)
    cap.sends_concurrency = False  # a cap that does not say so
    return cap


def test_a_rate_limit_that_becomes_a_concurrency_cap_switches_the_control() -> None:
    def make(clock: Clock) -> Switch:
        first = shapes.TokenBucket(100.0, 10, clock=clock)
        return Switch(first, shapes.ConcurrencyCap(10, 0.05, clock=clock), 3.0, clock)

    out, throttle, _ = simulate(make, 1200, 100)
    assert out.errors == 0
    assert "rate" in out.modes and out.modes[-1] == "concurrency"
    assert throttle.window is not None and throttle.window <= 12
    assert out.requests_per_call <= 1.3
    # 300 calls in the first 3 s at 100 r/s, then 200 r/s: about 7.5 s.
    assert out.wall <= 1.15 * 7.5


def test_a_concurrency_cap_that_becomes_a_rate_limit_switches_the_control() -> None:
    def make(clock: Clock) -> Switch:
        return Switch(_blind_cap(clock), shapes.TokenBucket(100.0, 10, clock=clock), 2.0, clock)

    out, throttle, _ = simulate(make, 1000, 100)
    assert out.errors == 0
    assert out.modes[0] == "concurrency" and out.modes[-1] == "rate"
    assert throttle.rate is not None and throttle.rate <= 150
    assert out.requests_per_call <= 1.3
    # 400 calls in the first 2 s at 200 r/s, then 100 r/s: about 8 s.
    assert out.wall <= 1.15 * 8.0


def test_a_new_pace_applies_at_once_to_callers_already_waiting() -> None:
    """100 callers queue behind a pace of 2.5 r/s: none holds a booked slot 40 s ahead, so as the
    pace probes upward they all go within a few seconds (the previous design: 40 s)."""

    async def main() -> float:
        loop = asyncio.get_running_loop()
        throttle = AdaptiveThrottle(clock=loop.time)
        throttle.on_success()
        throttle.on_rate_limited(retry_after=0.4, fallback_delay=0.5)
        assert throttle.rate == pytest.approx(2.5)
        start = loop.time()
        await asyncio.gather(*(throttle.acquire() for _ in range(100)))
        return loop.time() - start

    assert run_virtual(main) < 3.0


def test_a_lone_429_after_a_quiet_spell_does_not_bring_back_an_old_limit() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        throttle = AdaptiveThrottle(clock=loop.time, quiet_period=5.0)
        throttle.on_success()
        throttle.on_rate_limited(retry_after=0.01, fallback_delay=0.5)
        assert throttle.mode == "rate"
        await asyncio.sleep(6.0)
        assert throttle.idle and throttle.mode is None
        await throttle.acquire()  # no wait at all
        throttle.release()

    run_virtual(main)


def test_twilio_concurrent_requests_above_the_successes_marks_a_concurrency_cap() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        throttle = AdaptiveThrottle(clock=loop.time)
        throttle.on_success()
        throttle.on_rate_limited(0.01, 0.5)  # a request refused alone: a rate limit
        assert throttle.mode == "rate"
        for _ in range(30):
            await throttle.acquire()
        for _ in range(10):  # successes with up to 20 of the account's requests in flight
            throttle.release()
            throttle.on_success({"Twilio-Concurrent-Requests": "20"})
        throttle.release()
        throttle.on_rate_limited(0.01, 0.5, concurrent=12)  # no higher: a rate limit
        assert throttle.mode == "rate"
        throttle.on_success({"Twilio-Concurrent-Requests": "20"})
        throttle.release()
        throttle.on_rate_limited(0.01, 0.5, concurrent=25)  # higher than any success: a cap
        assert throttle.mode == "concurrency"
        assert throttle.window == 18  # what the server was serving of ours when it refused
        # Refused again within the same window of completions: no further cut...
        throttle.on_rate_limited(0.01, 0.5, concurrent=25)
        assert throttle.window == 18
        # ...and a full window is never exceeded: the 19th caller waits for a completion.
        assert throttle.in_flight == 18
        late = asyncio.ensure_future(throttle.acquire())
        await asyncio.sleep(0.1)
        assert not late.done() and throttle.in_flight == 18
        throttle.release()
        await late
        assert throttle.in_flight == 18

    run_virtual(main)
