"""Case (f): archive ``archive_files`` media files of ``download_size`` bytes,
``archive_concurrency`` at a time, into a local directory and into S3 (moto's server on
loopback, :mod:`benchmarks.s3`), beside the local-download paths; and one file of
``archive_big_size`` into S3 for the peak memory of a large upload.

* raw aiohttp and ``download_many``: case (c)'s two local downloads, with this case's counts;
* archive to a directory: ``copy_to_sink`` into a ``LocalSink`` (size, SHA-256 and fsync of
  every file, metadata sidecar, rename at commit);
* raw aiohttp + obstore: resolve ``/Media``, then ``obstore.put_async`` fed straight from the
  storage response (no checks, no per-part checksums): the practical limit for S3;
* archive to S3: ``copy_to_sink`` into ``open_sink("s3://...")`` (size and SHA-256 in flight,
  multipart with per-part SHA-256 checksums, nothing visible before the checks pass);
* one big file: ``copy_to_sink`` of a single ``archive_big_size`` file to S3.

Reports MiB/s and the growth of peak RSS (``VmHWM`` after a reset), as case (c) does. Objects are
checked (count and sizes) and removed after each run, outside the timed part.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from . import case_download
from .case_download import _maxrss_kib, _reset_peak, _status_kib, sids
from .harness import Context, basic_authorization, run_pool, timed, video_client
from .s3 import BUCKET, s3_environment
from .settings import BIG_SID, MIB

CHUNK = 64 * 1024
PART_SIZE = 8 * MIB


def _as_download(ctx: Context) -> Context:
    s = ctx.settings
    settings = dataclasses.replace(
        s, download_files=s.archive_files, download_concurrency=s.archive_concurrency
    )
    return dataclasses.replace(ctx, settings=settings)


async def raw(ctx: Context) -> dict[str, float]:
    return await case_download.raw(_as_download(ctx))


async def download_many(ctx: Context) -> dict[str, float]:
    return await case_download.ours(_as_download(ctx))


async def _timed_run(
    ctx: Context, names: list[str], size: int, run: Callable[[list[str]], Awaitable[None]]
) -> dict[str, float]:
    before = _status_kib("VmRSS") or _maxrss_kib()
    exact = _reset_peak()
    with timed(ctx.server_pid) as sample:
        await run(names)
    peak = (_status_kib("VmHWM") if exact else None) or _maxrss_kib()
    mib = len(names) * size / MIB
    return {
        "rate": mib / sample.wall,
        "wall_s": sample.wall,
        "cpu_us_per_unit": sample.cpu * 1e6 / mib,
        "server_cpu_share": sample.server_cpu / sample.wall,
        "rss_growth_mib": max(0, peak - before) / 1024,
        "rss_exact": 1.0 if exact else 0.0,
    }


def _visible_sizes(directory: Path) -> list[int]:
    """Sizes of the archived files (not the hidden metadata sidecars)."""
    return [p.stat().st_size for p in directory.iterdir() if not p.name.startswith(".")]


def _check_sizes(found: list[int], count: int, size: int) -> None:
    if sorted(found) != [size] * count:
        raise RuntimeError(
            f"expected {count} objects of {size} bytes, found {len(found)}: {sorted(set(found))}"
        )


async def _copy_all(ctx: Context, sink: Any, names: list[str], size: int) -> None:
    from twvideo_async.archive import copy_to_sink

    async with video_client(ctx.api_origin) as client:
        queue = iter(names)

        async def one() -> None:
            sid = next(queue)
            await copy_to_sink(
                lambda: client.recordings.stream(sid),
                sink,
                f"{sid}.mka",
                expected_size=size,
                metadata={"twvideo-sid": sid, "twvideo-kind": "recording"},
            )

        await run_pool(len(names), ctx.settings.archive_concurrency, one)


async def archive_local(ctx: Context) -> dict[str, float]:
    from twvideo_async.archive import LocalSink

    s = ctx.settings
    names = sids(s.archive_files)
    directory = Path(tempfile.mkdtemp(prefix="twvideo-bench-archive-"))
    try:
        sink = LocalSink(directory)
        figures = await _timed_run(
            ctx, names, s.download_size, lambda batch: _copy_all(ctx, sink, batch, s.download_size)
        )
        found = _visible_sizes(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    _check_sizes(found, len(names), s.download_size)
    return figures


class _Bucket:
    """A fresh prefix in the benchmark bucket, emptied after the run."""

    def __init__(self, ctx: Context) -> None:
        os.environ.update(s3_environment(ctx.s3_port))
        self.url = f"s3://{BUCKET}/run-{uuid.uuid4().hex}"
        from obstore.store import from_url

        self.store = from_url(self.url)

    async def sizes_and_clear(self, keys: list[str]) -> list[int]:
        import obstore

        sizes = [(await obstore.head_async(self.store, key))["size"] for key in keys]
        await obstore.delete_async(self.store, keys)
        return sizes


async def raw_s3(ctx: Context) -> dict[str, float]:
    import obstore

    s = ctx.settings
    names = sids(s.archive_files)
    bucket = _Bucket(ctx)
    headers = basic_authorization()
    async with aiohttp.ClientSession() as api, aiohttp.ClientSession() as storage:

        async def run(batch: list[str]) -> None:
            queue = iter(batch)

            async def one() -> None:
                sid = next(queue)
                url = f"{ctx.api_origin}/v1/Recordings/{sid}/Media"
                async with api.get(url, headers=headers, allow_redirects=False) as response:
                    target = (await response.json())["redirect_to"]
                async with storage.get(target) as response:
                    response.raise_for_status()
                    await obstore.put_async(
                        bucket.store,
                        f"{sid}.mka",
                        response.content.iter_chunked(CHUNK),
                        chunk_size=PART_SIZE,
                        max_concurrency=4,
                    )

            await run_pool(len(batch), s.archive_concurrency, one)

        figures = await _timed_run(ctx, names, s.download_size, run)
    found = await bucket.sizes_and_clear([f"{sid}.mka" for sid in names])
    _check_sizes(found, len(names), s.download_size)
    return figures


async def archive_s3(ctx: Context) -> dict[str, float]:
    from twvideo_async.archive import open_sink

    s = ctx.settings
    names = sids(s.archive_files)
    bucket = _Bucket(ctx)
    sink = open_sink(bucket.url)
    figures = await _timed_run(
        ctx, names, s.download_size, lambda batch: _copy_all(ctx, sink, batch, s.download_size)
    )
    found = await bucket.sizes_and_clear([f"{sid}.mka" for sid in names])
    _check_sizes(found, len(names), s.download_size)
    return figures


async def s3_big(ctx: Context) -> dict[str, float]:
    from twvideo_async.archive import open_sink

    size = ctx.settings.archive_big_size
    bucket = _Bucket(ctx)
    sink = open_sink(bucket.url)
    figures = await _timed_run(ctx, [BIG_SID], size, lambda b: _copy_all(ctx, sink, b, size))
    found = await bucket.sizes_and_clear([f"{BIG_SID}.mka"])
    _check_sizes(found, 1, size)
    return figures


CLIENTS = {
    "raw": raw,
    "download_many": download_many,
    "archive_local": archive_local,
    "raw_s3": raw_s3,
    "archive_s3": archive_s3,
    "s3_big": s3_big,
}
