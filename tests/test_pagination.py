"""Paging over a loopback server that behaves like Twilio's ``meta`` envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, serve
from twvideo_async.errors import (
    APIResponseValidationError,
    InternalServerError,
    InvalidRequestError,
)

TOTAL = 23


def pager(
    origin: list[str], *, fail_page: int | None = None, foreign: bool = False
) -> tuple[Callable[[web.Request], Awaitable[web.Response]], list[dict[str, str]]]:
    seen: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        size = int(request.query.get("PageSize", "50"))
        page = int(request.query.get("Page", "0"))
        if fail_page is not None and page == fail_page:
            return web.json_response({"code": 20500, "message": "boom", "status": 500}, status=500)
        start = page * size
        rooms = [
            {"sid": f"RM{i:032x}", "status": "completed"}
            for i in range(start, min(start + size, TOTAL))
        ]
        host = "https://evil.example" if foreign else origin[0]
        has_next = start + size < TOTAL
        status = request.query.get("Status", "")
        next_url = (
            f"{host}/v1/Rooms?Status={status}&PageSize={size}"
            f"&Page={page + 1}&PageToken=PT{page + 1}"
            if has_next
            else None
        )
        meta = {"key": "rooms", "page": page, "page_size": size, "next_page_url": next_url}
        return web.json_response({"rooms": rooms, "meta": meta})

    return handler, seen


async def test_iterates_every_item_across_pages_in_order() -> None:
    origin: list[str] = []
    handler, seen = pager(origin)
    async with serve([("GET", "/v1/Rooms", handler)]) as server:
        origin.append(base_url(server))
        async with make_client(origin[0]) as client:
            sids = [room.sid async for room in client.rooms.list(status="completed", page_size=5)]
            first = await client.rooms.list(status="completed", page_size=5)
            assert first.has_next_page() and len(first.items) == 5
            second = await first.get_next_page()
            assert second.items[0].sid == f"RM{5:032x}"
            resumed = [r.sid async for r in client.rooms.list(page_url=first.next_page_url)]
    assert sids == [f"RM{i:032x}" for i in range(TOTAL)]
    assert resumed == sids[5:]
    assert len(seen) >= 5 and all(q["Status"] == "completed" for q in seen)


async def test_limit_stops_early() -> None:
    origin: list[str] = []
    handler, seen = pager(origin)
    async with serve([("GET", "/v1/Rooms", handler)]) as server:
        origin.append(base_url(server))
        async with make_client(origin[0]) as client:
            rooms = await client.rooms.list(page_size=5, limit=7).to_list()
    assert len(rooms) == 7 and len(seen) == 2


async def test_page_size_is_capped_per_endpoint() -> None:
    origin: list[str] = []
    handler, seen = pager(origin)

    async def recordings(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        return web.json_response({"recordings": [], "meta": {"key": "recordings"}})

    routes = [("GET", "/v1/Rooms", handler), ("GET", "/v1/Recordings", recordings)]
    async with serve(routes) as server:
        origin.append(base_url(server))
        async with make_client(origin[0]) as client:
            await client.rooms.list(page_size=5000)
            await client.recordings.list(page_size=500)
            with pytest.raises(InvalidRequestError, match="page_size"):
                client.rooms.list(page_size=0)
    assert seen[0]["PageSize"] == "1000"
    assert seen[1]["PageSize"] == "100"


async def test_foreign_next_page_url_is_refused() -> None:
    origin: list[str] = []
    handler, _ = pager(origin, foreign=True)
    async with serve([("GET", "/v1/Rooms", handler)]) as server:
        origin.append(base_url(server))
        async with make_client(origin[0]) as client:
            with pytest.raises(APIResponseValidationError, match="not the API origin"):
                [r async for r in client.rooms.list(page_size=5)]
            with pytest.raises(InvalidRequestError, match="not the API origin"):
                client.rooms.list(page_url="https://evil.example/v1/Rooms?Page=1")


async def test_an_error_on_page_three_surfaces_typed() -> None:
    origin: list[str] = []
    handler, _ = pager(origin, fail_page=2)
    got: list[str | None] = []
    async with serve([("GET", "/v1/Rooms", handler)]) as server:
        origin.append(base_url(server))
        async with make_client(origin[0], max_retries=0) as client:
            with pytest.raises(InternalServerError) as info:
                async for room in client.rooms.list(page_size=5):
                    got.append(room.sid)
    assert len(got) == 10
    assert info.value.status == 500 and info.value.path == "/v1/Rooms"


async def test_raw_response_exposes_status_headers_and_json() -> None:
    async def fetch(request: web.Request) -> web.Response:
        return web.json_response(
            {"sid": "RM" + "a" * 32, "status": "in-progress"},
            headers={"Twilio-Request-Id": "RQ1", "Twilio-Concurrent-Requests": "3"},
        )

    async with serve([("GET", "/v1/Rooms/{sid}", fetch)]) as server:
        async with make_client(base_url(server)) as client:
            raw = await client.rooms.with_raw_response.fetch("standup")
    assert raw.status == 200 and raw.request_id == "RQ1"
    assert raw.response.concurrent_requests == 3
    assert raw.json()["sid"] == "RM" + "a" * 32
    assert raw.parse().sid == "RM" + "a" * 32


async def test_unknown_parameters_fail_before_sending_with_a_suggestion() -> None:
    async with make_client("http://127.0.0.1:9") as client:
        with pytest.raises(InvalidRequestError, match="did you mean 'unique_name'"):
            await client.rooms.create(uniqe_name="x")  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match=r"it takes: .*status"):
            client.rooms.list(state="completed")  # type: ignore[call-arg]


async def test_a_cancelled_iteration_releases_its_connection() -> None:
    import asyncio

    origin: list[str] = []
    handler, _ = pager(origin)
    stalled = asyncio.Event()

    async def slow_second_page(request: web.Request) -> web.StreamResponse:
        if request.query.get("Page") == "1":
            stalled.set()
            await asyncio.sleep(30)
        return await handler(request)

    async with serve([("GET", "/v1/Rooms", slow_second_page)]) as server:
        origin.append(base_url(server))
        # One connection in the pool: a leaked one would make every later call time out.
        async with make_client(origin[0], connection_limit=1, timeout=5) as client:

            async def consume() -> None:
                async for _ in client.rooms.list(page_size=5):
                    pass

            task = asyncio.create_task(consume())
            await asyncio.wait_for(stalled.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(3):
                page = await client.rooms.list(page_size=5)
                assert len(page.items) == 5
