"""The sink interface: where archived media goes, written only once it is proven complete.

A sink stores objects under relative ``/``-separated keys below its own root (a local directory or
an object-store prefix). Writers are all-or-nothing: nothing is visible at a key before
:meth:`SinkWriter.commit`, and :meth:`SinkWriter.abort` (after any error or cancellation) leaves
nothing behind. :func:`open_sink` picks the implementation from a destination string.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Protocol, runtime_checkable

import attrs

from ..errors import InvalidRequestError, TwilioVideoError

MAX_KEY_BYTES = 1024  # S3's limit; GCS and Azure allow as much or more
MAX_METADATA_BYTES = 2048  # S3 user metadata (names + values) must fit in 2 KB
_METADATA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
_NO_METADATA: Mapping[str, str] = {}


@attrs.frozen
class ObjectInfo:
    """What a sink knows about one stored object.

    ``etag`` changes whenever the object is rewritten (S3's ETag; locally inode, mtime and
    size). ``metadata`` is the user metadata as stored, names lower-case (``twvideo-sid``).
    """

    key: str
    size: int
    etag: str | None
    metadata: Mapping[str, str] = attrs.field(factory=dict)


class SinkError(TwilioVideoError):
    """A sink could not store, read or look up an object.

    ``transient`` is true for failures worth retrying (a dropped connection, a 5xx from the
    store after its own retries); the message names the store and key, never a credential.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@runtime_checkable
class SinkWriter(Protocol):
    """One object being written. Exactly one of :meth:`commit` or :meth:`abort` ends it."""

    async def write(self, chunk: bytes) -> None:
        """Append ``chunk``; awaits while the sink is busy, so memory stays bounded."""
        ...

    async def commit(self, late_metadata: Mapping[str, str] = _NO_METADATA) -> ObjectInfo:
        """Make the object visible at its key and describe it.

        ``late_metadata`` (e.g. ``twvideo-sha256``, only known at the end) is stored where the
        sink can still attach metadata (a local sidecar, a single-part upload); an object store
        whose metadata was fixed when its multipart upload began leaves it out, which the
        returned :class:`ObjectInfo` shows.
        """
        ...

    async def abort(self) -> None:
        """Discard everything written: nothing appears at the key. Idempotent, and safe after
        any error, including a failed :meth:`commit`."""
        ...


@runtime_checkable
class Sink(Protocol):
    """A destination for archived objects (see :func:`open_sink`)."""

    @property
    def url(self) -> str:
        """Credential-free identity of the destination: ``file:///abs/dir``, ``s3://b/prefix``."""
        ...

    async def open_writer(
        self,
        key: str,
        *,
        size: int | None,
        metadata: Mapping[str, str],
        content_type: str | None = None,
    ) -> SinkWriter: ...

    async def head(self, key: str) -> ObjectInfo | None:
        """The object at ``key``, or None if there is none."""
        ...

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        metadata: Mapping[str, str] = _NO_METADATA,
        content_type: str | None = None,
    ) -> ObjectInfo:
        """Store a small document (e.g. JSON) atomically."""
        ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks (``SinkError`` if it is missing)."""
        ...

    async def aclose(self) -> None: ...


def check_key(key: str) -> str:
    """A relative ``/``-separated key: no leading ``/``, no empty, ``.`` or ``..`` segments,
    no backslash or control characters, at most 1024 bytes of UTF-8."""
    if not isinstance(key, str) or not key:
        raise InvalidRequestError(f"an object key must be a non-empty string, got {key!r}")
    if key.startswith("/"):
        raise InvalidRequestError(f"object key {key!r} must be relative (no leading '/')")
    if any(ord(c) < 0x20 or c in "\x7f\\" for c in key):
        raise InvalidRequestError(
            f"object key {key!r} must not contain control characters, NUL or backslashes"
        )
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise InvalidRequestError(f"object key {key!r} must not have empty, '.' or '..' segments")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidRequestError(f"object key {key[:40]!r}... is longer than 1024 bytes")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(f"object key {key!r} is not valid Unicode") from None
    return key


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """User metadata every store keeps verbatim: lower-case names of ``a-z0-9-`` and printable
    ASCII values (S3 sends them as HTTP headers), at most 2 KB in all."""
    if not isinstance(metadata, Mapping):
        raise InvalidRequestError(
            f"metadata must be a mapping of str to str, got {type(metadata).__name__}"
        )
    checked: dict[str, str] = {}
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not _METADATA_NAME.fullmatch(name):
            raise InvalidRequestError(
                f"metadata name {name!r} must be lower-case letters, digits and '-'"
            )
        if not isinstance(value, str) or not all(" " <= c <= "~" for c in value):
            raise InvalidRequestError(
                f"metadata value of {name!r} must be a string of printable ASCII, got {value!r}"
            )
        total += len(name) + len(value)
        checked[name] = value
    if total > MAX_METADATA_BYTES:
        raise InvalidRequestError(f"metadata is {total} bytes; stores keep at most 2048")
    return checked


def check_size(size: int | None) -> int | None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise InvalidRequestError(f"size must be None or a whole number >= 0, got {size!r}")
    return size
