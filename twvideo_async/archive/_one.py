"""Archiving one item: the unit of work of the job, and :func:`archive_one` for any job queue.

The steps, each recorded in the ledger before the next begins (so a crash anywhere resumes at
the right place): check readiness at Twilio; skip media held in the account's own S3; if the
destination already holds a matching copy, verify it instead of downloading; otherwise stream
it with :func:`copy_to_sink` (checked before it becomes visible) and record it ``archived``;
write the JSON sidecar; check the committed object and record it ``verified``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .._logging import logger
from ..errors import MediaNotReadyError, NotFoundError, TwilioVideoError
from ._check import Expected, hash_object, object_problem, read_sidecar, write_sidecar
from ._copy import copy_to_sink
from ._keys import ArchiveItem, kind_of_sid
from ._ledger import WORK_STATES, Ledger, LedgerRow, State, new_worker_id
from ._sink import Sink

if TYPE_CHECKING:
    from .._client import VideoClient

__all__ = ["ItemResult", "Settings", "archive_one", "process"]

Outcome = Literal["archived", "verified", "skipped", "pending", "failed", "busy"]
_NO_MEDIA = frozenset({"failed", "deleted"})


@attrs.frozen(kw_only=True)
class ItemResult:
    """What one :func:`archive_one` (or one item of a run) ended with.

    ``outcome``: ``archived`` (copied now and verified), ``verified`` (a matching copy was
    already at the destination: nothing downloaded), ``skipped`` (``reason``), ``pending``
    (not ready at Twilio yet), ``failed`` (``error``), ``busy`` (another worker holds it).
    ``bytes`` counts bytes copied by this call.
    """

    sid: str
    outcome: Outcome
    key: str | None = None
    sha256: str | None = None
    bytes: int = 0
    error: str | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class Settings:
    """Per-item knobs shared by a run."""

    max_attempts: int = 5
    ready_delay: float = 5.0  # first wait before a not-ready item is tried again
    ready_max_delay: float = 120.0
    lease_seconds: float = 60.0


class LeaseLost(Exception):
    """Another worker took the item over: this worker's result is dropped."""


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


async def fetch_item(client: VideoClient, sid: str) -> ArchiveItem:
    kind = kind_of_sid(sid)
    resource: Any = client.recordings if kind == "recording" else client.compositions
    return ArchiveItem.from_model(await resource.fetch(sid))


def _open_stream(client: VideoClient, item: ArchiveItem) -> Any:
    resource: Any = client.recordings if item.kind == "recording" else client.compositions
    return lambda: resource.stream(item.sid)


class _Fence:
    """The fenced ledger calls for one claimed row (a no-op without a ledger)."""

    def __init__(self, ledger: Ledger | None, worker: str, state: State) -> None:
        self.ledger = ledger
        self.worker = worker
        self.state = state

    async def move(self, sid: str, to: State, *, release: bool = True, **changes: Any) -> None:
        if self.ledger is not None and not await self.ledger.transition(
            sid, self.worker, self.state, to, changes=changes, release=release
        ):
            raise LeaseLost(sid)
        self.state = to


async def _existing(sink: Sink, item: ArchiveItem, row: LedgerRow | None) -> Expected | None:
    """The copy already at the destination, if it provably is this item's media.

    Size and ``twvideo-sid`` must match Twilio's, the sidecar (or the object's metadata) must
    state the SHA-256 the ledger holds, and a full re-read must hash to it. Only items without
    a verified copy get here (a new ledger over an existing destination, a crash before the
    ledger recorded the copy, a copy that failed verification), so the re-read is what makes
    "already there" safe to believe: a copy corrupted at rest has intact metadata.
    """
    info = await sink.head(item.media_key)
    if info is None or info.metadata.get("twvideo-sid") != item.sid:
        return None
    if item.size is not None and info.size != item.size:
        return None
    block = await read_sidecar(sink, item)
    stated = block.get("sha256") if isinstance(block, dict) else None
    stated = stated or info.metadata.get("twvideo-sha256")
    reference = row.sha256 if row is not None and row.sha256 is not None else stated
    if not isinstance(reference, str) or (stated is not None and stated != reference):
        return None  # nothing trustworthy to compare with, or a disagreement: copy again
    size, sha256 = await hash_object(sink, item.media_key)
    if size != info.size or sha256 != reference:
        return None
    return Expected(item=item, size=size, sha256=sha256, etag=info.etag)


