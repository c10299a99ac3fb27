"""What goes on the wire is exactly what the SDK encoded (issue 12, item 16).

A loopback server records ``request.raw_path`` (the request target as sent, before any
decoding): yarl must not re-quote the URL, names with reserved characters must never be used as
path segments, and a server's ``next_page_url`` is followed byte for byte.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from tests.helpers import ROOM_SID, base_url, make_client, room_json, serve
from twvideo_async.errors import APIResponseValidationError, InvalidRequestError

# The characters of the issue: all RFC 3986 sub-delims plus ':' and '@'.
CHARS = list(";=&,:@!$'()*")


def recorder(next_url: list[str] | None = None) -> tuple[Any, list[str]]:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        if request.path == "/v1/Rooms":
            nxt = next_url[0] if next_url and len(seen) == 1 else None
            return web.json_response(
                {"rooms": [room_json()], "meta": {"key": "rooms", "next_page_url": nxt}}
            )
        return web.json_response(room_json())

    return handler, seen


@pytest.mark.parametrize("char", CHARS)
async def test_query_values_are_sent_percent_encoded(char: str) -> None:
    handler, seen = recorder()
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            await client.rooms.list(unique_name=f"a{char}b", page_size=5)
    escaped = f"%{ord(char):02X}"
    assert seen == [f"/v1/Rooms?UniqueName=a{escaped}b&PageSize=5"]


@pytest.mark.parametrize("char", CHARS)
async def test_a_name_with_a_reserved_character_is_refused_before_sending(char: str) -> None:
    handler, seen = recorder()
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            with pytest.raises(InvalidRequestError, match="use the resource's SID"):
                await client.rooms.fetch(f"a{char}b")
            with pytest.raises(InvalidRequestError, match="use the resource's SID"):
                await client.rooms.participants(ROOM_SID).fetch(f"alice{char}example")
            with pytest.raises(InvalidRequestError, match="use the resource's SID"):
                await client.rooms.participants(f"room{char}1").fetch("alice")
    assert seen == []


async def test_traversal_names_never_reach_the_server() -> None:
    handler, seen = recorder()
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            for name in ("../Recordings", "..%2FRecordings", "%2e%2e", "a%3Bb"):
                with pytest.raises(InvalidRequestError):
                    await client.rooms.fetch(name)
    assert seen == []


@pytest.mark.parametrize("name", ["my room", "zoë", "a~b_c-d.e", 'say "hi" <now>', "x^y|z"])
async def test_form_valid_names_are_sent_exactly_as_encoded(name: str) -> None:
    handler, seen = recorder()
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            await client.rooms.fetch(name)
            await client.rooms.participants(name).fetch(name)
    segment = quote(name, safe="")
    assert seen == [f"/v1/Rooms/{segment}", f"/v1/Rooms/{segment}/Participants/{segment}"]


async def test_next_page_url_is_followed_byte_for_byte() -> None:
    target = "/v1/Rooms?UniqueName=a%3Bb%2C%40c&PageSize=5&Page=1&PageToken=PA%3D%3D%26x%28y%29"
    nxt: list[str] = []
    handler, seen = recorder(nxt)
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        nxt.append(base_url(server) + target)
        async with make_client(base_url(server)) as client:
            rooms = [r async for r in client.rooms.list(unique_name="a;b,@c", page_size=5)]
    assert len(rooms) == 2
    assert seen == ["/v1/Rooms?UniqueName=a%3Bb%2C%40c&PageSize=5", target]


@pytest.mark.parametrize(
    "bad",
    [
        "/v1/Rooms?Page=1&PageToken=a b",  # a raw space would go on the wire as-is
        "/v1/Rooms?Page=1&PageToken=zo\u00eb",
        "/v1/Rooms?Page=1\r\nX-Injected: 1",
    ],
)
async def test_a_next_page_url_that_is_not_a_valid_uri_is_refused(bad: str) -> None:
    nxt: list[str] = []
    handler, seen = recorder(nxt)
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        nxt.append(base_url(server) + bad)
        async with make_client(base_url(server)) as client:
            with pytest.raises(APIResponseValidationError, match="printable ASCII"):
                [r async for r in client.rooms.list(page_size=5)]
    assert len(seen) == 1


async def test_page_urls_with_an_invalid_port_are_refused_cleanly() -> None:
    nxt: list[str] = []
    handler, seen = recorder(nxt)
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        nxt.append("http://127.0.0.1:99999/v1/Rooms?Page=1")
        async with make_client(base_url(server)) as client:
            with pytest.raises(InvalidRequestError, match="invalid port"):
                client.rooms.list(page_url="http://127.0.0.1:70000/v1/Rooms?Page=1")
            with pytest.raises(InvalidRequestError, match="invalid port"):
                client.rooms.list(page_url="http://127.0.0.1:port/v1/Rooms?Page=1")
            with pytest.raises(APIResponseValidationError, match="invalid port"):
                [r async for r in client.rooms.list(page_size=5)]
    assert len(seen) == 1


async def test_a_repeated_target_is_sent_the_same_from_the_parsed_url_cache() -> None:
    """Request URLs are parsed once per distinct target and kept: every repeat of a name with
    escapes (here a space, ``%20``) and of a SID goes out byte for byte, never re-quoted."""
    handler, seen = recorder()
    async with serve([("GET", "/{tail:.*}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            for _ in range(3):
                await client.rooms.fetch("my room")
                await client.rooms.fetch(ROOM_SID)
            cache = client._requester._urls
            assert len(cache) == 2
            # The cache is bounded: past its size it starts over instead of growing.
            for n in range(300):
                await client.rooms.fetch(f"room {n}")
            assert len(cache) <= 256
    assert seen[:6] == [f"/v1/Rooms/{quote('my room')}", f"/v1/Rooms/{ROOM_SID}"] * 3
    assert seen[6:] == [f"/v1/Rooms/room%20{n}" for n in range(300)]
