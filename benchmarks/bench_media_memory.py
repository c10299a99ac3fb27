"""Peak memory while downloading one large media file: streaming keeps it flat.

``python -m benchmarks.bench_media_memory [--size-mib 512] [--naive]``

A loopback server in a separate process (so its buffers are not counted) answers
``/v1/Recordings/{Sid}/Media`` with a 302 to its own storage path, which streams ``--size-mib``
MiB generated from a repeated block (it never holds the file). This process downloads the file
with ``download_media`` and then with ``stream_media`` while a sampler reads the resident set
size (``VmRSS``) every 20 ms, and prints the baseline and the peak growth of each. ``--naive``
adds raw ``aiohttp`` ``await response.read()`` for contrast: its growth is the file size.

Not a timed benchmark; Linux only (reads ``/proc/self/status``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import multiprocessing
import tempfile
from collections.abc import Awaitable, Callable
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

SID = "RT" + "0" * 31 + "1"
KEY_SID = "SK" + "0" * 32
KEY_SECRET = "bench-secret"
BLOCK = hashlib.sha256(b"block").digest() * (1024 * 1024 // 32)  # 1 MiB


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def serve(size: int, ports: Queue[int]) -> None:
    """The server process: API ``/Media`` plus a storage path on one loopback port."""
    from aiohttp import web

    async def media(request: web.Request) -> web.Response:
        url = f"http://{request.host}/storage/{SID}?X-Amz-Signature=1"
        return web.json_response({"redirect_to": url}, status=302, headers={"Location": url})

    async def storage(request: web.Request) -> web.StreamResponse:
        start = 0
        status = 200
        headers = {"Content-Type": "audio/x-matroska", "Accept-Ranges": "bytes"}
        range_header = request.headers.get("Range", "")
        if range_header.startswith("bytes=") and range_header.endswith("-"):
            start, status = int(range_header[6:-1]), 206
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        headers["Content-Length"] = str(size - start)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        position = start
        while position < size:
            offset = position % len(BLOCK)
            piece = BLOCK[offset : offset + min(len(BLOCK) - offset, size - position)]
            await response.write(piece)
            position += len(piece)
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/v1/Recordings/{sid}/Media", media)
        app.router.add_get("/storage/{sid}", storage)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


async def measure(name: str, job: Callable[[], Awaitable[Any]]) -> None:
    baseline = rss_bytes()
    peak = baseline
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            await asyncio.sleep(0.02)

    sampler = asyncio.ensure_future(sample())
    try:
        await job()
    finally:
        done.set()
        await sampler
    peak = max(peak, rss_bytes())
    print(
        f"{name:<16} baseline {baseline / 2**20:7.1f} MiB   "
        f"peak growth {(peak - baseline) / 2**20:7.1f} MiB"
    )


async def run(size: int, port: int, naive: bool) -> None:
    import aiohttp

    from twvideo_async import VideoClient
    from twvideo_async._media.resolve import MediaPath
    from twvideo_async._media.stream import stream_media
    from twvideo_async._media.transfer import download_media

    base_url = f"http://127.0.0.1:{port}"
    media = MediaPath.recording(SID)
    print(f"file size        {size / 2**20:.0f} MiB")
    async with VideoClient(KEY_SID, KEY_SECRET, base_url=base_url, environ={}) as client:
        with tempfile.TemporaryDirectory() as directory:

            async def to_disk() -> None:
                path = await download_media(
                    client._requester, media, directory, default_name="big.mka"
                )
                assert path.stat().st_size == size

            async def to_memoryless_stream() -> None:
                total = 0
                async with stream_media(client._requester, media) as stream:
                    async for chunk in stream.iter_bytes():
                        total += len(chunk)
                assert total == size

            await measure("download_media", to_disk)
            await measure("stream_media", to_memoryless_stream)
            if naive:

                async def read_whole() -> None:
                    token = base64.b64encode(f"{KEY_SID}:{KEY_SECRET}".encode()).decode()
                    async with aiohttp.ClientSession() as session:
                        async with session.get(
                            f"{base_url}/v1/Recordings/{SID}/Media",
                            headers={"Authorization": f"Basic {token}"},
                            allow_redirects=False,
                        ) as answer:
                            url = answer.headers["Location"]
                        async with session.get(url) as response:
                            body = await response.read()
                    await asyncio.to_thread(Path(directory, "naive.mka").write_bytes, body)
                    assert len(body) == size

                await measure("naive read()", read_whole)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512, help="file size (default 512)")
    parser.add_argument("--naive", action="store_true", help="also measure response.read()")
    args = parser.parse_args(argv)
    size = args.size_mib * 1024 * 1024
    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    server = context.Process(target=serve, args=(size, ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        asyncio.run(run(size, port, args.naive))
    finally:
        server.terminate()
        server.join()
        ports.close()
        ports.join_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
