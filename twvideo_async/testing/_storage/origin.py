"""The storage origin: an S3-like server for media bytes, on its own port.

It checks the signed query (``Expires``, ``Signature``), refuses any request that also carries an
``Authorization`` header (S3 allows one auth mechanism per request), supports ``Range`` with 206
(and ``If-Range``: a range of another version is answered with the whole object, as RFC 9110
says, so a resuming client never splices two versions) and records every request it receives,
so tests can assert that no Twilio credential ever reached it. Errors use S3's XML body.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from dataclasses import dataclass, field
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict, CIMultiDictProxy

from .._faults.controls import Faults
from .._faults.fault_rules import StoragePlan
from .._state.account_state import State
from .._twilio_errors import UNREADABLE_INPUT
from .media_keystream import iter_media, media_etag
from .media_objects import MediaObject, media_object, storage_path
from .url_signing import DISPOSITION_PARAM, MediaSigner

# ASCII digits only: ``\d`` would also match other scripts' digits, which int() then reads.
logger = logging.getLogger("twvideo_async.testing")

_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.ASCII)
_EXPIRES = re.compile(r"^[0-9]{1,20}$", re.ASCII)
# Byte positions with more digits than this are past any object: they are read as
# _BEYOND_ANY_SIZE, which keeps int() away from its 4,300-digit conversion limit.
_MAX_POSITION_DIGITS = 30
_BEYOND_ANY_SIZE = 10**30


@dataclass(frozen=True)
class StorageRequest:
    """One request received by the storage origin (``emu.storage_requests``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]


@dataclass(eq=False)
class StorageContext:
    """The storage origin's view of one emulator (shared objects with the API app's context)."""

    state: State
    faults: Faults
    signer: MediaSigner
    request_ids: random.Random
    closing: asyncio.Event
    requests: list[StorageRequest] = field(default_factory=list)


CONTEXT = web.AppKey("twvideo_emulator_storage", StorageContext)


