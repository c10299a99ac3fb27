"""API responses from a hostile server: bodies are bounded, deep JSON is refused cleanly and
odd header values never raise (issue 12, items 10-12)."""

from __future__ import annotations

import zlib

import pytest
from aiohttp import web

from tests.helpers import ROOM_SID, base_url, make_client, room_json, serve
from tests.safety import safety_timeout
from twvideo_async._media.integrity import parse_content_range
from twvideo_async._response import APIResponse
from twvideo_async._retry import parse_retry_after
from twvideo_async.errors import (
    APIResponseValidationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
)

RECORDING_SID = "RT" + "0" * 31 + "1"
MiB = 1024 * 1024


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1/1000 of that on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


# -- 10. bodies are bounded ----------------------------------------------------------------


async def test_a_gzip_bomb_is_refused_not_inflated() -> None:
    bomb = gzip_bomb(256 * MiB)
    hits = {"n": 0}

    async def handler(request: web.Request) -> web.Response:
        hits["n"] += 1
        return web.Response(
            body=bomb,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    async with safety_timeout(60), serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        async with make_client(base_url(server), max_response_size=8 * MiB) as client:
            # aiohttp 3.13 refuses the inflation itself; 3.14 hands it over and our cap stops it.
            refused = "max_response_size|could not be decompressed"
            with pytest.raises(APIResponseValidationError, match=refused) as info:
                await client.rooms.fetch(ROOM_SID)
            # The same with the default limit (32 MiB).
            async with make_client(base_url(server)) as default:
                with pytest.raises(APIResponseValidationError):
                    await default.rooms.fetch(ROOM_SID)
    assert len(bomb) < 2 * MiB  # a small body on the wire that would inflate to 256 MiB
    assert info.value.status == 200 and info.value.path == "/v1/Rooms/{Sid}"
    assert hits["n"] == 2  # never retried


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_past_max_response_size_is_refused(chunked: bool) -> None:
    big = b'{"sid": "' + b"R" * (3 * MiB) + b'"}'

    async def handler(request: web.Request) -> web.StreamResponse:
        if not chunked:
            return web.Response(body=big, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(big), 64 * 1024):
            await response.write(big[start : start + 64 * 1024])
        await response.write_eof()
        return response

    async def small(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    routes = [("GET", "/v1/Rooms/{sid}", handler), ("GET", "/v1/Rooms", small)]
    async with safety_timeout(60), serve(routes) as server:
        async with make_client(base_url(server), max_response_size=MiB) as client:
            with pytest.raises(APIResponseValidationError, match="max_response_size"):
                await client.rooms.fetch(ROOM_SID)
            # A body within the limit on the same client is fine.
            async with make_client(base_url(server), max_response_size=4 * MiB) as roomy:
                raw = await roomy.rooms.with_raw_response.fetch(ROOM_SID)
                assert len(raw.response.content) == len(big)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "32"])
