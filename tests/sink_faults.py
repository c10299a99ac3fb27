"""A fault-injecting sink wrapper for the archive tests: it records what reaches the real sink
and can fail a write (after a byte count) or a commit, once or every time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import attrs

from twvideo_async.archive import ObjectInfo, Sink, SinkError, SinkWriter

_NONE: Mapping[str, str] = {}


@attrs.define
class WriterLog:
    key: str
    written: int = 0
    committed: bool = False
    aborted: bool = False


class FaultySink:
    """Wraps ``inner``. ``fail_after``: the write that would pass this many bytes raises
    ``SinkError(transient=...)`` on the first ``times`` writers (None: every writer);
    ``fail_commit`` makes their commit raise instead. ``reached`` is set once a writer has
    written ``notify_after`` bytes (for cancelling mid-transfer)."""

    def __init__(
        self,
        inner: Sink,
        *,
        fail_after: int | None = None,
        fail_commit: bool = False,
        transient: bool = False,
        times: int | None = 1,
        notify_after: int | None = None,
    ) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.fail_commit = fail_commit
        self.transient = transient
        self.times = times
        self.writers: list[WriterLog] = []
        self.notify_after = notify_after
        self.reached = asyncio.Event()  # set once a writer has written notify_after bytes

    @property
    def url(self) -> str:
        return self.inner.url

    def _armed(self) -> bool:
        return self.times is None or self.times > 0

    def _fired(self) -> None:
        if self.times is not None:
            self.times -= 1

    async def open_writer(
        self,
        key: str,
        *,
        size: int | None,
        metadata: Mapping[str, str],
        content_type: str | None = None,
    ) -> SinkWriter:
        inner = await self.inner.open_writer(
            key, size=size, metadata=metadata, content_type=content_type
        )
        log = WriterLog(key)
        self.writers.append(log)
        return FaultyWriter(self, inner, log, armed=self._armed())

    async def head(self, key: str) -> ObjectInfo | None:
        return await self.inner.head(key)

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        metadata: Mapping[str, str] = _NONE,
        content_type: str | None = None,
    ) -> ObjectInfo:
        return await self.inner.put_bytes(key, data, metadata=metadata, content_type=content_type)

    def read(self, key: str) -> AsyncIterator[bytes]:
        return self.inner.read(key)

    async def aclose(self) -> None:
        await self.inner.aclose()


class FaultyWriter:
    def __init__(self, sink: FaultySink, inner: SinkWriter, log: WriterLog, *, armed: bool) -> None:
        self.sink = sink
        self.inner = inner
        self.log = log
        self.armed = armed

    async def write(self, chunk: bytes) -> None:
        limit = self.sink.fail_after
        if self.armed and limit is not None and self.log.written + len(chunk) > limit:
            self.armed = False
            self.sink._fired()
            raise SinkError("injected write failure", transient=self.sink.transient)
        await self.inner.write(chunk)
        self.log.written += len(chunk)
        notify = self.sink.notify_after
        if notify is not None and self.log.written >= notify:
            self.sink.reached.set()

    async def commit(self, late_metadata: Mapping[str, str] = _NONE) -> ObjectInfo:
        if self.armed and self.sink.fail_commit:
            self.armed = False
            self.sink._fired()
            raise SinkError("injected commit failure", transient=self.sink.transient)
        info = await self.inner.commit(late_metadata)
        self.log.committed = True
        return info

    async def abort(self) -> None:
        self.log.aborted = True
        await self.inner.abort()