async def process(
    client: VideoClient,
    sink: Sink,
    ledger: Ledger | None,
    worker: str,
    row: LedgerRow,
    settings: Settings,
) -> ItemResult:
    """Take one claimed row as far as it goes now; every step is fenced in the ledger."""
    fence = _Fence(ledger, worker, row.state)
    item = row.item
    sid = item.sid
    try:
        if row.state is not State.ARCHIVED and (row.state is State.PENDING or not item.ready):
            try:
                item = await fetch_item(client, sid)  # fresh status and size
            except NotFoundError:
                await fence.move(sid, State.FAILED, last_error="not found at Twilio")
                return ItemResult(sid=sid, outcome="failed", error="not found at Twilio")
        if row.state is State.ARCHIVED and row.sha256 is not None and row.size is not None:
            expected = Expected(item=item, size=row.size, sha256=row.sha256, etag=row.etag)
            return await _finish(sink, fence, expected, copied=0)
        if item.media_external_location:
            reason = "the media is in the account's external storage (media_external_location)"
            await fence.move(sid, State.SKIPPED, reason=reason, item=item)
            return ItemResult(sid=sid, outcome="skipped", reason=reason)
        if item.status in _NO_MEDIA:
            reason = f"status {item.status} at Twilio: there is no media"
            await fence.move(sid, State.SKIPPED, reason=reason, item=item)
            return ItemResult(sid=sid, outcome="skipped", reason=reason)
        if not item.ready:
            return await _pending(fence, item, row, settings, f"status {item.status}")
        found = await _existing(sink, item, row)
        if found is not None:
            await fence.move(
                sid,
                State.ARCHIVED,
                release=False,
                item=item,
                sha256=found.sha256,
                size=found.size,
                etag=found.etag,
                dest_key=item.media_key,
            )
            result = await _finish(sink, fence, found, copied=0)
            return (
                attrs.evolve(result, outcome="verified") if result.outcome == "archived" else result
            )
        try:
            copied = await copy_to_sink(
                _open_stream(client, item),
                sink,
                item.media_key,
                expected_size=item.size,
                metadata=item.object_metadata(),
                content_type=item.content_type,
                max_attempts=settings.max_attempts,
            )
        except MediaNotReadyError:
            return await _pending(fence, item, row, settings, "no media yet (/Media 404)")
        await fence.move(
            sid,
            State.ARCHIVED,
            release=False,
            item=item,
            sha256=copied.sha256,
            size=copied.size,
            etag=copied.etag,
            dest_key=copied.key,
            last_error=None,
        )
        expected = Expected(item=item, size=copied.size, sha256=copied.sha256, etag=copied.etag)
        return await _finish(sink, fence, expected, copied=copied.size)
    except LeaseLost:
        raise
    except Exception as exc:
        # One item's failure (Twilio, storage, the disk, or a bug) is recorded on the item
        # and reported; it never stops the other items.
        if not isinstance(exc, (TwilioVideoError, OSError)):
            logger.warning("archiving %s failed unexpectedly", sid, exc_info=True)
        error = one_line(exc)
        await fence.move(sid, State.FAILED, last_error=error)
        return ItemResult(sid=sid, outcome="failed", error=error)


async def _pending(
    fence: _Fence, item: ArchiveItem, row: LedgerRow, settings: Settings, why: str
) -> ItemResult:
    tries = max(1, row.attempts)
    delay = min(settings.ready_delay * 2 ** (tries - 1), settings.ready_max_delay)
    await fence.move(
        item.sid, State.PENDING, item=item, not_before=time.time() + delay, last_error=why
    )
    return ItemResult(sid=item.sid, outcome="pending", reason=why)


