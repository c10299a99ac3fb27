"""Copying a storage body into a :class:`PartFile`: the network read of one batch overlapped
with the hashing and writing of the previous one in a worker thread.

Why this shape (measured on loopback, 32 x 16 MiB at concurrency 8): SHA-256 alone costs about
as much CPU as a plain download's whole loop, reading in fixed 64 KiB pieces adds copies, and
awaiting each write before the next read leaves the network idle while the disk works. So the
body is taken as the network hands it over (``read_any``: no split, no copy), gathered into
batches of at most :data:`BATCH_SIZE` (or one network chunk), and each batch is hashed and
written in a worker thread while the event loop reads the next one. ``hashlib`` and file
writes release the GIL, so with a second core the thread runs beside the loop; on one core
the hashing still has to share it, and no design that hashes every byte keeps up with a copy
that does not.

Guarantees (each has a test in ``tests/test_media_bodycopy.py``):

* order and bounded memory: at most one batch is in the thread while the next one fills, so a
  download holds at most two batches plus aiohttp's read buffer, whatever the file size;
* with a known size, reading stops at the network chunk that passes it: only the expected
  bytes are ever written and :class:`Mismatch` is raised (a longer or endless body is refused);
* a connection failure (``APIError``) keeps every byte that arrived before it, in order, so the
  next attempt resumes after them; a write error (a full disk) raises ``MediaWriteError`` at the
  latest when the next batch is handed over, and nothing more is written;
* however the copy ends (cancellation included), it returns or raises only once no write of it
  is running: the in-flight batch is waited for, never abandoned. A second cancellation during
  that wait is covered by :meth:`PartFile.discard`, which waits for a running write and makes a
  queued one write nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..errors import APIError
from .integrity import Mismatch
from .partfile import PartFile

BATCH_SIZE = 1024 * 1024


class Body(Protocol):
    """What is copied: ``StorageResponse`` (network failures raised as ``APIError``)."""

    async def read_any(self) -> bytes: ...


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a write's outcome as seen: the caller has already raised something else."""
    if not future.cancelled():
        future.exception()


class BodyCopy:
    """One body into ``part``. ``on_batch(size)`` runs on the loop after batches land, with
    the number of bytes then on disk."""

    def __init__(
        self, part: PartFile, *, limit: int | None, on_batch: Callable[[int], Awaitable[None]]
    ) -> None:
        self.part = part
        self.limit = limit
        self.on_batch = on_batch
        self._writing: asyncio.Future[None] | None = None

    def _hand_over(self, batch: list[bytes]) -> None:
        """Start writing ``batch`` in a worker thread (none may be in flight)."""
        loop = asyncio.get_running_loop()
        self._writing = loop.run_in_executor(None, self.part.write, batch)

    async def _landed(self) -> bool:
        """Wait for the batch in flight, if any; its write error is raised here.

        ``asyncio.wait`` rather than awaiting the future itself: a cancellation of this task must
        not cancel the future while its thread still writes, or the cleanup below could not
        tell that the write is still running.
        """
        writing = self._writing
        if writing is None:
            return False
        await asyncio.wait((writing,))
        self._writing = None
        writing.result()
        return True

    async def _settle(self) -> None:
        """On the way out with another exception: wait for the write in flight to end and drop
        its outcome (a full disk after a cut connection: the first failure is the one raised)."""
        writing = self._writing
        if writing is None:
            return
        writing.add_done_callback(_retrieve)
        await asyncio.wait((writing,))
        self._writing = None

    async def run(self, response: Body) -> None:
        """Copy the whole body; on a connection failure keep what arrived, then raise."""
        try:
            await self._copy(response)
        except BaseException:
            await self._settle()
            raise

    async def _copy(self, response: Body) -> None:
        part, limit = self.part, self.limit
        batch: list[bytes] = []
        pending = 0
        received = part.size  # bytes written or batched so far (part.size lags behind)
        try:
            while chunk := await response.read_any():
                received += len(chunk)
                if limit is not None and received > limit:
                    # Cut at the size: what lies past it is never written.
                    kept = len(chunk) - (received - limit)
                    if kept:
                        batch.append(chunk[:kept])
                    await self._write_rest(batch)
                    raise Mismatch(f"storage sent more than the {limit} bytes expected")
                if batch and pending + len(chunk) > BATCH_SIZE:
                    # A full batch goes to the thread once the last one has landed.
                    landed = await self._landed()
                    size = part.size  # read before the next write starts changing it
                    self._hand_over(batch)
                    batch, pending = [], 0
                    if landed:
                        await self.on_batch(size)
                batch.append(chunk)
                pending += len(chunk)
        except APIError:
            # TCP delivers in order: what arrived is the prefix the next attempt resumes after.
            await self._write_rest(batch)
            raise
        await self._write_rest(batch, report=True)

    async def _write_rest(self, batch: list[bytes], *, report: bool = False) -> None:
        """The batch in flight, then ``batch``: everything read so far is on disk after this."""
        for step in (None, batch):
            if step:
                self._hand_over(step)
            if await self._landed() and report:
                await self.on_batch(self.part.size)
