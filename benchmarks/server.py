"""The loopback server: run as ``python -m benchmarks.server SETTINGS_JSON`` (the driver does).

Three ``aiohttp.web`` sites in one process, pinned to CPU 1 where possible:

* **api**: ``GET /v1/Rooms/{Sid}``, ``GET /v1/Recordings`` (pages with absolute loopback
  ``meta.next_page_url``) and ``GET /v1/Recordings/{Sid}/Media`` (302 + ``Location`` + JSON
  ``redirect_to``, like Twilio). Requests without ``Authorization`` get a 401.
* **storage**: the signed-URL host. Streams ``download_size`` deterministic bytes with S3-like
  headers; refuses a request that carries ``Authorization`` (S3 answers 400 when a signed URL
  also has an auth header), so a client leaking credentials to storage fails loudly.
* **limited**: ``GET /v1/Rooms/{Sid}`` behind a token bucket (``rl_rate`` per second, burst
  ``rl_burst``); over the limit it answers 429, Twilio's 20429 body and ``Retry-After`` set to
  the time until the next token. ``/_bench/reset`` refills the bucket and zeroes the counters,
  ``/_bench/stats`` returns them (both uncounted).

On start it prints one JSON line with the three ports, then serves until SIGTERM/SIGINT or
until its stdin closes (so it never outlives a crashed driver).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Callable

from aiohttp import web

from .payloads import RecordingPages, error_body, load_spec, room_body
from .settings import BIG_SID, MIB, ROOM_SID, Settings, pin_to_cpu

JSON = "application/json"
REQUEST_ID = {"Twilio-Request-Id": "RQ" + "0" * 32}
WRITE_SIZE = 256 * 1024


def pattern_block(size: int = MIB) -> bytes:
    """Deterministic, incompressible bytes: SHA-256 of a counter, concatenated."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