async def _finish(sink: Sink, fence: _Fence, expected: Expected, *, copied: int) -> ItemResult:
    """Write the sidecar, check the committed object, record ``verified``."""
    item = expected.item
    written = await write_sidecar(sink, expected)
    # The sidecar was just stored atomically (``written`` describes it); the media object is
    # looked up again, so what the ledger records is what the destination holds.
    reason = object_problem(await sink.head(item.media_key), expected)
    if reason is None and written.size <= 0:
        reason = "the sidecar was stored empty"
    if reason is not None:
        await fence.move(item.sid, State.FAILED, last_error=f"after the copy: {reason}")
        return ItemResult(sid=item.sid, outcome="failed", error=reason, bytes=copied)
    await fence.move(item.sid, State.VERIFIED, last_error=None)
    return ItemResult(
        sid=item.sid,
        outcome="archived",
        key=item.media_key,
        sha256=expected.sha256,
        bytes=copied,
    )


async def archive_one(
    client: VideoClient,
    sink: Sink,
    ledger: Ledger | None,
    item: ArchiveItem | str | Any,
    *,
    worker: str | None = None,
    max_attempts: int = 5,
    lease_seconds: float = 600.0,
) -> ItemResult:
    """Archive one recording or composition (a SID, a model or an :class:`ArchiveItem`).

    Idempotent: an item already verified (in ``ledger``, or provably at the destination) is
    not downloaded again; an item another worker holds returns ``busy``. With ``ledger``
    ``None`` nothing is recorded (the destination alone decides). Safe to call from any job
    queue: every ledger change is fenced by ``worker``'s lease.
    """
    settings = Settings(max_attempts=max_attempts, lease_seconds=lease_seconds)
    if isinstance(item, str):
        sid = item
        kind_of_sid(sid)
        known = await ledger.get(sid) if ledger is not None else None
        archive_item = known.item if known is not None else await fetch_item(client, sid)
    else:
        archive_item = item if isinstance(item, ArchiveItem) else ArchiveItem.from_model(item)
    sid = archive_item.sid
    if ledger is None:
        row = LedgerRow(item=archive_item, state=State.DISCOVERED)
        return await process(client, sink, None, "", row, settings)
    worker = worker or new_worker_id()
    await ledger.bind_destination(sink.url)
    await ledger.upsert([archive_item])
    rows = await ledger.claim(
        worker,
        1,
        lease_seconds,
        states=(*WORK_STATES, State.FAILED),
        sids=[sid],
        count_attempt=True,
    )
    if not rows:
        current = await ledger.get(sid)
        if current is None or current.worker is not None:
            return ItemResult(sid=sid, outcome="busy")
        if current.state is State.SKIPPED:
            return ItemResult(sid=sid, outcome="skipped", reason=current.reason)
        if current.state is State.PENDING:
            return ItemResult(sid=sid, outcome="pending", reason=current.last_error)
        return ItemResult(sid=sid, outcome="verified", key=current.dest_key, sha256=current.sha256)
    renewing = asyncio.ensure_future(_renew(ledger, worker, sid, lease_seconds))
    try:
        return await process(client, sink, ledger, worker, rows[0], settings)
    except LeaseLost:
        return ItemResult(sid=sid, outcome="busy")
    except BaseException:
        await ledger.release(worker, [sid])
        raise
    finally:
        renewing.cancel()
        await asyncio.gather(renewing, return_exceptions=True)


async def _renew(ledger: Ledger, worker: str, sid: str, lease_seconds: float) -> None:
    """Keep the lease alive while a long transfer runs (a third of the lease at a time)."""
    while True:
        await asyncio.sleep(lease_seconds / 3)
        await ledger.renew(worker, [sid], lease_seconds)
