"""Download progress for ``twvideo``: one row per file in flight plus an overall row.

Sizes are MiB everywhere (as in the summary). The overall row knows the byte total from the
listing, so it shows an ETA; skipped and failed files are taken out of that total. Rows are
sized to the terminal: at 80 columns SIDs are shortened in the middle so nothing wraps.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID
from rich.text import Text

if TYPE_CHECKING:
    from ._media.progress import Progress as ProgressEvent

MIB = 2**20
IDLE = 2.0  # seconds without new bytes before a row says "waiting"
# Widths of the fixed columns: "1234.5/1234.5 MiB", "123.4 MiB/s", "0:00:00", 1-space gaps.
_FIXED = 17 + 11 + 7 + 4


def shorten(name: str, width: int) -> str:
    """``RT0123456789abc…4567.mka`` style: keep the start, the end and the extension."""
    if len(name) <= width:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 5:
        ext = dot + ext
    else:
        stem, ext = name, ""
    room = width - len(ext) - 1  # one column for the ellipsis
    if room < 2:
        return name[:width]
    tail = room // 3
    return stem[: room - tail] + "…" + (stem[-tail:] if tail else "") + ext


class _Name(ProgressColumn):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def render(self, task: Task) -> Text:
        state = task.fields.get("state")
        if state:
            name = shorten(task.description, self.width - len(state) - 1)
            return Text(f"{name} {state}".ljust(self.width), no_wrap=True)
        return Text(shorten(task.description, self.width).ljust(self.width), no_wrap=True)


class _Size(ProgressColumn):
    def render(self, task: Task) -> Text:
        done = task.completed / MIB
        if task.total is None:
            return Text(f"{done:.1f}/? MiB".rjust(17))
        return Text(f"{done:.1f}/{task.total / MIB:.1f} MiB".rjust(17))


def _idle(task: Task) -> bool:
    """No bytes for a while: rich would keep showing the last speed, which is no longer true."""
    seen = task.fields.get("seen")
    return not task.finished and seen is not None and time.monotonic() - seen > IDLE


class _Speed(ProgressColumn):
    def render(self, task: Task) -> Text:
        if _idle(task):
            return Text("waiting".rjust(11))
        speed = task.finished_speed or task.speed
        return Text(("" if speed is None else f"{speed / MIB:.1f} MiB/s").rjust(11))


class _Eta(ProgressColumn):
    max_refresh = 0.5

    def render(self, task: Task) -> Text:
        left = None if _idle(task) else task.time_remaining
        if left is None:
            return Text("-:--:--".rjust(7))
        minutes, seconds = divmod(int(left), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours}:{minutes:02d}:{seconds:02d}")


class DownloadProgress:
    """Feeds rich progress bars from the SDK's progress events (a ``progress=`` callback)."""

    def __init__(
        self,
        console: Console,
        *,
        files: int,
        total_bytes: int | None,
        enabled: bool,
        sizes: dict[str, int] | None = None,
    ) -> None:
        width = console.width
        bar = 10 if width < 100 else 30
        name = max(12, min(40, width - _FIXED - bar - 1))
        self._progress = Progress(
            _Name(name),
            BarColumn(bar_width=bar),
            _Size(),
            _Speed(),
            _Eta(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._files = files
        self._total = total_bytes
        self._sizes = sizes or {}
        self._overall = self._progress.add_task(self._label(0), total=total_bytes)
        self._tasks: dict[str, TaskID] = {}

    def _label(self, done: int) -> str:
        return f"all files {done}/{self._files}"

    def __enter__(self) -> DownloadProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        kind = event.kind.value
        task = self._tasks.get(event.sid)
        if task is None and kind not in ("finished", "failed", "skipped"):
            # A row from the first event on, a retried file included (it may have no bytes yet),
            # and from the bytes a killed run left when it resumed: those were not this run's
            # transfer, so they start the row rather than count towards its speed.
            task = self._tasks[event.sid] = self._progress.add_task(
                event.path.name, total=event.bytes_total, completed=event.bytes_done, state=""
            )
        if task is not None:
            # Before storage answers, the size from the listing stands in for Content-Length.
            total = (
                event.bytes_total if event.bytes_total is not None else self._sizes.get(event.sid)
            )
            self._progress.update(
                task,
                description=event.path.name,
                completed=event.bytes_done,
                total=total,
                state="retrying" if kind == "retrying" else "",
                seen=time.monotonic(),
            )
            if kind in ("finished", "failed", "skipped"):
                self._progress.remove_task(task)
                del self._tasks[event.sid]
        if kind in ("failed", "skipped") and self._total is not None:
            # Those bytes will never arrive in this run: the total and the ETA shrink.
            self._total -= self._sizes.get(event.sid, 0)
        done = event.files_finished + event.files_skipped + event.files_failed
        self._progress.update(
            self._overall,
            completed=event.overall_bytes,
            total=self._total,
            description=self._label(done),
            seen=time.monotonic(),
        )
