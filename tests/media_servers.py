"""Loopback servers for the media tests: a Twilio-like API answering ``/Media`` and an S3-like
storage host on another port, each recording what it was sent, with switchable faults."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.helpers import KEY_SECRET, KEY_SID, make_client, no_sleep
from twvideo_async import VideoClient

AUTH = "Basic " + base64.b64encode(f"{KEY_SID}:{KEY_SECRET}".encode()).decode()
_RANGE = re.compile(r"^bytes=(\d+)-$")


def s3_error(status: int, code: str) -> web.Response:
    # Like S3, the body echoes part of the request: the SDK must not repeat any of it.
    body = (
        f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>no</Message>"
        "<CanonicalRequest>GET /bucket X-Amz-Signature=LEAKED</CanonicalRequest></Error>"
    )
    return web.Response(
        status=status,
        text=body,
        content_type="application/xml",
        headers={"x-amz-request-id": "REQ-error"},
    )


@attrs.define
class Seen:
    """One request as the storage host received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@attrs.define
class StorageServer:
    """An S3-like origin. Faults apply to the first N requests they name."""

    objects: dict[str, bytes] = attrs.Factory(dict)
    requests: list[Seen] = attrs.Factory(list)
    redirects: dict[str, str] = attrs.Factory(dict)
    extra_headers: dict[str, str] = attrs.Factory(dict)
    s3: bool = True  # send x-amz-request-id and an MD5 ETag
    etag: str | None = None  # override the ETag
    cut_after: int = 0  # close the connection after this many body bytes...
    cut_times: int = 0  # ...on this many responses
    stall_after: int = 0
    stall_times: int = 0
    expired_below: int = 0  # signatures below this number are answered 403
    expire_used: bool = False  # a signature works once, then is "expired"
    ignore_range: bool = False
    ignore_if_range: bool = False  # serve the Range even when If-Range names another version
    unknown_total: bool = False  # a 206's Content-Range says "/*"
    wrong_range_times: int = 0  # 206 from the wrong offset
    corrupt: bool = False  # flip a byte (same length)
    fail_status: int = 0  # answer this status to every request
    fail_keys: set[str] = attrs.Factory(set)  # 500 for these object names
    chunk_delay: float = 0.0
    gate: int = 0  # hold the first responses until this many are in flight at once
    in_flight: int = 0
    peak: int = 0
    used: set[str] = attrs.Factory(set)
    _gate_open: asyncio.Event = attrs.Factory(asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Seen(request.path, dict(request.query), dict(request.headers)))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if "Authorization" in request.headers or "Cookie" in request.headers:
            return s3_error(400, "InvalidArgument")  # "Only one auth mechanism allowed"
        if request.path in self.redirects:
            raise web.HTTPTemporaryRedirect(self.redirects[request.path])
        signature = request.query.get("X-Amz-Signature", "")
        if not signature.isdigit() or int(signature) < self.expired_below:
            return s3_error(403, "AccessDenied")
        if self.expire_used:
            if signature in self.used:
                return s3_error(403, "AccessDenied")
            self.used.add(signature)
        name = request.path.rsplit("/", 1)[-1]
        if self.fail_status or name in self.fail_keys:
            return s3_error(self.fail_status or 500, "InternalError")
        data = self.objects.get(name)
        if data is None:
            return s3_error(404, "NoSuchKey")
        if self.gate and not self._gate_open.is_set():
            if self.in_flight >= self.gate:
                self._gate_open.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._gate_open.wait(), 2)
        return await self._send(request, name, data)

    async def _send(self, request: web.Request, name: str, data: bytes) -> web.StreamResponse:
        start, status = 0, 200
        match = _RANGE.match(request.headers.get("Range", ""))
        headers = {
            "Content-Type": "audio/x-matroska",
            "Accept-Ranges": "bytes",
            "ETag": self.etag or f'"{hashlib.md5(data).hexdigest()}"',
            **self.extra_headers,
        }
        if self.s3:
            headers["x-amz-request-id"] = f"REQ{len(self.requests)}"
        disposition = request.query.get("response-content-disposition")
        if disposition:
            headers["Content-Disposition"] = disposition
        # If-Range (RFC 9110 13.1.5): the range only if the validator is the current one; a
        # changed object is sent whole.
        if_range = request.headers.get("If-Range")
        current = (headers["ETag"], headers.get("Last-Modified"))
        same = if_range is None or self.ignore_if_range or if_range in current
        if match and not self.ignore_range and same:
            start, status = int(match.group(1)), 206
            if start >= len(data):  # as S3 does
                return s3_error(416, "InvalidRange")
            if self.wrong_range_times:
                self.wrong_range_times -= 1
                start = max(0, start - 1000)
            total = "*" if self.unknown_total else len(data)
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{total}"
        body = data[start:]
        if self.corrupt:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        headers["Content-Length"] = str(len(body))
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        cut = stall = None
        if self.cut_times:
            self.cut_times -= 1
            cut = self.cut_after
        elif self.stall_times:
            self.stall_times -= 1
            stall = self.stall_after
        for offset in range(0, len(body), 64 * 1024):
            piece = body[offset : offset + 64 * 1024]
            if cut is not None and offset + len(piece) >= cut:
                await response.write(piece[: cut - offset])
                assert request.transport is not None
                request.transport.close()  # flushes what was written, then a FIN
                return response
            if stall is not None and offset + len(piece) >= stall:
                await response.write(piece[: stall - offset])
                # Hold the connection open until the client gives up on it.
                while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                return response
            await response.write(piece)
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
        await response.write_eof()
        return response


