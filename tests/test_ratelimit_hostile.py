"""The client-side limiters against hostile or overloaded servers (issue 12, items 1-3).

No timing assertions: the tests count requests, errors and the limiters' state, and every
test runs under a generous safety timeout so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, room_json, serve
from tests.safety import safety_timeout
from twvideo_async import AdaptiveThrottle, TokenBucket
from twvideo_async._options import RequestOptions, Timeout
from twvideo_async._request import Request
from twvideo_async._response import APIResponse
from twvideo_async.errors import APITimeoutError, RateLimitError

SAFETY = 60.0  # seconds: only a regression gets anywhere near this


def get(timeout: float | None = None) -> Request:
    options = RequestOptions(timeout=None if timeout is None else Timeout(total=timeout))
    return Request(
        method="GET", path_template="/v1/Rooms/{Sid}", path="/v1/Rooms/RM1", options=options
    )


class FakeTime:
    """A clock that moves only when told; sleeps block until cancelled or the clock passes."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        for _ in range(10_000):  # a sleeper nobody wakes fails the test instead of hanging it
            if self.now >= until:
                return
            await asyncio.sleep(0)
        raise TimeoutError("a fake sleep was never woken")


# -- 1. an absurd Retry-After never pauses the client beyond max_retry_after -----------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "1000000000"},
        {"retry-after-ms": "1e12"},
        {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"},
        {"Retry-After": "120"},  # simply above the default max_retry_after (60 s)
    ],
    ids=["1e9-seconds", "retry-after-ms-1e12", "year-9999", "above-cap"],
)
async def test_an_absurd_retry_after_does_not_stall_later_calls(headers: dict[str, str]) -> None:
    hits = {"n": 0}

    async def handler(request: web.Request) -> web.Response:
        hits["n"] += 1
        if hits["n"] == 1:
            return web.json_response(
                {"code": 20429, "message": "Too Many Requests", "status": 429},
                status=429,
                headers=headers,
            )
        return web.json_response(room_json())

    async with safety_timeout(SAFETY):
        async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
            async with make_client(base_url(server)) as client:
                with pytest.raises(RateLimitError) as info:
                    await client._requester.request(get())
                assert info.value.retry_after is not None and info.value.retry_after > 60
                throttle = client._requester.limits.throttle
                assert isinstance(throttle, AdaptiveThrottle)
                assert throttle.paused_for <= 60.0
                # Later calls to the now healthy server succeed, copies and timeout=None too.
                copy = client.with_options(timeout=None)
                short = client.with_options(timeout=5)
                assert (await client._requester.request(get(timeout=5))).status == 200
                assert (await short._requester.request(get())).status == 200
                assert (await copy._requester.request(get())).status == 200
    assert hits["n"] == 4


async def test_the_throttle_clamps_any_pause_it_is_told() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep, max_pause=5.0, run_length=2)
    # A run of 429s pauses the whole client (one alone only delays its own request).
    throttle.on_rate_limited(retry_after=1e9, fallback_delay=0.1)
    throttle.on_rate_limited(retry_after=1e9, fallback_delay=0.1)
    assert throttle.paused_for == pytest.approx(5.0)
    throttle.on_rate_limited(retry_after=float("inf"), fallback_delay=0.1)
    assert throttle.paused_for == pytest.approx(5.0)
    throttle.on_rate_limited(retry_after=float("nan"), fallback_delay=0.1)
    assert throttle.paused_for == pytest.approx(5.0)
    # Nor can a window end far away pause it beyond the cap.
    other = AdaptiveThrottle(clock=t.clock, sleep=t.sleep, max_pause=5.0)
    other.on_success()
    other.on_rate_limited(retry_after=50.0, fallback_delay=0.1)
    other.on_rate_limited(retry_after=50.0, fallback_delay=0.1)
    assert other.paused_for == pytest.approx(5.0)


# -- 2. a caller that gives up while waiting gives its slot back -------------------------------


async def test_cancelled_bucket_waiters_give_their_slots_back() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, burst=1, clock=t.clock, sleep=t.sleep)
    waiters = [asyncio.create_task(bucket.acquire()) for _ in range(300)]
    await asyncio.sleep(0)
    for task in waiters[1:]:
        task.cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert results[0] is None
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 299
    # Only the one request that went out still holds a place in the schedule.
    assert bucket.reserve() == pytest.approx(0.1)


async def test_mass_timeouts_in_the_read_bucket_do_not_push_the_schedule_out() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with safety_timeout(SAFETY):
        async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
            async with make_client(base_url(server), read_rate=10) as client:
                results = await asyncio.gather(
                    *(client._requester.request(get(timeout=0.3)) for _ in range(300)),
                    return_exceptions=True,
                )
                timed_out = [r for r in results if isinstance(r, APITimeoutError)]
                assert len(timed_out) > 250
                assert all(
                    isinstance(r, APITimeoutError)
                    or (isinstance(r, APIResponse) and r.status == 200)
                    for r in results
                )
                bucket = client._requester.limits.read
                assert bucket is not None
                # The schedule holds only the requests that went out (a few tenths of a
                # second), not the 29 seconds the timed-out callers had reserved.
                assert bucket.reserve() < 2.0
                assert (await client._requester.request(get(timeout=5))).status == 200


async def test_a_cancelled_pacer_waiter_gives_its_slot_back() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    throttle.on_success()
    throttle.on_rate_limited(retry_after=0.1, fallback_delay=0.0001)  # paced at 10 per second
    rate = throttle.rate
    assert rate is not None
    waiters = [asyncio.create_task(throttle.acquire()) for _ in range(100)]
    await asyncio.sleep(0)
    for task in waiters[1:]:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert throttle.in_flight == 1  # only the request that went out
    throttle.release()
    # The next caller waits at most one interval, not the 99 the cancelled callers queued for.
    start = t.now
    nxt = asyncio.create_task(throttle.acquire())
    for _ in range(100):
        if nxt.done():
            break
        t.now += 0.01
        await asyncio.sleep(0)
    assert nxt.done() and t.now - start <= 2.0 / rate
    throttle.release()


async def test_a_waiter_granted_as_it_is_cancelled_gives_its_turn_back() -> None:
    t = FakeTime()
    throttle = AdaptiveThrottle(clock=t.clock, sleep=t.sleep)
    throttle.on_success()
    throttle.on_rate_limited(retry_after=0.1, fallback_delay=0.1)
    assert throttle.mode == "rate"
    await throttle.acquire()  # takes the current slot
    waiter = asyncio.create_task(throttle.acquire())
    await asyncio.sleep(0)  # queued for the next slot
    t.now += 0.2
    throttle._dispatch()  # its turn comes...
    waiter.cancel()  # ...and its caller leaves before using it
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert throttle.in_flight == 1  # the turn was given back
    throttle.release()
    assert throttle.in_flight == 0
