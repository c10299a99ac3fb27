"""What ``twvideo archive`` shows: the report of a run, a verification or a deletion, the
progress bar of a run, and the ledger exported as a manifest (CSV or JSON Lines)."""

from __future__ import annotations

import argparse
import csv as csv_module
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .archive import ArchiveEvent, ArchiveReport, Ledger

MANIFEST = (
    "sid",
    "kind",
    "room_sid",
    "date_created",
    "state",
    "size",
    "sha256",
    "key",
    "etag",
    "attempts",
    "last_error",
    "reason",
    "archived_at",
    "verified_at",
    "deleted_at",
)


def manifest_row(row: Any) -> dict[str, Any]:
    def stamp(value: float | None) -> str | None:
        if value is None:
            return None
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    item = row.item
    return {
        "sid": row.sid,
        "kind": item.kind,
        "room_sid": item.room_sid,
        "date_created": item.date_created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "state": row.state.value,
        "size": row.size,
        "sha256": row.sha256,
        "key": row.dest_key,
        "etag": row.etag,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "reason": row.reason,
        "archived_at": stamp(row.archived_at),
        "verified_at": stamp(row.verified_at),
        "deleted_at": stamp(row.deleted_at),
    }


async def write_manifest(ledger: Ledger, target: Path, *, csv: bool) -> int:
    """Write every ledger row to ``target`` (CSV with a header, or one JSON object a line);
    return how many rows were written."""
    from .archive import iter_rows

    written = 0
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv_module.DictWriter(handle, fieldnames=MANIFEST) if csv else None
        if writer is not None:
            writer.writeheader()
        async for row in iter_rows(ledger):
            record = manifest_row(row)
            if writer is not None:
                writer.writerow(record)
            else:
                handle.write(json.dumps(record) + "\n")
            written += 1
    return written


def show_report(
    args: argparse.Namespace,
    report: ArchiveReport,
    main: str,
    *,
    extra: dict[str, Any] | None = None,
    dry_run: bool | None = None,
) -> None:
    """The report of a run, a verification or a deletion: one summary line and the first
    failures, or (``--json``) the whole report as one JSON document."""
    from . import _cli_output as show

    if args.json:
        document = report.as_dict()
        document.update(extra or {})
        if dry_run is not None:
            document["dry_run"] = dry_run
        show.json_document(document)
        return
    mib = report.bytes / 2**20
    parts = [
        f"{report.archived} archived",
        f"{report.verified} verified",
        f"{report.skipped} skipped",
        f"{report.pending} pending",
        f"{report.failed} failed",
    ]
    if main in ("deleted", "would_delete"):
        parts = [
            f"{report.deleted if main == 'deleted' else report.would_delete} "
            f"{'deleted' if main == 'deleted' else 'would be deleted'}",
            f"{report.failed} kept (check failed)",
        ]
    show.out().print(f"{', '.join(parts)}; {mib:.1f} MiB in {report.seconds:.1f}s")
    for sid, error in report.errors[:50]:
        show.err().print(f"  {sid}: {error}", markup=False)
    if len(report.errors) > 50:
        show.note(f"{len(report.errors) - 50} more failures: see `twvideo archive status --csv`")


class Progress:
    """One rich bar over the run's items (total grows as discovery finds more), with ETA."""

    def __init__(self, *, enabled: bool, known: int = 0) -> None:
        self.enabled = enabled
        self.known = known  # items earlier runs left to do
        self._bar: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            from . import _cli_output as show

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[mib]:.1f} MiB"),
                TimeRemainingColumn(),
                console=show.err(),
            )
            self._task = self._bar.add_task("archiving", total=None, mib=0.0)
            self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, event: ArchiveEvent) -> None:
        if self._bar is None:
            return
        report = event.report
        done = report.archived + report.verified + report.skipped + report.failed
        total = max(self.known + report.discovered, done) or None
        self._bar.update(self._task, completed=done, total=total, mib=report.bytes / 2**20)
