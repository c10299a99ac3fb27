"""Storms against five shapes of server-side limit on loopback (issue 17 item 2, issue 12 item 3).

A real client, a real ``aiohttp.web`` server (``benchmarks.limit_shapes``) on 127.0.0.1, a few
hundred calls each: every call must succeed and the server must not be hammered. Speed is not
checked here (``python -m benchmarks.bench_limits`` measures it); the bounds are generous so a
loaded machine passes, a storm or a collapse does not.
"""

from __future__ import annotations

import asyncio
import collections
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.helpers import make_client
from tests.safety import safety_timeout
from twvideo_async import AdaptiveThrottle
from twvideo_async.errors import RateLimitError

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import limit_shapes as shapes  # noqa: E402

SAFETY = 120.0
CONCURRENCY = 50
Factory = Callable[[Callable[[], float]], shapes.Shape]

# Small versions of the five shapes: each run takes about a second of server capacity.
SHAPES: dict[str, tuple[Factory, int]] = {
    "leaky": (lambda clock: shapes.LeakyBucket(400.0, 20, clock=clock), 400),
    "token": (lambda clock: shapes.TokenBucket(200.0, 40, clock=clock), 300),
    "concurrency": (lambda clock: shapes.ConcurrencyCap(10, 0.02, clock=clock), 300),
    "schedule": (
        lambda clock: shapes.RateSchedule(
            [(0.3, 400.0), (0.6, 100.0), (1.0, 400.0)], 20, clock=clock
        ),
        300,
    ),
    "window": (lambda clock: shapes.FixedWindow(100, 0.5, clock=clock), 250),
}


async def _storm(name: str) -> tuple[dict[str, int], collections.Counter[str], str]:
    factory, calls = SHAPES[name]
    server = shapes.ShapeServer(factory(asyncio.get_running_loop().time))
    site = TestServer(server.app(), host="127.0.0.1")
    await site.start_server()
    errors: collections.Counter[str] = collections.Counter()
    try:
        origin = f"http://127.0.0.1:{site.port}"
        async with make_client(origin) as client:
            rooms = client.rooms
            remaining = iter(range(calls))

            async def worker() -> None:
                for _ in remaining:
                    try:
                        room = await rooms.fetch(shapes.ROOM_SID)
                        assert room.sid == shapes.ROOM_SID
                    except Exception as exc:
                        errors[type(exc).__name__] += 1

            server.shape.reset()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            throttle = client._requester.limits.throttle
            assert isinstance(throttle, AdaptiveThrottle)
            assert throttle.in_flight == 0  # every turn given back
            state = repr(throttle)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{origin}/_bench/stats") as response,
        ):
            stats: dict[str, int] = await response.json()
    finally:
        await site.close()
    stats["calls"] = calls
    return stats, errors, state


@pytest.mark.parametrize("name", list(SHAPES))
async def test_a_storm_against_each_limit_shape_ends_without_errors(name: str) -> None:
    async with safety_timeout(SAFETY):
        stats, errors, state = await _storm(name)
    assert errors == collections.Counter(), (errors, stats, state)
    assert stats["ok"] == stats["calls"]
    # The server did limit (the storm was real) and was not hammered.
    assert stats["limited"] > 0, stats
    assert stats["requests"] <= 1.6 * stats["calls"], (stats, state)


async def test_a_concurrency_cap_is_met_with_a_window_on_requests_in_flight() -> None:
    async with safety_timeout(SAFETY):
        _, errors, state = await _storm("concurrency")
    assert not errors
    assert "window=" in state  # the throttle limits requests in flight, not a rate


def test_shape_ideals_are_the_least_time_the_server_needs() -> None:
    def clock() -> float:
        return 0.0

    assert shapes.LeakyBucket(200.0, 20, clock=clock).ideal(2000) == pytest.approx(1979 / 200)
    assert shapes.TokenBucket(50.0, 50, clock=clock).ideal(1000) == pytest.approx(19.0)
    assert shapes.ConcurrencyCap(20, 0.05, clock=clock).ideal(2000) == pytest.approx(5.0)
    schedule = shapes.RateSchedule([(2.0, 200.0), (5.0, 50.0), (1.0, 200.0)], 20, clock=clock)
    assert schedule.ideal(2000) == pytest.approx(7.0 + (2000 - 21 - 400 - 250) / 200)
    assert shapes.FixedWindow(500, 5.0, clock=clock).ideal(1000) == pytest.approx(5.0)


