"""Retries and lifecycle edges on the wire (issue 12, items 13-15): a retried DELETE that finds
nothing has done its job, retries are the SDK's alone (no hidden aiohttp retry), and
``aclose()`` with calls in flight ends them cleanly without opening a new pool."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from aiohttp import web

from tests.helpers import ROOM_SID, base_url, make_client, room_json, serve
from tests.safety import safety_timeout
from twvideo_async.errors import (
    APIConnectionError,
    ConfigurationError,
    NotFoundError,
)

RECORDING_SID = "RT" + "0" * 31 + "1"


# -- 13. a retried DELETE that finds nothing has done its job ------------------------------


class LostAnswer:
    """The first DELETE is carried out but its answer is lost (the connection is dropped, or a
    5xx comes back); from then on the recording is gone (404)."""

    def __init__(self, first: str) -> None:
        self.first = first
        self.deletes = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.deletes += 1
        if self.deletes == 1 and self.first == "drop":
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.01)
        if self.deletes == 1 and self.first == "503":
            return web.json_response({"code": 20503, "message": "busy", "status": 503}, status=503)
        if self.deletes == 1 and self.first == "none":
            return web.Response(status=204)
        return web.json_response(
            {"code": 20404, "message": "The requested resource was not found", "status": 404},
            status=404,
        )


@pytest.mark.parametrize("first", ["drop", "503"])
async def test_a_retried_delete_answered_404_reports_success(first: str) -> None:
    lost = LostAnswer(first)
    route = ("DELETE", "/v1/Recordings/{sid}", lost.handle)
    async with safety_timeout(30), serve([route]) as server:
        async with make_client(base_url(server), sleep=_no_sleep) as client:
            await client.recordings.delete(RECORDING_SID)  # returns normally: no NotFoundError
    assert lost.deletes == 2


async def test_a_404_on_the_first_delete_attempt_is_still_an_error() -> None:
    lost = LostAnswer("404")
    route = ("DELETE", "/v1/Recordings/{sid}", lost.handle)
    async with safety_timeout(30), serve([route]) as server:
        async with make_client(base_url(server), sleep=_no_sleep) as client:
            with pytest.raises(NotFoundError):
                await client.recordings.delete(RECORDING_SID)
    assert lost.deletes == 1


async def _no_sleep(_: float) -> None:
    return None


# -- 14. max_retries counts every request on the wire ------------------------------------


class Resetting:
    """Counts requests; once ``reset`` is set, drops every connection without an answer."""

    def __init__(self) -> None:
        self.hits = 0
        self.reset = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        if self.reset:
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.01)
        return web.json_response(room_json())


@pytest.mark.parametrize("max_retries", [0, 2])
@pytest.mark.parametrize("own_session", [False, True], ids=["client-pool", "user-session"])
async def test_max_retries_is_the_number_of_extra_requests_on_the_wire(
    max_retries: int, own_session: bool
) -> None:
    import aiohttp

    resetting = Resetting()
    async with safety_timeout(30), serve([("GET", "/v1/Rooms/{sid}", resetting.handle)]) as server:
        session = aiohttp.ClientSession() if own_session else None
        try:
            async with make_client(
                base_url(server), max_retries=max_retries, sleep=_no_sleep, session=session
            ) as client:
                # A first call leaves a kept-alive connection in the pool; the server then
                # drops it mid-request, the case aiohttp silently retries on its own.
                await client.rooms.fetch(ROOM_SID)
                resetting.hits = 0
                resetting.reset = True
                with pytest.raises(APIConnectionError):
                    await client.rooms.fetch(ROOM_SID)
        finally:
            if session is not None:
                await session.close()
    assert resetting.hits == max_retries + 1


# -- 15. aclose() while calls are in flight ----------------------------------------------


async def test_aclose_with_calls_in_flight_ends_them_and_opens_no_new_pool() -> None:
    arrived = asyncio.Event()
    hits = {"n": 0}

    async def slow(request: web.Request) -> web.Response:
        hits["n"] += 1
        arrived.set()
        await asyncio.sleep(10)
        return web.json_response(room_json())

    async with safety_timeout(30), serve([("GET", "/v1/Rooms/{sid}", slow)]) as server:
        client = make_client(base_url(server), max_retries=2, sleep=_no_sleep)
        copy = client.with_options(timeout=20)
        calls = [asyncio.create_task(copy.rooms.fetch(ROOM_SID)) for _ in range(3)]
        await asyncio.wait_for(arrived.wait(), 10)
        await client.aclose()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, APIConnectionError) for r in results), results
        assert all("closed" in str(r) for r in results)
        assert client.is_closed and copy.is_closed
        # Nothing was retried on a new pool, and using the client again opens nothing.
        with pytest.raises(ConfigurationError, match="closed"):
            await client.rooms.fetch(ROOM_SID)
        with pytest.raises(ConfigurationError, match="closed"):
            await copy.rooms.fetch(ROOM_SID)
        assert client.is_closed
        assert client._transport._api is None and client._transport._storage is None
        assert hits["n"] <= 3
        # No warning about an unclosed session or client when everything is collected.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del client, copy, calls
            gc.collect()
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_a_call_waiting_in_the_limiter_ends_cleanly_on_aclose() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with safety_timeout(30), serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        client = make_client(base_url(server), read_rate=1)
        await client.rooms.fetch(ROOM_SID)  # the bucket's one slot for this second
        waiting = asyncio.create_task(client.rooms.fetch(ROOM_SID))
        await asyncio.sleep(0.05)
        await client.aclose()
        with pytest.raises(APIConnectionError, match="closed"):
            await waiting
        assert client.is_closed and client._transport._api is None
