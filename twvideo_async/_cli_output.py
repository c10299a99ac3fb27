"""How the ``twvideo`` command shows things: tables, JSON, summaries, notes and one-line errors.
Uses rich (the ``cli`` extra). Results go to stdout; notes, progress and errors to stderr, so
``--json`` output stays one clean document for jq."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import errors

if TYPE_CHECKING:
    from ._media.bulk import DownloadResult, DownloadSummary

MIB = 2**20


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit with status 1 itself; cli.main handles this like the JSON path does.
        self.quiet = True
        raise BrokenPipeError


@cache
def out() -> Console:
    # Piped output gets room for whole SIDs and dates instead of rich's 80-column default.
    return _Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@cache
def err() -> Console:
    # Soft wrap: an error stays one line however narrow the terminal.
    return _Console(stderr=True, highlight=False, soft_wrap=True)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(getattr(value, "value", value))


def mib(size: int | None) -> str | None:
    return None if size is None else f"{size / MIB:.1f}"


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Print a table; return how many rows it had."""
    grid = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        grid.add_column(column, no_wrap=index == 0)  # SIDs are copied from here: never cut
    count = 0
    for row in rows:
        grid.add_row(*(escape(cell(value)) for value in row))
        count += 1
    out().print(grid)
    return count


def details(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    grid = Table(title=title, title_justify="left", show_header=False)
    grid.add_column("field", style="bold")
    grid.add_column("value")
    for name, value in fields:
        grid.add_row(name, escape(cell(value)))
    out().print(grid)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_document(document: Any) -> None:
    """One JSON document on stdout (never through rich: no wrapping, no markup)."""
    sys.stdout.write(json.dumps(document, default=_plain, indent=2) + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """A hint for people, on stderr so it never mixes with results."""
    err().print(f"[dim]note: {escape(text)}[/dim]")


def failure(text: str) -> None:
    err().print(f"twvideo: error: {escape(text)}")


def summary(result: DownloadSummary) -> None:
    counts = (
        f"{result.files} files: {result.succeeded} downloaded, {result.skipped} already "
        f"complete, {result.failed} failed"
    )
    amount = (
        f"{result.bytes / MIB:.1f} MiB in {result.seconds:.1f} s "
        f"({result.throughput / MIB:.1f} MiB/s)"
    )
    console = out()
    line = f"{counts}; {amount}"
    # One line when it fits, else two whole ones rather than a wrapped half.
    console.print(line if len(line) <= console.width else f"{counts}\n{amount}")
    for failed in result.errors:
        err().print(f"  failed {failed.sid}: {escape(one_line(failed.error))}")


def _result(result: DownloadResult) -> dict[str, Any]:
    status = "failed" if not result.ok else "skipped" if result.skipped else "downloaded"
    return {
        "sid": result.sid,
        "status": status,
        "path": None if result.path is None else str(result.path),
        "bytes": result.bytes,
        "sha256": result.sha256,
        "attempts": result.attempts,
        "error": None if result.error is None else one_line(result.error),
    }


def summary_document(result: DownloadSummary) -> dict[str, Any]:
    """A download as one JSON object: the counts, then one entry per file in input order."""
    return {
        "files": result.files,
        "downloaded": result.succeeded,
        "skipped": result.skipped,
        "failed": result.failed,
        "bytes": result.bytes,
        "seconds": round(result.seconds, 3),
        "results": [_result(r) for r in result.results],
    }


_HINTS: list[tuple[type[BaseException], str]] = [
    (errors.MediaNotReadyError, "media exists only once the recording/composition is completed"),
    (errors.NotFoundError, "check the SID; completed rooms are found by SID, not unique name"),
    (errors.RateLimitError, "Twilio is rate limiting this account; retry later"),
    (errors.APIConnectionError, "check the network and --base-url"),
]


def one_line(error: BaseException | None, *, credentials: str | None = None) -> str:
    """An error as one line with what to do about it, never a traceback.

    ``credentials`` names the pair the command used (``TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN``)
    so a 401 points at the variables actually read.
    """
    if error is None:
        return "unknown error"
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, errors.AuthenticationError):
        return f"{text} (check {credentials or 'the credentials'})"
    for cls, hint in _HINTS:
        if isinstance(error, cls):
            return f"{text} ({hint})"
    return text
