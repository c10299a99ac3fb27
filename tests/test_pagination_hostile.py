"""Listings against servers that never let a listing end (issue 12, item 4)."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, serve
from tests.safety import safety_timeout
from twvideo_async.errors import APIResponseValidationError


def rooms(start: int, count: int) -> list[dict[str, str]]:
    return [{"sid": f"RM{i:032x}", "status": "completed"} for i in range(start, start + count)]


class Looping:
    """Pages 0 and 1 point at each other; ``meta.url`` is each page's own URL."""

    def __init__(self) -> None:
        self.origin = ""
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        page = int(request.query.get("Page", "0"))
        url = f"{self.origin}/v1/Rooms?PageSize=5&Page={page}"
        other = f"{self.origin}/v1/Rooms?PageSize=5&Page={1 - page}"
        meta = {"key": "rooms", "page": page, "url": url, "next_page_url": other}
        return web.json_response({"rooms": rooms(page * 5, 5), "meta": meta})


class Endless:
    """Fresh next links forever; every page has the same items (or none)."""

    def __init__(self, items: int) -> None:
        self.origin = ""
        self.items = items
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        token = int(request.query.get("PageToken", "0")) + 1
        meta = {
            "key": "rooms",
            "next_page_url": f"{self.origin}/v1/Rooms?PageSize=5&PageToken={token}",
        }
        return web.json_response({"rooms": rooms(0, self.items), "meta": meta})


async def test_a_next_page_url_already_fetched_ends_the_listing() -> None:
    server_state = Looping()
    async with safety_timeout(20), serve([("GET", "/v1/Rooms", server_state.handle)]) as server:
        server_state.origin = base_url(server)
        async with make_client(server_state.origin) as client:
            got: list[str | None] = []
            with pytest.raises(APIResponseValidationError, match="already fetched"):
                async for room in client.rooms.list(page_size=5):
                    got.append(room.sid)
    assert len(got) == 10
    assert server_state.hits == 2


async def test_a_page_repeating_the_previous_items_ends_the_listing() -> None:
    server_state = Endless(items=5)
    async with safety_timeout(20), serve([("GET", "/v1/Rooms", server_state.handle)]) as server:
        server_state.origin = base_url(server)
        async with make_client(server_state.origin) as client:
            with pytest.raises(APIResponseValidationError, match="same items") as info:
                await client.rooms.list(page_size=5).to_list()
    assert server_state.hits == 2
    assert info.value.path == "/v1/Rooms" and info.value.status == 200


@pytest.mark.parametrize("limit", [None, 5])
async def test_endless_empty_pages_end_the_listing(limit: int | None) -> None:
    server_state = Endless(items=0)
    async with safety_timeout(20), serve([("GET", "/v1/Rooms", server_state.handle)]) as server:
        server_state.origin = base_url(server)
        async with make_client(server_state.origin) as client:
            with pytest.raises(APIResponseValidationError, match="empty pages"):
                await client.rooms.list(page_size=5, limit=limit).to_list()
            with pytest.raises(APIResponseValidationError, match="empty pages"):
                [page async for page in client.rooms.list(page_size=5, limit=limit).pages()]
    # The documented bound: three empty pages in a row (twvideo_async._pagination.MAX_EMPTY_PAGES).
    assert server_state.hits == 2 * 3
