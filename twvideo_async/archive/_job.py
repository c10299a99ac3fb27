"""The whole archive job: discover into the ledger, then copy, check and record every item.

Discovery runs as one task while ``concurrency`` workers claim what is already discovered, so
copying starts at once on a large account; across processes sharing the ledger, one discovers at
a time (``Ledger.exclusive``). Items not ready at Twilio become ``pending`` and are
claimed again after their backoff, until ``ready_timeout`` after the start of the run; what is
still not ready then stays pending in the ledger for the next run. Leases are renewed while
transfers run and dropped when the run ends however it ends, so a rerun (or another process on
the same ledger) takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._logging import logger
from .._tracing import archive_item
from ..errors import InvalidRequestError
from ._discover import Discovery, discover
from ._insights import archive_summaries
from ._ledger import Ledger, State, local_worker_is_dead, new_worker_id
from ._one import ItemResult, LeaseLost, Settings, one_line, process
from ._sink import Sink

if TYPE_CHECKING:
    from .._client import VideoClient

__all__ = ["ArchiveEvent", "ArchiveReport", "run_archive"]

_POLL = 0.5  # longest idle wait before a worker looks at the ledger again


@attrs.define(kw_only=True)
class ArchiveReport:
    """Counts of one run (``run_archive``, ``verify_archive`` or ``delete_source``).

    ``archived``: copied in this run and verified; ``verified``: found (or, for
    ``verify_archive``, checked) intact at the destination without a download; ``skipped``,
    ``failed``, ``pending`` (not ready at Twilio when the run ended), ``deleted`` (at Twilio),
    ``would_delete`` (a dry run's count), ``bytes`` (copied, checked or deleted),
    ``discovered`` (new items listed). ``errors``: ``(sid, reason)`` of each failure.
    ``totals``: the ledger's items per state at the end. ``insights``: rooms whose Video
    Insights summaries were ``stored`` beside their media, ``missing`` at Insights (404) or
    ``failed`` (logged; never a failure of the run).
    """

    archived: int = 0
    verified: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0
    deleted: int = 0
    would_delete: int = 0
    bytes: int = 0
    discovered: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = attrs.field(factory=list)
    totals: dict[str, int] = attrs.field(factory=dict)
    insights: dict[str, int] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``twvideo archive ... --json``."""
        return {
            "archived": self.archived,
            "skipped": self.skipped,
            "verified": self.verified,
            "failed": self.failed,
            "pending": self.pending,
            "deleted": self.deleted,
            "would_delete": self.would_delete,
            "bytes": self.bytes,
            "discovered": self.discovered,
            "seconds": round(self.seconds, 3),
            "errors": [{"sid": sid, "error": error} for sid, error in self.errors],
            "totals": dict(self.totals),
            "insights": dict(self.insights),
        }


@attrs.frozen(kw_only=True)
class ArchiveEvent:
    """A progress event: ``kind`` is ``discovered`` (``count`` new items), or an item's outcome
    (``archived``, ``verified``, ``skipped``, ``pending``, ``failed``) with its ``sid``.
    ``report`` is the run's report so far (read it, do not keep it)."""

    kind: str
    report: ArchiveReport
    sid: str | None = None
    count: int = 0
    error: str | None = None


def _tally(report: ArchiveReport, result: ItemResult) -> None:
    report.bytes += result.bytes
    if result.outcome == "archived":
        report.archived += 1
    elif result.outcome == "verified":
        report.verified += 1
    elif result.outcome == "skipped":
        report.skipped += 1
    elif result.outcome == "failed":
        report.failed += 1
        report.errors.append((result.sid, result.error or "failed"))


async def run_archive(
    client: VideoClient,
    sink: Sink,
    ledger: Ledger,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    rooms: Sequence[str] | None = None,
    recordings: bool = True,
    compositions: bool = True,
    concurrency: int = 4,
    progress: Callable[[ArchiveEvent], Any] | None = None,
    ready_timeout: float = 600.0,
    ready_delay: float = 5.0,
    max_attempts: int = 5,
    lease_seconds: float = 60.0,
    worker: str | None = None,
    insights: bool = True,
    wait_for_others: bool = False,
) -> ArchiveReport:
    """Archive every recording and composition ``since``..``until`` (of ``rooms``, if given)
    from ``client``'s account into ``sink``, recording each step in ``ledger``.

    Resumes whatever earlier runs on this ledger left unfinished (their discovery cursor, and
    every item not yet verified, failed items included). Returns an :class:`ArchiveReport`;
    one item's failure never stops the others. ``progress(event)`` gets an
    :class:`ArchiveEvent` per item. Arguments are checked before anything is sent.
    With ``insights`` (the default), each room that received media also gets its Video
    Insights summaries as JSON beside it (see ``ArchiveReport.insights``).

    ``wait_for_others``: for one of several workers on a shared ledger. When nothing is left to
    claim, the run waits while other workers still hold unfinished items (their leases), and
    takes over any whose lease expires (or whose process on this host died), so a worker that
    was killed has its items finished by the others. Without it a run ends as soon as nothing
    is claimable.
    """
    plan = Discovery.build(
        since=since,
        until=until,
        rooms=rooms,
        recordings=recordings,
        compositions=compositions,
    )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    if not ready_timeout >= 0 or not ready_delay > 0 or not lease_seconds > 0:
        raise InvalidRequestError("ready_timeout, ready_delay and lease_seconds must be > 0")
    settings = Settings(
        max_attempts=max_attempts, ready_delay=ready_delay, lease_seconds=lease_seconds
    )
    job = _Job(client, sink, ledger, worker or new_worker_id(), settings, progress)
    job.insights = insights
    job.wait_for_others = wait_for_others
    return await job.run(plan, concurrency, ready_timeout)


class _Job:
    def __init__(
        self,
        client: VideoClient,
        sink: Sink,
        ledger: Ledger,
        worker: str,
        settings: Settings,
        progress: Callable[[ArchiveEvent], Any] | None,
    ) -> None:
        self.client, self.sink, self.ledger = client, sink, ledger
        self.worker = worker
        self.settings = settings
        self.progress = progress
        self.report = ArchiveReport()
        self.in_flight: set[str] = set()
        self.changed = asyncio.Event()  # new items discovered, or an item finished
        self.discovering = True
        self.insights = False
        self.room_folders: set[tuple[str, str]] = set()  # rooms that got media in this run
        self.wait_for_others = False

    def _emit(self, kind: str, **fields: Any) -> None:
        if self.progress is not None:
            self.progress(ArchiveEvent(kind=kind, report=self.report, **fields))

    async def run(self, plan: Discovery, concurrency: int, ready_timeout: float) -> ArchiveReport:
        started = time.monotonic()
        ledger = self.ledger
        await ledger.bind_destination(self.sink.url)
        await ledger.release_dead(local_worker_is_dead)
        await ledger.requeue_failed()
        self.deadline = time.time() + ready_timeout
        tasks = [asyncio.ensure_future(self._discover(plan))]
        tasks.append(asyncio.ensure_future(self._renew()))
        workers = [asyncio.ensure_future(self._work()) for _ in range(concurrency)]
        try:
            await asyncio.gather(*workers)
            await tasks[0]
        finally:
            for task in (*workers, *tasks):
                task.cancel()
            await asyncio.gather(*workers, *tasks, return_exceptions=True)
            # However the run ends, nothing stays leased to it: a rerun starts at once.
            await _shielded(ledger.release(self.worker))
        if self.insights:
            self.report.insights = await archive_summaries(
                self.client, self.sink, ledger, self.room_folders
            )
        counts = await ledger.counts()
        self.report.totals = {state.value: counts.get(state, (0, 0))[0] for state in State}
        self.report.pending = self.report.totals[State.PENDING.value]
        self.report.seconds = time.monotonic() - started
        return self.report

    async def _discover(self, plan: Discovery) -> None:
        def found(listed: int, new: int) -> None:  # noqa: ARG001 - the discovery callback's shape
            self.report.discovered += new
            self.changed.set()
            if new:
                self._emit("discovered", count=new)

        try:
            # One discoverer at a time across every process on this ledger (the cursor is
            # shared); the others work on what is already discovered, and each takes its turn
            # once the lock is free: from the shared cursor that is a short re-listing of the
            # last unsettled window, and it takes over if the discoverer died.
            while True:
                async with self.ledger.exclusive("discovery") as mine:
                    if mine:
                        await discover(self.client, self.ledger, plan, on_items=found)
                        break
                await asyncio.sleep(_POLL)
        except Exception as exc:
            # Discovery failing (Twilio down, bad credentials) fails the run, but what was
            # already discovered is still archived.
            self.report.failed += 1
            self.report.errors.append(("discovery", one_line(exc)))
            self._emit("failed", error=one_line(exc))
        finally:
            self.discovering = False
            self.changed.set()

    async def _renew(self) -> None:
        interval = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            if self.in_flight:
                await self.ledger.renew(
                    self.worker, list(self.in_flight), self.settings.lease_seconds
                )

    async def _work(self) -> None:
        ledger = self.ledger
        while True:
            self.changed.clear()
            rows = await ledger.claim(
                self.worker, 1, self.settings.lease_seconds, count_attempt=True
            )
            if rows:
                await self._one(rows[0])
                continue
            if self.discovering or self.in_flight:
                await self._idle(_POLL)
                continue
            if self.wait_for_others and await self._held_elsewhere():
                await self._idle(_POLL)
                continue
            wake = await ledger.next_wakeup()
            if wake is None or wake > self.deadline:
                return  # nothing left, or only items not ready before the deadline
            await self._idle(min(max(0.0, wake - time.time()), _POLL))

    async def _held_elsewhere(self) -> bool:
        """Whether unfinished items are leased by other workers (after dropping the leases of
        dead workers of this host: those are claimable at once)."""
        await self.ledger.release_dead(local_worker_is_dead)
        counts = await self.ledger.counts()
        return any(counts.get(s, (0, 0))[0] for s in (State.DISCOVERED, State.ARCHIVED))

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.changed.wait(), seconds)

    async def _one(self, row: Any) -> None:
        sid = row.sid
        self.in_flight.add(sid)
        try:
            result = await process(
                self.client, self.sink, self.ledger, self.worker, row, self.settings
            )
        except LeaseLost:
            logger.warning("archive: lost the lease on %s to another worker", sid)
            return
        finally:
            self.in_flight.discard(sid)
            self.changed.set()
        _tally(self.report, result)
        archive_item(self.client, result.outcome)
        if result.outcome in ("archived", "verified"):
            self.room_folders.add((row.item.folder, row.item.room_sid))
        self._emit(result.outcome, sid=sid, error=result.error)


async def _shielded(awaitable: Any) -> None:
    task = asyncio.ensure_future(awaitable)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
    except Exception:
        logger.warning("archive: could not release the run's leases", exc_info=True)