class TokenBucket:
    """The server's rate limit: ``rate`` tokens per second, at most ``burst`` stored."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until the next one."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def _unauthorized() -> web.Response:
    return web.Response(status=401, body=error_body(401, 20003, "Authenticate"), content_type=JSON)


class BenchServer:
    """Holds the pre-serialised bodies and the counters of the three sites."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spec = load_spec()
        self.block = pattern_block()
        self.bucket = TokenBucket(settings.rl_rate, settings.rl_burst)
        self.counts = {"requests": 0, "limited": 0, "ok": 0}
        self.api_origin = self.storage_origin = self.limited_origin = ""
        self.room = self.limited_room = b""
        self.pages: RecordingPages | None = None

    def prepare(self, api_port: int, storage_port: int, limited_port: int) -> None:
        """Bodies need the ports: absolute URLs in them point back at this server."""
        self.api_origin = f"http://127.0.0.1:{api_port}"
        self.storage_origin = f"http://127.0.0.1:{storage_port}"
        self.limited_origin = f"http://127.0.0.1:{limited_port}"
        self.room = room_body(self.spec, self.api_origin, ROOM_SID)
        self.limited_room = room_body(self.spec, self.limited_origin, ROOM_SID)
        self.pages = RecordingPages(
            self.spec, self.api_origin, self.settings.list_pages, self.settings.list_page_size
        )

    # -- api ---------------------------------------------------------------------------------

    async def fetch_room(self, request: web.Request) -> web.Response:
        if "Authorization" not in request.headers:
            return _unauthorized()
        if request.match_info["sid"] != ROOM_SID:
            body = error_body(404, 20404, "The requested resource was not found")
            return web.Response(status=404, body=body, content_type=JSON)
        return web.Response(body=self.room, content_type=JSON, headers=REQUEST_ID)

    async def list_recordings(self, request: web.Request) -> web.Response:
        if "Authorization" not in request.headers:
            return _unauthorized()
        assert self.pages is not None
        try:
            index = int(request.query.get("Page", "0"))
        except ValueError:
            index = -1
        body = self.pages.body(index)
        if body is None:
            body = error_body(400, 20001, "Invalid Page")
            return web.Response(status=400, body=body, content_type=JSON)
        return web.Response(body=body, content_type=JSON, headers=REQUEST_ID)

    async def media(self, request: web.Request) -> web.Response:
        if "Authorization" not in request.headers:
            return _unauthorized()
        sid = request.match_info["sid"]
        signature = hashlib.sha256(sid.encode()).hexdigest()
        location = (
            f"{self.storage_origin}/media/{sid}.mka?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Expires=600&X-Amz-Signature={signature}"
        )
        return web.Response(
            status=302,
            body=json.dumps({"redirect_to": location}).encode(),
            content_type=JSON,
            headers={"Location": location, **REQUEST_ID},
        )

    # -- storage -----------------------------------------------------------------------------

    async def storage(self, request: web.Request) -> web.StreamResponse:
        if "Authorization" in request.headers:
            body = b"<Error><Code>InvalidArgument</Code></Error>"
            return web.Response(status=400, body=body, content_type="application/xml")
        name = request.match_info["name"]
        big = name.startswith(BIG_SID)
        size = self.settings.archive_big_size if big else self.settings.download_size
        response = web.StreamResponse(
            headers={
                "Content-Type": "audio/x-matroska",
                "Accept-Ranges": "bytes",
                # A multipart upload's ETag (not an MD5): the usual shape for large media.
                "ETag": f'"{hashlib.md5(name.encode()).hexdigest()}-{max(1, size // (8 * MIB))}"',
                "x-amz-request-id": "0" * 16,
            }
        )
        response.content_length = size
        await response.prepare(request)
        view = memoryview(self.block)
        sent = 0
        while sent < size:
            offset = sent % len(self.block)
            piece = view[offset : offset + min(WRITE_SIZE, size - sent, len(self.block) - offset)]
            await response.write(piece)
            sent += len(piece)
        await response.write_eof()
        return response

    # -- limited api ---------------------------------------------------------------------------

    async def limited_fetch(self, request: web.Request) -> web.Response:
        self.counts["requests"] += 1
        wait = self.bucket.take()
        if wait > 0:
            self.counts["limited"] += 1
            # Milliseconds, rounded up: a client that waits exactly this long finds a token.
            retry_after = f"{math.ceil(wait * 1000) / 1000:.3f}"
            return web.Response(
                status=429,
                body=error_body(429, 20429, "Too Many Requests"),
                content_type=JSON,
                headers={"Retry-After": retry_after, **REQUEST_ID},
            )
        self.counts["ok"] += 1
        return web.Response(body=self.limited_room, content_type=JSON, headers=REQUEST_ID)

    async def reset(self, request: web.Request) -> web.Response:
        self.bucket.reset()
        for key in self.counts:
            self.counts[key] = 0
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.counts)

    # -- apps ----------------------------------------------------------------------------------

    def api_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/Rooms/{sid}", self.fetch_room)
        app.router.add_get("/v1/Recordings", self.list_recordings)
        app.router.add_get("/v1/Recordings/{sid}/Media", self.media)
        return app

    def storage_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/media/{name}", self.storage)
        return app

    def limited_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/Rooms/{sid}", self.limited_fetch)
        app.router.add_get("/_bench/reset", self.reset)
        app.router.add_get("/_bench/stats", self.stats)
        return app


async def _start(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    return runner, port


async def serve(settings: Settings) -> None:
    server = BenchServer(settings)
    api_runner, api_port = await _start(server.api_app())
    storage_runner, storage_port = await _start(server.storage_app())
    limited_runner, limited_port = await _start(server.limited_app())
    server.prepare(api_port, storage_port, limited_port)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at EOF: the driver is gone
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    ports = {"api": api_port, "storage": storage_port, "limited": limited_port}
    print(json.dumps(ports), flush=True)
    try:
        await stop.wait()
    finally:
        for runner in (api_runner, storage_runner, limited_runner):
            await runner.cleanup()


def main(argv: list[str]) -> int:
    settings = Settings.from_json(argv[0]) if argv else Settings.full()
    pin_to_cpu(settings.server_cpu)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
