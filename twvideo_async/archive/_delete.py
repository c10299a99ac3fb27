"""Deleting media at Twilio: opt-in, and only what is proven copied.

An item is deleted only when the ledger holds it ``verified`` AND its destination object passes
the checks again immediately before the delete (size, etag, ``twvideo-sid``, the sidecar's
SHA-256). Anything that fails the re-check is recorded ``failed`` and kept at Twilio; a
failed, pending, skipped or missing copy is never even considered. ``dry_run`` (the default)
changes nothing and reports what would be deleted. Deletes are paced within Twilio's write
quota (20 requests/s by default) and each one is recorded (``source_deleted`` + time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .._ratelimit import RateLimiter, TokenBucket
from ..errors import InvalidRequestError, NotFoundError, TwilioVideoError
from ._check import check_object
from ._job import ArchiveEvent, ArchiveReport
from ._ledger import Ledger, LedgerRow, State, iter_rows, new_worker_id
from ._one import one_line
from ._sink import Sink
from ._verify import expected_of

if TYPE_CHECKING:
    from .._client import VideoClient

__all__ = ["delete_source"]

TWILIO_WRITE_RATE = 20.0  # Twilio Video's default REST write quota, requests per second


async def delete_source(
    client: VideoClient,
    sink: Sink,
    ledger: Ledger,
    *,
    min_age: timedelta = timedelta(0),
    dry_run: bool = True,
    limiter: RateLimiter | None = None,
    concurrency: int = 4,
    progress: Callable[[ArchiveEvent], Any] | None = None,
    now: datetime | None = None,
    worker: str | None = None,
    lease_seconds: float = 600.0,
) -> ArchiveReport:
    """Delete at Twilio the media of every verified item created at least ``min_age`` ago
    whose archived copy still checks out; return counts (``deleted`` and ``bytes``; in a dry
    run ``would_delete`` instead, and nothing changes).

    ``limiter`` paces the DELETE requests (default: a token bucket at Twilio's 20 writes/s).
    """
    if not isinstance(min_age, timedelta) or min_age < timedelta(0):
        raise InvalidRequestError(f"min_age must be a timedelta >= 0, got {min_age!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    started = time.monotonic()
    cutoff = (now or datetime.now(timezone.utc)) - min_age
    pace = limiter or TokenBucket(TWILIO_WRITE_RATE, burst=1)
    await ledger.bind_destination(sink.url)
    report = ArchiveReport()
    worker = worker or new_worker_id()
    rows = iter_rows(ledger, states=[State.VERIFIED])
    lock = asyncio.Lock()  # one reader of the shared async iterator at a time

    async def next_row() -> LedgerRow | None:
        async with lock:
            async for row in rows:
                if row.item.date_created <= cutoff:
                    return row
            return None

    async def delete_all() -> None:
        while (row := await next_row()) is not None:
            if dry_run:
                await _dry_run_one(sink, row, report, progress)
            else:
                kind = await _delete_one(
                    client, sink, ledger, worker, row, pace, lease_seconds, report
                )
                if progress is not None:
                    progress(ArchiveEvent(kind=kind, report=report, sid=row.sid))

    try:
        await asyncio.gather(*(delete_all() for _ in range(concurrency)))
    finally:
        if not dry_run:
            await asyncio.shield(ledger.release(worker))
    report.seconds = time.monotonic() - started
    counts = await ledger.counts()
    report.totals = {state.value: counts.get(state, (0, 0))[0] for state in State}
    report.pending = report.totals[State.PENDING.value]
    return report


async def _dry_run_one(
    sink: Sink,
    row: LedgerRow,
    report: ArchiveReport,
    progress: Callable[[ArchiveEvent], Any] | None,
) -> None:
    expected = expected_of(row)
    reason = "the ledger has no SHA-256 or size" if expected is None else None
    if expected is not None:
        reason = await check_object(sink, expected)
    if reason is None:
        report.would_delete += 1
        report.bytes += row.size or 0
    else:
        report.failed += 1
        report.errors.append((row.sid, f"would be kept: {reason}"))
    if progress is not None:
        progress(ArchiveEvent(kind="checked", report=report, sid=row.sid, error=reason))


async def _delete_one(
    client: VideoClient,
    sink: Sink,
    ledger: Ledger,
    worker: str,
    row: LedgerRow,
    pace: RateLimiter,
    lease_seconds: float,
    report: ArchiveReport,
) -> str:
    """Re-check and delete one item; return the progress kind (deleted, failed, skipped)."""
    sid = row.sid
    claimed = await ledger.claim(worker, 1, lease_seconds, states=[State.VERIFIED], sids=[sid])
    if not claimed:
        report.skipped += 1  # no longer verified, or another worker holds it
        return "skipped"
    row = claimed[0]
    expected = expected_of(row)
    # The re-check right before the delete: the ledger alone is never enough.
    reason = "the ledger has no SHA-256 or size" if expected is None else None
    if expected is not None:
        reason = await check_object(sink, expected)
    if reason is not None:
        await ledger.transition(
            sid,
            worker,
            State.VERIFIED,
            State.FAILED,
            changes={"last_error": f"kept at Twilio: {reason}"},
        )
        report.failed += 1
        report.errors.append((sid, f"kept at Twilio: {reason}"))
        return "failed"
    await pace.acquire()
    # Once the DELETE is on its way it is seen through and recorded, even if the run is being
    # cancelled: a deletion at Twilio must never go unrecorded in the ledger.
    task = asyncio.ensure_future(_delete_and_record(client, ledger, worker, row))
    try:
        error = await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
    if error is not None:
        report.failed += 1
        report.errors.append((sid, f"delete at Twilio failed: {error}"))
        return "failed"
    report.deleted += 1
    report.bytes += row.size or 0
    return "deleted"


async def _delete_and_record(
    client: VideoClient, ledger: Ledger, worker: str, row: LedgerRow
) -> str | None:
    sid = row.sid
    resource: Any = client.recordings if row.item.kind == "recording" else client.compositions
    try:
        await resource.delete(sid)
    except NotFoundError:
        pass  # already gone at Twilio: the archived copy is what remains, and it checked out
    except TwilioVideoError as exc:
        error = one_line(exc)
        await ledger.transition(
            sid, worker, State.VERIFIED, State.VERIFIED, changes={"last_error": error}
        )
        return error
    await ledger.transition(sid, worker, State.VERIFIED, State.SOURCE_DELETED)
    return None
