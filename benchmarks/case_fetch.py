"""Case (a): fetch one room ``fetch_n`` times at ``fetch_concurrency`` in flight.

Reports requests/s and client CPU per request (``time.process_time``). Every client first runs
``fetch_warmup`` calls (connections opened, code paths warm), then ``fetch_samples`` timed
batches; the median batch counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

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


CALLS = {"raw": raw_call, "twilio": twilio_call, "ours": ours_call}


async def raw(ctx: Context) -> dict[str, float]:
    async with raw_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


async def twilio(ctx: Context) -> dict[str, float]:
    async with twilio_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


async def ours(ctx: Context) -> dict[str, float]:
    async with ours_call(ctx.api_origin) as call:
        return await _measure(ctx, call)


CLIENTS = {"raw": raw, "twilio": twilio, "ours": ours}
