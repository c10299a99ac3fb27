"""Verification on demand: is every archived object still what the ledger says it is?

``metadata`` mode (the default, cheap) checks each object's size, etag and metadata and its
sidecar's SHA-256 against the ledger; ``download`` mode also re-reads every object and hashes it
(like ``rclone check --download``). ``sample`` checks a random fraction (like ``restic check
--read-data-subset``). An item that fails is recorded ``failed`` with the reason, so the next
``run_archive`` copies it again (while Twilio still has it) and ``delete_source`` never touches
it.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from typing import Any

from ..errors import InvalidRequestError
from ._check import Expected, check_object
from ._job import ArchiveEvent, ArchiveReport
from ._ledger import Ledger, LedgerRow, State, iter_rows, new_worker_id
from ._sink import Sink

__all__ = ["MODES", "check_sample", "verify_archive"]

MODES = ("metadata", "download")
# Items verification looks at: what the job finished (``archived`` is its work in progress).
CHECKED = (State.VERIFIED, State.SOURCE_DELETED)


def check_sample(sample: float | None) -> float | None:
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0 < sample <= 1:
        raise InvalidRequestError(f"sample must be a fraction in (0, 1], e.g. 0.05, got {sample!r}")
    return float(sample)


def expected_of(row: LedgerRow) -> Expected | None:
    if row.sha256 is None or row.size is None:
        return None
    return Expected(item=row.item, size=row.size, sha256=row.sha256, etag=row.etag)


async def verify_archive(
    sink: Sink,
    ledger: Ledger,
    *,
    mode: str = "metadata",
    sample: float | None = None,
    concurrency: int = 4,
    progress: Callable[[ArchiveEvent], Any] | None = None,
    rng: random.Random | None = None,
    worker: str | None = None,
    lease_seconds: float = 600.0,
) -> ArchiveReport:
    """Check the archived items of ``ledger`` at ``sink``; return counts (``verified`` passed,
    ``failed`` did not, ``bytes`` checked). Failures are recorded in the ledger."""
    if mode not in MODES:
        raise InvalidRequestError(f"mode must be 'metadata' or 'download', got {mode!r}")
    fraction = check_sample(sample)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    started = time.monotonic()
    await ledger.bind_destination(sink.url)
    sids = [row.sid async for row in iter_rows(ledger, states=CHECKED)]
    if fraction is not None and sids:
        count = max(1, math.ceil(fraction * len(sids)))
        sids = sorted((rng or random.Random()).sample(sids, count))  # noqa: S311 - a spot check
    worker = worker or new_worker_id()
    report = ArchiveReport()
    queue = iter(sids)

    async def check_all() -> None:
        for sid in queue:
            await _check_one(sink, ledger, worker, sid, mode, lease_seconds, report, progress)

    try:
        await asyncio.gather(*(check_all() for _ in range(min(concurrency, len(sids)) or 1)))
    finally:
        await asyncio.shield(ledger.release(worker))
    report.seconds = time.monotonic() - started
    counts = await ledger.counts()
    report.totals = {state.value: counts.get(state, (0, 0))[0] for state in State}
    report.pending = report.totals[State.PENDING.value]
    return report


async def _check_one(
    sink: Sink,
    ledger: Ledger,
    worker: str,
    sid: str,
    mode: str,
    lease_seconds: float,
    report: ArchiveReport,
    progress: Callable[[ArchiveEvent], Any] | None,
) -> None:
    rows = await ledger.claim(worker, 1, lease_seconds, states=CHECKED, sids=[sid])
    if not rows:
        report.skipped += 1  # changed or held by another worker since it was listed
        return
    row = rows[0]
    expected = expected_of(row)
    if expected is None:
        reason: str | None = "the ledger has no SHA-256 or size for it"
    else:
        reason = await check_object(sink, expected, download=mode == "download")
    if reason is None:
        await ledger.transition(sid, worker, row.state, row.state)
        report.verified += 1
        report.bytes += row.size or 0
        kind = "verified"
    else:
        if row.state is State.SOURCE_DELETED:
            reason += " (the source was already deleted at Twilio)"
        await ledger.transition(
            sid, worker, row.state, State.FAILED, changes={"last_error": f"verify: {reason}"}
        )
        report.failed += 1
        report.errors.append((sid, reason))
        kind = "failed"
    if progress is not None:
        progress(ArchiveEvent(kind=kind, report=report, sid=sid, error=reason))
