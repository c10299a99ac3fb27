"""How the ``twvideo`` command shows things: tables, download progress, summaries, one-line
errors. Uses rich (the ``cli`` extra)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from . import errors

if TYPE_CHECKING:
    from ._bulk import DownloadSummary
    from ._progress import Progress as ProgressEvent

# Piped output gets room for whole SIDs and dates instead of rich's 80-column default.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
# Soft wrap: an error stays one line however narrow the terminal.
err = Console(stderr=True, highlight=False, soft_wrap=True)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(getattr(value, "value", value))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Print a table; return how many rows it had."""
    grid = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        grid.add_column(column, no_wrap=index == 0)  # SIDs are copied from here: never cut
    count = 0
    for row in rows:
        grid.add_row(*(cell(value) for value in row))
        count += 1
    out.print(grid)
    return count


def details(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    grid = Table(title=title, title_justify="left", show_header=False)
    grid.add_column("field", style="bold")
    grid.add_column("value")
    for name, value in fields:
        grid.add_row(name, cell(value))
    out.print(grid)


class DownloadProgress:
    """Per-file bars plus an overall bar, fed by the SDK's progress events."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._overall = self._progress.add_task("all files", total=None)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> DownloadProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        kind = event.kind.value
        task = self._tasks.get(event.sid)
        if task is None and kind in ("started", "bytes"):
            task = self._tasks[event.sid] = self._progress.add_task(
                event.path.name, total=event.bytes_total
            )
        if task is not None:
            self._progress.update(task, completed=event.bytes_done, total=event.bytes_total)
            if kind in ("finished", "failed", "skipped"):
                self._progress.remove_task(task)
                del self._tasks[event.sid]
        done = event.files_finished + event.files_skipped + event.files_failed
        label = f"all files ({done}/{event.files_total if event.files_total else '?'})"
        self._progress.update(self._overall, completed=event.overall_bytes, description=label)
        if kind == "failed":
            err.print(f"[red]failed[/red] {event.sid}: {one_line(event.error)}")


def summary(result: DownloadSummary) -> None:
    mib = result.bytes / 2**20
    rate = result.throughput / 2**20
    out.print(
        f"{result.files} files: {result.succeeded} downloaded, {result.skipped} already complete, "
        f"{result.failed} failed; {mib:.1f} MiB in {result.seconds:.1f}s ({rate:.1f} MiB/s)"
    )
    for failed in result.errors:
        err.print(f"  {failed.sid}: {one_line(failed.error)}")


_HINTS: list[tuple[type[BaseException], str]] = [
    (errors.AuthenticationError, "check TWILIO_API_KEY_SID / TWILIO_API_KEY_SECRET"),
    (errors.MediaNotReadyError, "media exists only once the recording/composition is completed"),
    (errors.NotFoundError, "check the SID; completed rooms are found by SID, not unique name"),
    (errors.RateLimitError, "Twilio is rate limiting this account; retry later"),
    (errors.APIConnectionError, "check the network and --base-url"),
]


def one_line(error: BaseException | None) -> str:
    """An error as one line with what to do about it, never a traceback."""
    if error is None:
        return "unknown error"
    text = " ".join(str(error).split()) or type(error).__name__
    for cls, hint in _HINTS:
        if isinstance(error, cls):
            return f"{text} ({hint})"
    return text