def _xml_error(status: int, code: str, message: str, request_id: str) -> web.Response:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return web.Response(status=status, text=text, content_type="application/xml")


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(start, end_exclusive)``, None to serve everything, or ``"unsatisfiable"``."""
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # multiple or malformed ranges: serve the whole object, as S3 does
    first, last = match.group(1), match.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        length = _position(last)
        if length == 0:
            return "unsatisfiable"
        return (max(0, size - length), size)
    start = _position(first)
    end = size if last == "" else min(size, _position(last) + 1)
    if start >= size or end <= start:
        return "unsatisfiable"
    return (start, end)


def _same_version(if_range: str, etag: str, modified: str) -> bool:
    """RFC 9110 13.1.5: an entity tag matches only strongly (a weak one never does); a date
    matches only the exact ``Last-Modified`` (ours is strong: one version per second at most)."""
    value = if_range.strip()
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False
    return value == modified


def _position(digits: str) -> int:
    if len(digits) > _MAX_POSITION_DIGITS:
        return _BEYOND_ANY_SIZE
    return int(digits)


async def _pause(ctx: StorageContext, seconds: float) -> bool:
    """Sleep ``seconds`` unless the emulator closes first; True if it is closing."""
    try:
        await asyncio.wait_for(ctx.closing.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def serve_object(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    request_id = f"{ctx.request_ids.getrandbits(64):016X}"
    ctx.requests.append(
        StorageRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
        )
    )
    refusal = _refusal(ctx, request, request_id)
    if refusal is not None:
        return refusal
    sid = request.path.rsplit("/", 1)[-1].split(".", 1)[0]
    obj = media_object(ctx.state, sid)
    if obj is None or not obj.available or storage_path(ctx.state, obj) != request.path:
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.", request_id)
    plan = ctx.faults.storage_plan(request.method, request.path)
    if plan.error is not None:
        status, code, message = plan.error
        return _xml_error(status, code, message, request_id)
    return await _send(ctx, request, obj, plan, request_id)


def _refusal(ctx: StorageContext, request: web.Request, request_id: str) -> web.Response | None:
    """The S3-style error for a request that is not a correctly signed, unexpired GET."""
    if request.method not in ("GET", "HEAD"):
        return _xml_error(
            405, "MethodNotAllowed", "The specified method is not allowed", request_id
        )
    if "Authorization" in request.headers:
        return _xml_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed: a signed URL must not also carry an "
            "Authorization header",
            request_id,
        )
    expires_text = request.query.get("Expires", "")
    signature = request.query.get("Signature", "")
    disposition = request.query.get(DISPOSITION_PARAM)
    # str.isdigit() accepts "²", which int() refuses: only ASCII digits, and few enough of them.
    if _EXPIRES.match(expires_text) is None or not signature:
        return _xml_error(
            403,
            "AccessDenied",
            "Query-string authentication needs Expires and Signature",
            request_id,
        )
    if not ctx.signer.verify(request.path, int(expires_text), disposition, signature):
        return _xml_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature does not match the object path, expiry and disposition",
            request_id,
        )
    if ctx.state.clock.time() > int(expires_text):
        return _xml_error(403, "AccessDenied", "Request has expired", request_id)
    return None


async def _send(
    ctx: StorageContext, request: web.Request, obj: MediaObject, plan: StoragePlan, request_id: str
) -> web.StreamResponse:
    """Stream the object (or the requested range), applying the plan's body faults."""
    disposition = request.query.get(DISPOSITION_PARAM)
    headers = CIMultiDict[str]()
    etag = media_etag(obj.sid, obj.size)
    modified = format_datetime(obj.modified, usegmt=True)
    headers["Content-Type"] = obj.content_type
    headers["ETag"] = etag
    headers["Accept-Ranges"] = "bytes"
    headers["Last-Modified"] = modified
    headers["Content-Disposition"] = disposition or f'attachment; filename="{obj.filename}"'
    headers["x-amz-request-id"] = request_id
    start, end, status = 0, obj.size, 200
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and not _same_version(if_range, etag, modified):
        range_header = None  # another version than the client holds: send all of this one
    if range_header and not plan.ignore_range:
        wanted = _parse_range(range_header, obj.size)
        if wanted == "unsatisfiable":
            refusal = _xml_error(
                416, "InvalidRange", "The requested range is not satisfiable", request_id
            )
            refusal.headers["Content-Range"] = f"bytes */{obj.size}"
            return refusal
        if isinstance(wanted, tuple):
            start, end = wanted
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{obj.size}"

    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    # The client may go away (gave up on a stall, was cancelled): nothing to report then.
    with contextlib.suppress(ConnectionError):
        await _stream_body(request, response, ctx, plan, obj, start, end)
    return response


async def _stream_body(
    request: web.Request,
    response: web.StreamResponse,
    ctx: StorageContext,
    plan: StoragePlan,
    obj: MediaObject,
    start: int,
    end: int,
) -> None:
    sent = 0
    for chunk in iter_media(obj.sid, obj.size, start, end):
        if plan.stall_after is not None and sent + len(chunk) > plan.stall_after:
            head = plan.stall_after - sent
            await response.write(chunk[:head])
            sent += head
            chunk = chunk[head:]
            plan.stall_after = None
            if await _pause(ctx, plan.stall_seconds):
                _drop(request)
                return
        if plan.cut_after is not None and sent + len(chunk) > plan.cut_after:
            await response.write(chunk[: plan.cut_after - sent])
            _drop(request)
            return
        await response.write(chunk)
        sent += len(chunk)
    await response.write_eof()


def _drop(request: web.Request) -> None:
    # Close the connection mid-body: the client sees fewer bytes than Content-Length.
    transport = request.transport
    if transport is not None:
        transport.close()


@web.middleware
async def s3_envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """S3-style XML for failures the handler did not answer itself: a 400 for unreadable input
    (see ``UNREADABLE_INPUT``), a logged 500 for anything else (a bug)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except UNREADABLE_INPUT as exc:
        logger.warning(
            "emulator storage answered 400 to unreadable input: %s %s (%s)",
            request.method,
            request.path,
            type(exc).__name__,
        )
        return _xml_error(400, "InvalidArgument", "The request could not be read", "")
    except Exception:
        logger.exception("emulator storage failed: %s %s", request.method, request.path)
        return _xml_error(500, "InternalError", "We encountered an internal error", "")


def build_storage_app(ctx: StorageContext) -> web.Application:
    app = web.Application(middlewares=[s3_envelope])
    app[CONTEXT] = ctx
    app.router.add_route("*", "/{path:.*}", serve_object)
    return app