@attrs.define
class ApiServer:
    """Answers the three ``/Media`` paths like Twilio: Basic auth, 302 + Location + JSON."""

    storage_url: str = ""
    mode: str = "both"  # both | location | body | relative | plain
    target: str | None = None  # send clients here instead of the storage host
    not_ready: set[str] = attrs.Factory(set)
    hits: int = 0
    queries: list[dict[str, str]] = attrs.Factory(list)
    signature: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != AUTH:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        self.hits += 1
        self.queries.append(dict(request.query))
        sid = request.match_info["sid"]
        if sid in self.not_ready:
            body = {"code": 20404, "message": "The requested resource was not found"}
            return web.json_response(body, status=404)
        query = f"X-Amz-Signature={self.signature}&X-Amz-Expires={request.query.get('Ttl', 600)}"
        self.signature += 1
        disposition = request.query.get("ContentDisposition")
        if disposition:
            query += "&response-content-disposition=" + quote(disposition, safe="")
        path = f"/bucket/{sid}"
        url = self.target or f"{self.storage_url}{path}?{query}"
        if self.mode == "relative":
            url = f"{path}?{query}"
        if self.mode == "plain":
            return web.json_response({"sid": sid})
        headers = {"Location": url} if self.mode != "body" else {}
        body = {"redirect_to": url} if self.mode != "location" else {}
        return web.json_response(body, status=302, headers=headers)


@attrs.define
class MediaEnv:
    api: ApiServer
    storage: StorageServer
    api_server: TestServer
    storage_server: TestServer
    client: VideoClient

    @property
    def api_url(self) -> str:
        return str(self.api_server.make_url("")).rstrip("/")

    def add(self, sid: str, size: int, seed: int = 0) -> bytes:
        data = random.Random(f"{sid}:{seed}").randbytes(size)
        self.storage.objects[sid] = data
        return data


def leave_part(
    directory: Path,
    name: str,
    head: bytes,
    sidecar: dict[str, Any] | bytes | None,
    tag: str = "deadbeef",
) -> Path:
    """What a killed download of ``name`` leaves: its part bytes and (maybe) its sidecar; no
    lock is held."""
    part = directory / f".{name}.part-{tag}"
    part.write_bytes(head)
    if sidecar is not None:
        raw = sidecar if isinstance(sidecar, bytes) else json.dumps(sidecar).encode()
        part.with_name(part.name + ".json").write_bytes(raw)
    return part


def files_in(directory: Path) -> list[str]:
    """The names in ``directory``, sorted: what a download left there, hidden files included."""
    return sorted(p.name for p in directory.iterdir())


def sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


@contextlib.asynccontextmanager
async def media_env(*, https_client: bool = False, **client_kwargs: Any) -> AsyncIterator[MediaEnv]:
    """Both servers on 127.0.0.1 (different ports) and a client pointed at the API one.

    ``https_client``: the client's ``base_url`` is Twilio's https one and only its request
    layer is pointed at the loopback API, so the https-only storage rule applies.
    """
    storage = StorageServer()
    api = ApiServer()
    storage_app = web.Application()
    storage_app.router.add_get("/{tail:.*}", storage.handle)
    api_app = web.Application()
    for path in (
        "/v1/Recordings/{sid}/Media",
        "/v1/Rooms/{room}/Recordings/{sid}/Media",
        "/v1/Compositions/{sid}/Media",
    ):
        api_app.router.add_get(path, api.handle)
    api_app.router.add_get("/bucket/{tail:.*}", storage.handle)  # for relative Locations
    storage_server = TestServer(storage_app, host="127.0.0.1")
    api_server = TestServer(api_app, host="127.0.0.1")
    await storage_server.start_server()
    await api_server.start_server()
    api.storage_url = str(storage_server.make_url("")).rstrip("/")
    client_kwargs.setdefault("sleep", no_sleep)
    api_url = str(api_server.make_url("")).rstrip("/")
    client = make_client("https://video.twilio.com" if https_client else api_url, **client_kwargs)
    client._requester.origin = api_url
    try:
        yield MediaEnv(api, storage, api_server, storage_server, client)
    finally:
        await client.aclose()
        await api_server.close()
        await storage_server.close()
    for seen in storage.requests:
        # The storage host never sees a Twilio credential or a cookie, in any test.
        assert "Authorization" not in seen.headers
        assert "Cookie" not in seen.headers
        assert seen.headers.get("Accept-Encoding") == "identity"
