"""Case (d): ``rl_calls`` room fetches at ``rl_concurrency`` in flight against the limited site
(a token bucket of ``rl_rate`` requests/s, burst ``rl_burst``, answering 429 + 20429 +
``Retry-After`` = time until the next token).

Reports wall time against the ideal ``rl_calls / rl_rate`` seconds, the calls that ended in an
error, and the requests the server received per call (its own count, reset before the run).

* raw aiohttp: the hand-written loop most people write: on 429 sleep ``Retry-After``, retry;
* twilio-python: ``AsyncTwilioHttpClient(max_retries=3)`` (its retries cover 5xx only, so its
  429s surface as errors; reported as they are);
* twvideo_async: a default ``VideoClient``: retries 429s and slows the whole client down.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .harness import (
    Context,
    basic_authorization,
    run_pool,
    timed,
    twilio_client,
    twilio_http_client,
    video_client,
)
from .settings import ROOM_SID

TWILIO_MAX_RETRIES = 3


async def _control(ctx: Context, action: str) -> dict[str, int]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{ctx.limited_origin}/_bench/{action}") as response,
    ):
        result: dict[str, int] = await response.json()
        return result


async def _measure(ctx: Context, call: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    s = ctx.settings
    errors: collections.Counter[str] = collections.Counter()

    async def counted() -> None:
        try:
            await call()
        except Exception as exc:
            errors[_describe(exc)] += 1

    await _control(ctx, "reset")
    with timed(ctx.server_pid) as sample:
        await run_pool(s.rl_calls, s.rl_concurrency, counted)
    stats = await _control(ctx, "stats")
    return {
        "rate": s.rl_calls / sample.wall,
        "wall_s": sample.wall,
        "wall_vs_ideal": sample.wall / s.rl_ideal_seconds,
        "errors": sum(errors.values()),
        "error_kinds": "; ".join(f"{n} x {kind}" for kind, n in errors.most_common(3)),
        "requests_per_call": stats["requests"] / s.rl_calls,
        "server_429s": stats["limited"],
        "cpu_us_per_unit": sample.cpu * 1e6 / s.rl_calls,
    }


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    return f"{type(exc).__name__}({status})" if status is not None else type(exc).__name__


async def raw(ctx: Context) -> dict[str, Any]:
    url = f"{ctx.limited_origin}/v1/Rooms/{ROOM_SID}"
    headers = basic_authorization()
    async with aiohttp.ClientSession() as session:

        async def call() -> None:
            while True:
                async with session.get(url, headers=headers) as response:
                    if response.status != 429:
                        response.raise_for_status()
                        await response.json()
                        return
                    delay = float(response.headers.get("Retry-After", "1"))
                await asyncio.sleep(delay)

        return await _measure(ctx, call)


async def twilio(ctx: Context) -> dict[str, Any]:
    async with twilio_http_client(max_retries=TWILIO_MAX_RETRIES) as http:
        rooms = twilio_client(http, ctx.limited_origin).video.v1.rooms

        async def call() -> None:
            await rooms(ROOM_SID).fetch_async()

        return await _measure(ctx, call)


async def ours(ctx: Context) -> dict[str, Any]:
    async with video_client(ctx.limited_origin) as client:
        rooms = client.rooms

        async def call() -> None:
            await rooms.fetch(ROOM_SID)

        return await _measure(ctx, call)


CLIENTS = {"raw": raw, "twilio": twilio, "ours": ours}
