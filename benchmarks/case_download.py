"""Case (c): download ``download_files`` media files of ``download_size`` bytes,
``download_concurrency`` at a time.

Each file is ``GET /v1/Recordings/{Sid}/Media`` (302 + ``redirect_to``) and then a GET of the
signed storage URL on the second port. Reports MiB/s and the growth of peak RSS over the
process's RSS before the batch (``VmHWM`` after resetting it through ``/proc/self/clear_refs``;
``ru_maxrss`` where that is unavailable).

* raw aiohttp: resolve with credentials, stream the storage body to disk in 64 KiB chunks;
* twilio-python has no download API: its documented workaround is ``request_async`` to
  ``/Media`` (redirects not followed), then the signed URL read whole into memory and written out;
* twvideo_async: ``client.recordings.download_many`` (temporary file, byte count and
  SHA-256 of every file, rename).

The report's target is the median over repeats of ours / raw within one repeat (the two run back
to back, so they share the machine's load). ``python -m benchmarks --cases download`` runs the
server on CPU 1 and the clients on CPU 0; ``--one-core`` puts both on CPU 0;
``python -m benchmarks.bench_download_cores`` runs both layouts and prints each repeat's ratio.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

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
from .settings import MIB

CHUNK = 64 * 1024


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _maxrss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def _file_sizes(directory: Path) -> list[int]:
    return [path.stat().st_size for path in directory.rglob("*") if path.is_file()]


def sids(count: int) -> list[str]:
    return [f"RT{number:032x}" for number in range(count)]


async def _measure(
    ctx: Context, download_all: Callable[[list[str], Path], Awaitable[None]]
) -> dict[str, float]:
    s = ctx.settings
    names = sids(s.download_files)
    directory = Path(tempfile.mkdtemp(prefix="twvideo-bench-"))
    try:
        before = _status_kib("VmRSS") or _maxrss_kib()
        exact = _reset_peak()
        with timed(ctx.server_pid) as sample:
            await download_all(names, directory)
        peak = (_status_kib("VmHWM") if exact else None) or _maxrss_kib()
        sizes = _file_sizes(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if sizes != [s.download_size] * len(names):
        raise RuntimeError(
            f"expected {len(names)} files of {s.download_size} bytes, "
            f"found {len(sizes)} of sizes {sorted(set(sizes))}"
        )
    mib = s.download_files * s.download_size / MIB
    return {
        "rate": mib / sample.wall,
        "wall_s": sample.wall,
        "cpu_us_per_unit": sample.cpu * 1e6 / mib,
        # Where a download's CPU goes: most of a plain copy's is kernel time (socket reads, page
        # cache), and a fresh page for every received page shows as one fault per 4 KiB.
        "user_us_per_unit": sample.user * 1e6 / mib,
        "sys_us_per_unit": sample.system * 1e6 / mib,
        "faults_per_unit": sample.minor_faults / mib,
        "server_cpu_share": sample.server_cpu / sample.wall,
        "rss_growth_mib": max(0, peak - before) / 1024,
        "rss_exact": 1.0 if exact else 0.0,
    }


def _media_url(ctx: Context, sid: str) -> str:
    return f"{ctx.api_origin}/v1/Recordings/{sid}/Media"


async def raw(ctx: Context) -> dict[str, float]:
    headers = basic_authorization()
    concurrency = ctx.settings.download_concurrency
    # Storage gets its own session: the signed URL is the credential, Twilio's must not go there.
    async with aiohttp.ClientSession() as api, aiohttp.ClientSession() as storage:

        async def download_all(names: list[str], directory: Path) -> None:
            queue = iter(names)

            async def one() -> None:
                sid = next(queue)
                url = _media_url(ctx, sid)
                async with api.get(url, headers=headers, allow_redirects=False) as response:
                    target = (await response.json())["redirect_to"]
                async with storage.get(target) as response:
                    response.raise_for_status()
                    with open(directory / f"{sid}.mka", "wb") as f:  # noqa: ASYNC230
                        async for chunk in response.content.iter_chunked(CHUNK):
                            f.write(chunk)

            await run_pool(len(names), concurrency, one)

        return await _measure(ctx, download_all)


async def twilio(ctx: Context) -> dict[str, float]:
    concurrency = ctx.settings.download_concurrency
    async with twilio_http_client() as http, aiohttp.ClientSession() as storage:
        client = twilio_client(http, ctx.api_origin)

        async def download_all(names: list[str], directory: Path) -> None:
            queue = iter(names)

            async def one() -> None:
                sid = next(queue)
                answer = await client.request_async("GET", _media_url(ctx, sid))
                target = json.loads(answer.text)["redirect_to"]
                async with storage.get(target) as response:
                    response.raise_for_status()
                    data = await response.read()
                with open(directory / f"{sid}.mka", "wb") as f:  # noqa: ASYNC230
                    f.write(data)

            await run_pool(len(names), concurrency, one)

        return await _measure(ctx, download_all)


async def ours(ctx: Context) -> dict[str, float]:
    concurrency = ctx.settings.download_concurrency
    async with video_client(ctx.api_origin) as client:
        # Taken before the clock starts, as in case (a): the first use of a resource imports the
        # resource and media modules (raw's aiohttp is imported before its clock starts too).
        recordings = client.recordings

        async def download_all(names: list[str], directory: Path) -> None:
            summary = await recordings.download_many(names, directory, concurrency=concurrency)
            if summary.failed:
                raise RuntimeError(
                    f"{summary.failed} downloads failed: {summary.errors[0].error!r}"
                )

        return await _measure(ctx, download_all)


CLIENTS = {"raw": raw, "twilio": twilio, "ours": ours}
