"""One object on its way into an object store (the writer of ``_objectstore.ObjectStoreSink``).

A writer buffers up to one part (``part_size``) and, if the object is no bigger, stores it with
a single PUT at commit (so the late ``twvideo-sha256`` metadata is attached, and an empty object
never becomes an empty multipart upload, which S3 refuses with checksums). Larger objects
stream into a multipart upload fed by an async iterator: memory stays about
``part_size * (max_concurrency + 1)``, and abort makes that iterator raise, which makes obstore
abort the multipart upload: no object and no dangling upload remain. An upload that completed
before the abort reached it is deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import obstore
from obstore.exceptions import BaseError

from .._logging import logger
from ._sink import ObjectInfo, SinkError, check_metadata

if TYPE_CHECKING:
    from obstore.store import ObjectStore

__all__ = [
    "ABORTS_FAILED_UPLOADS",
    "NO_METADATA",
    "Destination",
    "ObjectStoreWriter",
    "raise_detached",
    "user_metadata",
]

QUEUE_CHUNKS = 8
NO_METADATA: Mapping[str, str] = {}

# Attributes obstore reports that are not user metadata.
_STANDARD_ATTRIBUTES = frozenset(
    {
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-type",
        "cache-control",
        "storage-class",
    }
)


def _aborts_failed_uploads() -> bool:
    """obstore >= 0.12 aborts a multipart upload whose part failed; 0.11 (the newest for
    Python 3.10) leaves it incomplete (measured against moto)."""
    try:
        major, minor = (int(part) for part in version("obstore").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (0, 12)


ABORTS_FAILED_UPLOADS = _aborts_failed_uploads()


class _Aborted(Exception):
    """Raised inside obstore's input iterator so that it aborts the multipart upload."""


def raise_detached(error: SinkError) -> NoReturn:
    """Raise ``error`` without cause or context: the obstore exception may quote a request."""
    try:
        raise error
    finally:
        error.__context__ = None


def user_metadata(attributes: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in attributes.items()
        if name.lower() not in _STANDARD_ATTRIBUTES
    }


class Destination(Protocol):
    """What a writer needs of its sink: the store, its URL (for messages), the upload
    concurrency, and how a failure is described (credentials masked)."""

    @property
    def store(self) -> ObjectStore: ...

    @property
    def url(self) -> str: ...

    @property
    def max_concurrency(self) -> int: ...

    def error(self, action: str, key: str, exc: BaseException) -> SinkError: ...


class ObjectStoreWriter:
    """One object on its way into the store (see the module docstring)."""

    def __init__(
        self, sink: Destination, key: str, attributes: dict[str, str], part_size: int
    ) -> None:
        self.sink = sink
        self.key = key
        self.attributes = attributes
        self.part_size = part_size
        self.size = 0
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)  # None: the end
        self._task: asyncio.Task[Any] | None = None
        self._aborting = False
        self._done = False

    def __repr__(self) -> str:
        return f"<ObjectStoreWriter {self.key} in {self.sink.url}>"

    async def write(self, chunk: bytes) -> None:
        if self._done:
            raise SinkError(f"the writer of {self.key} is already closed")
        if not chunk:
            return
        chunk = bytes(chunk)
        self.size += len(chunk)
        if self._task is None:
            self._buffer.append(chunk)
            self._buffered += len(chunk)
            if self._buffered > self.part_size:
                self._start()
            return
        await self._put(chunk)

    def _start(self) -> None:
        """Begin the multipart upload, fed by :meth:`_feed` (buffer first, then the queue)."""
        self._task = asyncio.ensure_future(
            obstore.put_async(
                self.sink.store,
                self.key,
                self._feed(),
                attributes=self.attributes,
                chunk_size=self.part_size,
                max_concurrency=self.sink.max_concurrency,
            )
        )

    async def _feed(self) -> AsyncIterator[bytes]:
        buffer, self._buffer, self._buffered = self._buffer, [], 0
        for chunk in buffer:
            yield chunk
        del buffer
        while True:
            if self._aborting:
                raise _Aborted
            item = await self._queue.get()
            if self._aborting:
                raise _Aborted
            if item is None:
                return
            yield item

    async def _put(self, chunk: bytes | None) -> None:
        """Queue ``chunk`` for the upload, or raise the upload's failure if it stopped."""
        task = self._task
        assert task is not None  # noqa: S101 - invariant; narrows the type
        if task.done():
            self._failed(task)
        if not self._queue.full():
            self._queue.put_nowait(chunk)
            return
        putting = asyncio.ensure_future(self._queue.put(chunk))
        try:
            await asyncio.wait({putting, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not putting.done():
                putting.cancel()
        if not putting.done() or putting.cancelled():
            self._failed(task)

    def _failed(self, task: asyncio.Task[Any]) -> NoReturn:
        """The upload ended before the body did: raise why, as a SinkError."""
        self._done = True
        exc = task.exception() if task.done() and not task.cancelled() else None
        if exc is None:
            raise_detached(SinkError(f"the upload of {self.key} to {self.sink.url} stopped"))
        self._upload_failed()
        raise_detached(self.sink.error("upload", self.key, exc))

    def _upload_failed(self) -> None:
        if not ABORTS_FAILED_UPLOADS:
            logger.warning(
                "the upload of %s in %s failed; obstore < 0.12 leaves its incomplete multipart "
                "upload behind (not visible, but stored): upgrade obstore (Python >= 3.11) or "
                "let a lifecycle rule (AbortIncompleteMultipartUpload) remove it",
                self.key,
                self.sink.url,
            )

    async def commit(self, late_metadata: Mapping[str, str] = NO_METADATA) -> ObjectInfo:
        if self._done:
            raise SinkError(f"the writer of {self.key} is already closed")
        late = check_metadata(late_metadata)
        if self._task is None:
            return await self._put_single(late)
        task = self._task
        await self._put(None)
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            await self.abort()
            raise
        except (BaseError, OSError) as exc:
            self._done = True
            self._upload_failed()
            raise_detached(self.sink.error("upload", self.key, exc))
        self._done = True
        return ObjectInfo(self.key, self.size, result["e_tag"], user_metadata(self.attributes))

    async def _put_single(self, late: dict[str, str]) -> ObjectInfo:
        attributes = {**self.attributes, **late}
        data = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        self._done = True
        try:
            result = await obstore.put_async(
                self.sink.store,
                self.key,
                data,
                attributes=attributes,
                use_multipart=False,
            )
        except (BaseError, OSError) as exc:
            raise_detached(self.sink.error("store", self.key, exc))
        return ObjectInfo(self.key, len(data), result["e_tag"], user_metadata(attributes))

    async def abort(self) -> None:
        self._done = True
        self._buffer, self._buffered = [], 0
        task = self._task
        if task is None or task.done():
            if task is not None and not task.cancelled():
                task.exception()  # retrieved: the failure was (or will be) reported elsewhere
            return
        self._aborting = True
        if not self._queue.full():
            self._queue.put_nowait(None)  # wakes a feed waiting for a chunk; it then raises
        try:
            await asyncio.shield(task)
        except _Aborted:
            return
        except (BaseError, OSError):
            return  # the upload failed on its own: nothing was committed either
        # The upload completed before the abort reached it (the end had been queued): the
        # object is visible, which abort must not leave behind.
        try:
            await obstore.delete_async(self.sink.store, self.key)
        except (BaseError, OSError) as exc:
            raise_detached(self.sink.error("remove", self.key, exc))
