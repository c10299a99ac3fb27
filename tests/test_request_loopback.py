"""The request loop against real aiohttp servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, no_sleep, room_json, serve
from twvideo_async import VideoClient
from twvideo_async._options import RequestOptions, Timeout
from twvideo_async._request import Request
from twvideo_async.errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    UnexpectedRedirectError,
)


def get(path: str = "/v1/Rooms/RM1", **opts: object) -> Request:
    return Request(
        method="GET",
        path_template="/v1/Rooms/{Sid}",
        path=path,
        options=RequestOptions(**opts),  # type: ignore[arg-type]
    )


def post(idempotent: bool = False) -> Request:
    return Request(
        method="POST", path_template="/v1/Rooms", path="/v1/Rooms", form=[], idempotent=idempotent
    )


class Flaky:
    """Answers ``failures`` times with ``status`` (or drops the connection), then succeeds."""

    def __init__(self, failures: int, status: int = 503, drop: bool = False) -> None:
        self.failures = failures
        self.status = status
        self.drop = drop
        self.calls = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if self.calls <= self.failures:
            if self.drop:
                assert request.transport is not None
                request.transport.close()
                await asyncio.sleep(0.01)
            return web.json_response({"code": 20500, "message": "boom"}, status=self.status)
        return web.json_response(room_json())


@pytest.mark.parametrize("drop", [False, True])
async def test_get_is_retried_on_5xx_and_disconnects(drop: bool) -> None:
    flaky = Flaky(2, drop=drop)
    async with serve([("GET", "/v1/Rooms/{sid}", flaky.handle)]) as server:
        async with make_client(base_url(server), sleep=no_sleep) as client:
            resp = await client._requester.request(get())
    # aiohttp itself retries a GET once on a stale keep-alive disconnect.
    assert resp.status == 200 and flaky.calls == 3 and 1 <= resp.retries_taken <= 2


@pytest.mark.parametrize("drop", [False, True])
async def test_create_post_is_not_retried_on_5xx_or_disconnect(drop: bool) -> None:
    flaky = Flaky(1, drop=drop)
    expected = APIConnectionError if drop else InternalServerError
    async with serve([("POST", "/v1/Rooms", flaky.handle)]) as server:
        async with make_client(base_url(server), sleep=no_sleep) as client:
            with pytest.raises(expected):
                await client._requester.request(post())
    assert flaky.calls == 1


async def test_idempotent_post_is_retried_on_5xx() -> None:
    flaky = Flaky(1)
    async with serve([("POST", "/v1/Rooms", flaky.handle)]) as server:
        async with make_client(base_url(server), sleep=no_sleep) as client:
            resp = await client._requester.request(post(idempotent=True))
    assert resp.status == 200 and flaky.calls == 2


async def test_post_is_retried_on_429() -> None:
    flaky = Flaky(2, status=429)
    async with serve([("POST", "/v1/Rooms", flaky.handle)]) as server:
        async with make_client(base_url(server), sleep=no_sleep) as client:
            resp = await client._requester.request(post())
    assert resp.status == 200 and flaky.calls == 3


async def test_retries_exhausted_raise_with_retries_taken() -> None:
    flaky = Flaky(10)
    async with serve([("GET", "/v1/Rooms/{sid}", flaky.handle)]) as server:
        async with make_client(base_url(server), sleep=no_sleep) as client:
            with pytest.raises(InternalServerError) as info:
                await client._requester.request(get(max_retries=1))
    assert flaky.calls == 2 and info.value.retries_taken == 1


async def test_connection_refused_is_retried_then_raised() -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with serve([]) as server:
        url = base_url(server)
    async with make_client(url, sleep=record) as client:
        with pytest.raises(APIConnectionError, match="cannot connect"):
            await client._requester.request(post())
    assert len(sleeps) == 2  # never-sent failures are retried even for a create


async def test_retry_after_above_the_cap_is_raised_not_waited() -> None:
    async def limited(request: web.Request) -> web.Response:
        return web.json_response(
            {"code": 20429, "message": "Too Many Requests"},
            status=429,
            headers={"Retry-After": "3600"},
        )

    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with serve([("GET", "/v1/Rooms/{sid}", limited)]) as server:
        async with make_client(base_url(server), sleep=record, max_retry_after=60) as client:
            with pytest.raises(RateLimitError) as info:
                await client._requester.request(get())
    assert info.value.retry_after == 3600 and info.value.code == 20429
    assert sleeps == []


async def test_retry_after_within_the_cap_is_waited_for() -> None:
    calls = 0

    async def limited(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.json_response({"code": 20429}, status=429, headers={"Retry-After": "1.5"})
        return web.json_response(room_json())

    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with serve([("GET", "/v1/Rooms/{sid}", limited)]) as server:
        async with make_client(base_url(server), sleep=record) as client:
            resp = await client._requester.request(get())
    assert resp.status == 200 and 1.5 in sleeps


async def test_read_timeout_on_get_is_retried_and_surfaces_typed() -> None:
    async def stall(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response(room_json())

    timeout = Timeout(total=10, read=0.2)
    async with serve([("GET", "/v1/Rooms/{sid}", stall)]) as server:
        async with make_client(base_url(server), sleep=no_sleep, timeout=timeout) as client:
            with pytest.raises(APITimeoutError) as info:
                await client._requester.request(get(max_retries=1))
    assert info.value.retries_taken == 1


async def test_overall_deadline_includes_retries_and_sleeps() -> None:
    flaky = Flaky(100)
    async with serve([("GET", "/v1/Rooms/{sid}", flaky.handle)]) as server:
        async with make_client(base_url(server), max_retries=50) as client:
            started = time.monotonic()
            with pytest.raises((APITimeoutError, InternalServerError)):
                await client._requester.request(get(timeout=Timeout(total=0.6)))
            elapsed = time.monotonic() - started
    # Real sleeps were used: the call gave up at its deadline instead of using all 50 retries.
    assert flaky.calls < 10
    assert elapsed < 5


async def test_deadline_cuts_a_slow_response() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response(room_json())

    async with serve([("POST", "/v1/Rooms", slow)]) as server:
        async with make_client(base_url(server), timeout=0.3) as client:
            with pytest.raises(APITimeoutError, match=r"0\.3s timeout"):
                await client._requester.request(post())


async def test_redirect_on_a_json_endpoint_is_raised_and_not_followed() -> None:
    foreign_hits: list[dict[str, str]] = []

    async def foreign(request: web.Request) -> web.Response:
        foreign_hits.append(dict(request.headers))
        return web.json_response(room_json())

    async with serve([("GET", "/steal", foreign)]) as other:
        target = f"{base_url(other)}/steal"

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPFound(target)

        async with serve([("GET", "/v1/Rooms/{sid}", redirect)]) as server:
            async with make_client(base_url(server)) as client:
                with pytest.raises(UnexpectedRedirectError) as info:
                    await client._requester.request(get())
    assert info.value.status == 302
    assert target not in str(info.value)
    assert foreign_hits == []


async def test_a_storm_of_429s_slows_the_whole_client_and_no_error_surfaces() -> None:
    """300 concurrent calls against a server accepting ~100 requests/s: every call succeeds
    and the client does not hammer the server while it is limited."""
    rate = 100.0
    state = {"tokens": 20.0, "stamp": time.monotonic(), "ok": 0, "limited": 0}

    async def limited(request: web.Request) -> web.Response:
        now = time.monotonic()
        state["tokens"] = min(20.0, state["tokens"] + (now - state["stamp"]) * rate)
        state["stamp"] = now
        if state["tokens"] < 1:
            state["limited"] += 1
            return web.json_response(
                {"code": 20429, "message": "Too Many Requests", "status": 429},
                status=429,
                headers={"Retry-After": "0.1"},
            )
        state["tokens"] -= 1
        state["ok"] += 1
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", limited)]) as server:
        async with make_client(base_url(server), max_concurrency=100) as client:
            results = await asyncio.gather(
                *(client._requester.request(get()) for _ in range(300)), return_exceptions=True
            )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert state["ok"] == 300
    # Without the client-wide slow-down this takes thousands of 429s; with it, a fraction.
    assert state["limited"] < 300


async def test_concurrency_cap_bounds_requests_in_flight() -> None:
    in_flight = peak = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", slow)]) as server:
        client: VideoClient
        async with make_client(base_url(server), max_concurrency=3) as client:
            await asyncio.gather(*(client._requester.request(get()) for _ in range(20)))
    assert peak == 3
