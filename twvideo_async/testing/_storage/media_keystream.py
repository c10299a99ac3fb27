"""Deterministic media bytes, generated on the fly.

Every media object's content is a SHAKE-256 keystream derived from its SID: block ``i`` (64 KiB)
is ``shake_256(b"twvideo-emulator:<SID>:<i>")``. Any byte range can be produced without holding
the object in memory, and tests can recompute the expected bytes or SHA-256 independently of the
server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

BLOCK_SIZE = 65_536


def _block(sid: str, index: int) -> bytes:
    return hashlib.shake_256(f"twvideo-emulator:{sid}:{index}".encode()).digest(BLOCK_SIZE)


def iter_media(sid: str, size: int, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Yield the bytes ``[start, end)`` (``end`` defaults to ``size``) in chunks of <= 64 KiB."""
    stop = size if end is None else min(end, size)
    position = max(0, start)
    while position < stop:
        index, skip = divmod(position, BLOCK_SIZE)
        take = min(BLOCK_SIZE - skip, stop - position)
        yield _block(sid, index)[skip : skip + take]
        position += take


def media_bytes(sid: str, size: int) -> bytes:
    """The whole content of a media object (only for sizes a test can hold in memory)."""
    return b"".join(iter_media(sid, size))


def media_sha256(sid: str, size: int) -> str:
    """Hex SHA-256 of a media object's content, computed chunk by chunk."""
    digest = hashlib.sha256()
    for chunk in iter_media(sid, size):
        digest.update(chunk)
    return digest.hexdigest()


def media_etag(sid: str, size: int) -> str:
    """The storage ``ETag``: S3 multipart style (``"<hex>-1"``), so no one mistakes it for an MD5
    of the content (computing that would mean reading the whole object per request)."""
    tag = hashlib.md5(f"{sid}:{size}".encode(), usedforsecurity=False).hexdigest()
    return f'"{tag}-1"'
