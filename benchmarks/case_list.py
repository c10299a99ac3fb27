"""Case (b): list ``list_pages`` pages of ``list_page_size`` recordings, following the absolute
``meta.next_page_url`` each page carries.

Reports items/s and client CPU per item. Raw aiohttp decodes with ``json()`` and iterates the
dicts; twilio-python uses ``stream_async``; twvideo_async iterates typed ``Recording`` models with
``async for``. One warm-up listing, then ``list_samples`` timed listings; the median counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from .harness import (
    Context,
    Sample,
    basic_authorization,
    summarise,
    timed,
    twilio_client,
    twilio_http_client,
    video_client,
)


async def _measure(ctx: Context, listing: Callable[[], Awaitable[int]]) -> dict[str, float]:
    s = ctx.settings
    expected = s.list_items
    seen = await listing()
    if seen != expected:
        raise RuntimeError(f"listed {seen} items, expected {expected}")
    samples: list[Sample] = []
    for _ in range(s.list_samples):
        with timed(ctx.server_pid) as sample:
            seen = await listing()
        samples.append(sample)
        if seen != expected:
            raise RuntimeError(f"listed {seen} items, expected {expected}")
    return summarise(samples, expected)


async def raw(ctx: Context) -> dict[str, float]:
    headers = basic_authorization()
    first = f"{ctx.api_origin}/v1/Recordings"
    params = {"PageSize": str(ctx.settings.list_page_size)}
    async with aiohttp.ClientSession() as session:

        async def listing() -> int:
            seen = 0
            url: str | None = first
            query: dict[str, str] | None = params
            while url:
                async with session.get(url, params=query, headers=headers) as response:
                    page = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"unexpected answer: HTTP {response.status}")
                meta = page["meta"]
                for item in page[meta["key"]]:
                    if item["sid"]:
                        seen += 1
                url, query = meta["next_page_url"], None
            return seen

        return await _measure(ctx, listing)


async def twilio(ctx: Context) -> dict[str, float]:
    page_size = ctx.settings.list_page_size
    async with twilio_http_client() as http:
        recordings = twilio_client(http, ctx.api_origin).video.v1.recordings

        async def listing() -> int:
            seen = 0
            async for record in await recordings.stream_async(page_size=page_size):
                if record.sid:
                    seen += 1
            return seen

        return await _measure(ctx, listing)


async def ours(ctx: Context) -> dict[str, float]:
    page_size = ctx.settings.list_page_size
    async with video_client(ctx.api_origin) as client:
        recordings = client.recordings

        async def listing() -> int:
            seen = 0
            async for record in recordings.list(page_size=page_size):
                if record.sid:
                    seen += 1
            return seen

        return await _measure(ctx, listing)


CLIENTS = {"raw": raw, "twilio": twilio, "ours": ours}
