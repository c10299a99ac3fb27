"""Test helpers: credentials, a client factory and loopback aiohttp servers."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from twvideo_async import VideoClient

KEY_SID = "SK" + "ab" * 16
KEY_SECRET = "s3cr3t-CANARY-value"
ROOM_SID = "RM" + "0" * 31 + "1"


def basic_auth(username: str, secret: str) -> str:
    """An ``Authorization`` value (aiohttp.encode_basic_auth exists only from aiohttp 3.14)."""
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")


async def no_sleep(_: float) -> None:
    return None


def make_client(base_url: str, **kwargs: Any) -> VideoClient:
    kwargs.setdefault("api_key_sid", KEY_SID)
    kwargs.setdefault("api_key_secret", KEY_SECRET)
    return VideoClient(base_url=base_url, environ={}, **kwargs)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serve(routes: Sequence[tuple[str, str, Handler]]) -> AsyncIterator[TestServer]:
    """Run an aiohttp.web app on 127.0.0.1 with the given (method, path, handler) routes."""
    app = web.Application()
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


def room_json(sid: str = ROOM_SID) -> dict[str, Any]:
    return {"sid": sid, "status": "in-progress", "unique_name": "standup"}