def test_each_shape_refuses_past_its_limit_with_the_wait_it_needs() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    leaky = shapes.LeakyBucket(100.0, 2, clock=clock)
    assert [leaky.arrive() for _ in range(3)] == [None, None, None]
    assert leaky.arrive() == pytest.approx(0.01)
    token = shapes.TokenBucket(10.0, 2, clock=clock)
    assert [token.arrive(), token.arrive()] == [None, None]
    assert token.arrive() == pytest.approx(0.1)
    cap = shapes.ConcurrencyCap(1, 0.05, clock=clock)
    assert cap.arrive() is None and cap.arrive() == pytest.approx(0.05)
    cap.leave()
    assert cap.arrive() is None
    window = shapes.FixedWindow(1, 5.0, clock=clock)
    assert window.arrive() is None
    now[0] = 1.0
    assert window.arrive() == pytest.approx(4.0)
    now[0] = 5.0
    assert window.arrive() is None
    schedule = shapes.RateSchedule([(1.0, 10.0), (1.0, 1.0)], 0, clock=clock)
    schedule.reset()  # its clock starts at 5.0
    assert schedule.arrive() is None and schedule.arrive() == pytest.approx(0.1)
    now[0] = 6.5  # in the slow phase: a request every second
    assert schedule.arrive() is None and schedule.arrive() == pytest.approx(1.0)


async def test_a_final_429_reports_twilio_concurrent_requests() -> None:
    server = shapes.ShapeServer(shapes.ConcurrencyCap(0, 0.0, clock=lambda: 0.0))
    site = TestServer(server.app(), host="127.0.0.1")
    await site.start_server()
    try:
        origin = f"http://127.0.0.1:{site.port}"
        async with safety_timeout(SAFETY), make_client(origin, max_rate_limit_retries=0) as client:
            with pytest.raises(RateLimitError) as info:
                await client.rooms.fetch(shapes.ROOM_SID)
            assert info.value.status == 429 and info.value.code == 20429
    finally:
        await site.close()
    assert info.value.concurrent_requests == 1


def test_the_benchmark_prints_each_throttle_beside_the_goals(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_limits",
            "--quick",
            "--shapes",
            "window",
            "--throttles",
            "current,previous",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "x ideal (goal <= 1.1)" in done.stdout and "errors (goal 0)" in done.stdout
    assert "| AdaptiveThrottle (now) |" in done.stdout
    assert "| previous throttle |" in done.stdout
    runs = json.loads(out.read_text())
    assert {r["throttle"] for r in runs} == {"current", "previous"}
    assert all(r["errors"] == 0 and r["server_429s"] > 0 for r in runs)


async def test_after_a_storm_ordinary_calls_do_not_time_out_in_the_limiter() -> None:
    """Issue 12 item 3: after a few 429s the client settles near what the server accepts instead
    of collapsing to a crawl, so calls with an ordinary timeout still finish. (The previous
    design paced this cap at about 2 requests/s: 120 of the 150 calls timed out.)"""
    loop = asyncio.get_running_loop()
    server = shapes.ShapeServer(shapes.ConcurrencyCap(10, 0.02, clock=loop.time))
    site = TestServer(server.app(), host="127.0.0.1")
    await site.start_server()
    try:
        origin = f"http://127.0.0.1:{site.port}"
        async with safety_timeout(SAFETY), make_client(origin, timeout=10) as client:
            results = await asyncio.gather(
                *(client.rooms.fetch(shapes.ROOM_SID) for _ in range(150)),
                return_exceptions=True,
            )
            assert [r for r in results if isinstance(r, BaseException)] == []
            throttle = client._requester.limits.throttle
            assert isinstance(throttle, AdaptiveThrottle)
            assert throttle.rate is None or throttle.rate >= 100.0  # never a crawl
            room = await client.with_options(timeout=2).rooms.fetch(shapes.ROOM_SID)
            assert room.sid == shapes.ROOM_SID
    finally:
        await site.close()
    assert server.counts["limited"] > 0