def test_max_response_size_is_checked(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_response_size"):
        make_client("http://127.0.0.1:9", max_response_size=value)


# -- 11. deeply nested JSON ----------------------------------------------------------------

DEPTHS = [100_000, 2_000]


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", DEPTHS)
async def test_deep_json_is_a_validation_error_everywhere(depth: int) -> None:
    nested = deep(depth)
    in_field = (b'{"sid": "' + ROOM_SID.encode() + b'", "status": "completed", "x": ') + nested
    in_field += b"}"

    async def fetch(request: web.Request) -> web.Response:
        body = nested if request.query.get("shape") == "bare" else in_field
        return web.Response(body=body, content_type="application/json")

    async def listing(request: web.Request) -> web.Response:
        body = b'{"meta": {"key": "rooms", "next_page_url": null}, "rooms": [' + in_field + b"]}"
        return web.Response(body=body, content_type="application/json")

    async def media(request: web.Request) -> web.Response:
        return web.Response(status=302, body=nested, content_type="application/json")

    routes = [
        ("GET", "/v1/Rooms/{sid}", fetch),
        ("GET", "/v1/Rooms", listing),
        ("GET", "/v1/Recordings/{sid}/Media", media),
    ]
    async with safety_timeout(60), serve(routes) as server:
        async with make_client(base_url(server)) as client:
            for call in (
                lambda: client.rooms.fetch(ROOM_SID),
                lambda: client.rooms.list().to_list(),
            ):
                try:
                    result = await call()
                except APIResponseValidationError:
                    continue
                # A depth the parsers can take is fine too, as long as reading works.
                for room in result if isinstance(result, list) else [result]:
                    assert room.sid == ROOM_SID
                    room.raw  # noqa: B018 - parsed lazily: must not raise either
            with pytest.raises(APIResponseValidationError):
                async with client.recordings.stream(RECORDING_SID):
                    pass


@pytest.mark.parametrize("status", [400, 500])
async def test_deep_json_in_an_error_body_still_raises_the_status_error(status: int) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, body=deep(100_000), content_type="application/json")

    async with safety_timeout(60), serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        async with make_client(base_url(server), max_retries=0) as client:
            expected = BadRequestError if status == 400 else InternalServerError
            with pytest.raises(expected) as info:
                await client.rooms.fetch(ROOM_SID)
    assert info.value.status == status and info.value.body is None


def test_deep_json_from_the_raw_response_is_a_validation_error() -> None:
    response = APIResponse(
        status=200,
        headers={},
        content=deep(100_000),
        method="GET",
        path="/v1/Rooms",
        retries_taken=0,
        elapsed=0.0,
    )
    with pytest.raises(APIResponseValidationError, match="nested too deeply"):
        response.json()


# -- 12. odd header values never raise -----------------------------------------------------

ODD_VALUES = ["²", "٣", "1²", " 7 ", "-3", "3.5", "9" * 5000, "", "\u00a0", "0x10", "1_000"]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_header_values_never_raise(value: str) -> None:
    response = APIResponse(
        status=200,
        headers={"Twilio-Concurrent-Requests": value},
        content=b"{}",
        method="GET",
        path="/v1/Rooms",
        retries_taken=0,
        elapsed=0.0,
    )
    count = response.concurrent_requests
    assert count is None or (isinstance(count, int) and value.strip().isascii())
    for name in ("Retry-After", "retry-after-ms"):
        after = parse_retry_after({name: value})
        assert after is None or after >= 0
    assert parse_content_range(f"bytes {value}-{value}/{value}") in (None, (7, 7))


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 31 Dec 99999 23:59:59 GMT",
        "Mon, 01 Jan 0001 00:00:00 +9999",
        "Mon, 01 Jan 0001 00:00:00 -2359",
        "Mon, 99 Foo 2020 99:99:99 GMT",
        "1e309",
        "nan",
    ],
)
def test_odd_retry_after_dates_never_raise(value: str) -> None:
    after = parse_retry_after({"Retry-After": value})
    assert after is None or after >= 0


async def test_odd_headers_on_a_real_response_never_raise() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            room_json(), headers={"Twilio-Concurrent-Requests": "²", "Retry-After": "²"}
        )

    async def limited(request: web.Request) -> web.Response:
        return web.json_response(
            {"code": "²", "message": "slow down", "status": 429},
            status=429,
            headers={"Retry-After": "Fri, 31 Dec 99999 23:59:59 GMT", "retry-after-ms": "²"},
        )

    routes = [("GET", "/v1/Rooms/{sid}", handler), ("GET", "/v1/Rooms", limited)]
    async with safety_timeout(60), serve(routes) as server:
        async with make_client(base_url(server), max_rate_limit_retries=0) as client:
            raw = await client.rooms.with_raw_response.fetch(ROOM_SID)
            assert raw.response.concurrent_requests is None
            with pytest.raises(Exception) as info:
                await client.rooms.list().to_list()
    assert type(info.value).__name__ == "RateLimitError"
    assert info.value.code is None  # type: ignore[attr-defined]
