"""Progress events for media downloads, and the call-wide totals they carry."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path

import attrs


class ProgressKind(str, enum.Enum):
    """What a :class:`Progress` event reports."""

    # Storage answered; ``bytes_total`` is known from here on. ``bytes_done`` is 0, or the
    # bytes a killed run left when the file resumes from them.
    STARTED = "started"
    BYTES = "bytes"  # more bytes reached the disk
    RESTARTED = "restarted"  # storage ignored Range or the object changed: back to zero
    RETRYING = "retrying"  # an attempt failed and another follows after a pause; ``error`` why
    FINISHED = "finished"  # verified and renamed onto its final path
    SKIPPED = "skipped"  # already complete on disk
    FAILED = "failed"  # gave up; ``error`` says why


@attrs.frozen(kw_only=True)
class Progress:
    """One progress event: this file's bytes and the totals of the whole call so far.

    ``files_total`` is ``None`` while the items of ``download_many`` are still streaming in
    from an async iterable. ``overall_bytes`` counts bytes on disk written by this call,
    including files still in progress (bytes of discarded attempts are taken back out) and the
    bytes a file resumed from a killed run's temporary file started with.
    """

    kind: ProgressKind
    sid: str
    path: Path
    bytes_done: int
    bytes_total: int | None
    files_finished: int
    files_skipped: int
    files_failed: int
    files_total: int | None
    overall_bytes: int
    error: BaseException | None = None


ProgressCallback = Callable[[Progress], Awaitable[None] | None]


class ProgressCallbackError(Exception):
    """Carries an exception raised by the user's progress callback out of a download."""


class Tally:
    """Totals shared by every file of one call, turned into :class:`Progress` events."""

    def __init__(self, callback: ProgressCallback | None, files_total: int | None) -> None:
        self.callback = callback
        self.files_total = files_total
        self.finished = self.skipped = self.failed = 0
        self.bytes = 0

    def reporter(self, sid: str, path: Path) -> Reporter:
        return Reporter(self, sid, path)


class Reporter:
    """Progress of one file; keeps the call-wide byte count in step with this file's."""

    def __init__(self, tally: Tally, sid: str, path: Path) -> None:
        self.tally = tally
        self.sid = sid
        self.path = path
        self.done = 0

    async def __call__(
        self,
        kind: ProgressKind,
        done: int,
        total: int | None,
        error: BaseException | None = None,
    ) -> None:
        tally = self.tally
        if kind is ProgressKind.FAILED:
            done = 0  # the bytes were discarded with the temporary file
        if kind is not ProgressKind.SKIPPED:
            tally.bytes += done - self.done
            self.done = done
        if kind is ProgressKind.FINISHED:
            tally.finished += 1
        elif kind is ProgressKind.SKIPPED:
            tally.skipped += 1
        elif kind is ProgressKind.FAILED:
            tally.failed += 1
        if tally.callback is None:
            return
        event = Progress(
            kind=kind,
            sid=self.sid,
            path=self.path,
            bytes_done=done,
            bytes_total=total,
            files_finished=tally.finished,
            files_skipped=tally.skipped,
            files_failed=tally.failed,
            files_total=tally.files_total,
            overall_bytes=tally.bytes,
            error=error,
        )
        try:
            result = tally.callback(event)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            raise ProgressCallbackError("the progress callback raised") from exc
