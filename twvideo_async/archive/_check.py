"""The JSON sidecar beside each media object, and the checks of an archived object.

The sidecar ``{Sid}.json`` makes the archive usable without Twilio: the resource's JSON as Twilio
sent it (room, track name, type, codec, container, offset, duration, dates, grouping SIDs) and an
``archive`` block with what the copy proved (size, SHA-256, the object's etag at commit, key,
time). Object stores cannot give a SHA-256 of a multipart object, so the SHA-256 computed while
streaming lives here and in the ledger, and the checks compare all of them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import attrs

from .._version import __version__
from ._keys import ArchiveItem
from ._sink import ObjectInfo, Sink, SinkError

__all__ = ["Expected", "check_object", "read_sidecar", "sidecar_document", "write_sidecar"]

MAX_SIDECAR_BYTES = 1 << 20
SIDECAR_FORMAT = 1


@attrs.frozen(kw_only=True)
class Expected:
    """What an archived object must look like (from the ledger, or from a copy just made)."""

    item: ArchiveItem
    size: int
    sha256: str
    etag: str | None


def sidecar_document(expected: Expected, *, archived_at: datetime | None = None) -> bytes:
    when = (archived_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    item = expected.item
    document = {
        "twilio": dict(item.raw),
        "archive": {
            "format": SIDECAR_FORMAT,
            "sid": item.sid,
            "kind": item.kind,
            "room_sid": item.room_sid,
            "key": item.media_key,
            "size": expected.size,
            "sha256": expected.sha256,
            "etag": expected.etag,
            "archived_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tool": f"twvideo_async {__version__}",
        },
    }
    return json.dumps(document, indent=2, sort_keys=True, default=str).encode() + b"\n"


async def write_sidecar(sink: Sink, expected: Expected) -> ObjectInfo:
    item = expected.item
    return await sink.put_bytes(
        item.sidecar_key,
        sidecar_document(expected),
        metadata={"twvideo-sid": item.sid, "twvideo-kind": "sidecar"},
        content_type="application/json",
    )


async def _read_bounded(sink: Sink, key: str, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    async for chunk in sink.read(key):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_sidecar(sink: Sink, item: ArchiveItem) -> dict[str, Any] | str:
    """The sidecar's ``archive`` block, or why it is unusable (a one-line reason)."""
    key = item.sidecar_key
    if await sink.head(key) is None:
        return "the sidecar is missing"
    try:
        data = await _read_bounded(sink, key, MAX_SIDECAR_BYTES)
    except SinkError as exc:
        return f"the sidecar cannot be read: {exc}"
    if data is None:
        return "the sidecar is larger than 1 MiB"
    try:
        document = json.loads(data)
    except ValueError:
        return "the sidecar is not JSON"
    block = document.get("archive") if isinstance(document, dict) else None
    if not isinstance(block, dict) or block.get("sid") != item.sid:
        return "the sidecar does not describe this item"
    return block


async def hash_object(sink: Sink, key: str) -> tuple[int, str]:
    """Re-read an object: (bytes, hex SHA-256)."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in sink.read(key):
        size += len(chunk)
        digest.update(chunk)
    return size, digest.hexdigest()


def object_problem(info: ObjectInfo | None, expected: Expected) -> str | None:
    """Why the object ``info`` describes is not the archived copy (None when it is)."""
    item = expected.item
    if info is None:
        return "the object is missing at the destination"
    if info.size != expected.size:
        return f"the object has {info.size} bytes, the ledger {expected.size}"
    if expected.etag is not None and info.etag != expected.etag:
        return "the object was rewritten since it was archived (its etag changed)"
    if info.metadata.get("twvideo-sid") != item.sid:
        return "the object's twvideo-sid metadata does not name this item"
    stored = info.metadata.get("twvideo-sha256")
    if stored is not None and stored != expected.sha256:
        return "the object's twvideo-sha256 metadata differs from the ledger"
    return None


async def check_object(sink: Sink, expected: Expected, *, download: bool = False) -> str | None:
    """None when the object at the item's key is the archived copy, else the reason.

    Checks the object's size, etag (when one was recorded), ``twvideo-sid`` and (if the sink
    stored one) ``twvideo-sha256`` metadata, and the sidecar's SHA-256 and size; ``download``
    also re-reads the object and hashes it.
    """
    item = expected.item
    key = item.media_key
    try:
        problem = object_problem(await sink.head(key), expected)
        if problem is not None:
            return problem
        block = await read_sidecar(sink, item)
        if isinstance(block, str):
            return block
        if block.get("sha256") != expected.sha256 or block.get("size") != expected.size:
            return "the sidecar's SHA-256 or size differs from the ledger"
        if download:
            size, sha256 = await hash_object(sink, key)
            if size != expected.size or sha256 != expected.sha256:
                return "the object's bytes do not hash to the archived SHA-256"
    except SinkError as exc:
        return f"the destination could not be read: {exc}"
    return None
