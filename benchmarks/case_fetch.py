"""Case (a): fetch one room ``fetch_n`` times at ``fetch_concurrency`` in flight.

Reports requests/s and client CPU per request (``time.process_time``). Every client first runs
``fetch_warmup`` calls (connections opened, code paths warm), then ``fetch_samples`` timed
batches; the median batch counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from .harness import (
    Context,
    Sample,
    basic_authorization,
    run_pool,
    summarise,
    timed,
    twilio_client,
    twilio_http_client,
    video_client,
)
from .settings import ROOM_SID


async def _measure(ctx: Context, call: Callable[[], Awaitable[None]]) -> dict[str, float]:
    s = ctx.settings
    await run_pool(s.fetch_warmup, s.fetch_concurrency, call)
    samples: list[Sample] = []
    for _ in range(s.fetch_samples):
        with timed(ctx.server_pid) as sample:
            await run_pool(s.fetch_n, s.fetch_concurrency, call)
        samples.append(sample)
    return summarise(samples, s.fetch_n)


Call = Callable[[], Awaitable[None]]


@asynccontextmanager
async def raw_call(origin: str) -> AsyncIterator[Call]:
    """One room fetch with a bare session (also used by ``paired_fetch``)."""
    url = f"{origin}/v1/Rooms/{ROOM_SID}"
    headers = basic_authorization()
    async with aiohttp.ClientSession() as session:

        async def call() -> None:
            async with session.get(url, headers=headers) as response:
                room = await response.json()
            if response.status != 200 or room["sid"] != ROOM_SID:
                raise RuntimeError(f"unexpected answer: HTTP {response.status}")

        yield call


@asynccontextmanager
async def twilio_call(origin: str) -> AsyncIterator[Call]:
    """One room fetch with twilio-python's async mode."""
    async with twilio_http_client() as http:
        rooms = twilio_client(http, origin).video.v1.rooms

        async def call() -> None:
            room = await rooms(ROOM_SID).fetch_async()
            if room.sid != ROOM_SID:
                raise RuntimeError("wrong room")

        yield call


@asynccontextmanager
async def ours_call(origin: str) -> AsyncIterator[Call]:
    """One room fetch with a default ``VideoClient``."""
    async with video_client(origin) as client:
        rooms = client.rooms

        async def call() -> None:
            room = await rooms.fetch(ROOM_SID)
            if room.sid != ROOM_SID:
                raise RuntimeError("wrong room")

        yield call


@asynccontextmanager
async def ours_request_call(origin: str) -> AsyncIterator[Call]:
    """The request loop alone, one layer down (``callgrind_fetch --clients ours_request``):
    ``Requester.request`` with one prepared request (limits, deadline, send, read, classify),
    no resource method and no model."""
    from twvideo_async._request import Request

    async with video_client(origin) as client:
        requester = client.rooms._requester
        request = Request(
            method="GET", path_template="/v1/Rooms/{Sid}", path=f"/v1/Rooms/{ROOM_SID}"
        )

        async def call() -> None:
            response = await requester.request(request)
            if response.status != 200:
                raise RuntimeError(f"unexpected answer: HTTP {response.status}")

        yield call


@asynccontextmanager
async def ours_decode_call(origin: str) -> AsyncIterator[Call]:
    """The request loop and the typed ``Room`` (``parse_response``), no resource method
    (``callgrind_fetch --clients ours_decode``)."""
    from twvideo_async._decode.parsers import parse_response, parser
    from twvideo_async._request import Request
    from twvideo_async.models import Room

    async with video_client(origin) as client:
        requester = client.rooms._requester
        request = Request(
            method="GET", path_template="/v1/Rooms/{Sid}", path=f"/v1/Rooms/{ROOM_SID}"
        )
        parse = parser(Room)

        async def call() -> None:
            room = parse_response(await requester.request(request), parse)
            if room.sid != ROOM_SID:
                raise RuntimeError("wrong room")

        yield call


CALLS = {"raw": raw_call, "twilio": twilio_call, "ours": ours_call}
# One layer down each: for the README's split of a fetch's cost by layer (not in the default
# client lists of any benchmark).
LAYER_CALLS = {"ours_request": ours_request_call, "ours_decode": ours_decode_call}


async def raw(ctx: Context) -> dict[str, float]:
    async with raw_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


async def twilio(ctx: Context) -> dict[str, float]:
    async with twilio_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


async def ours(ctx: Context) -> dict[str, float]:
    async with ours_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


def _layer(name: str) -> Callable[[Context], Coroutine[Any, Any, dict[str, float]]]:
    async def measure(ctx: Context) -> dict[str, float]:
        async with LAYER_CALLS[name](ctx.api_origin) as call:
            return await _measure(ctx, call)

    return measure


CLIENTS = {"raw": raw, "twilio": twilio, "ours": ours, **{n: _layer(n) for n in LAYER_CALLS}}
