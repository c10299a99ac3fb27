"""``twvideo archive``: copy an account's media into storage you own, check it, delete at Twilio.

``run DEST`` discovers, copies and verifies (resumable: rerun it after any interruption);
``status`` counts the ledger and exports it as a manifest; ``verify`` checks the destination
against the ledger; ``delete-source`` deletes at Twilio what is proven copied (a dry run
unless ``--yes``). The ledger file remembers its destination, so only ``run`` takes DEST.

Exit status: 0 all asked for succeeded, 1 any item failed, 2 bad usage, 130/143 interrupted by
SIGINT/SIGTERM (after the run released its work and closed the ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _cli_archive_limits as limits
from . import _cli_base as base
from ._cli_archive_report import Progress, show_report

if TYPE_CHECKING:
    from .archive import Ledger

# After SIGINT/SIGTERM (cli._run cancels the command): leases are given back and the ledger is
# closed before the process exits, so the next run picks the items up at once.
_RELEASED = "the work in flight was released; rerun to resume"

DEFAULT_LEDGER = "twvideo-archive.sqlite"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``30d``, ``2w`` or plain seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30d, 12h, 15m or 90s, got {text!r}"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def ledger_location(text: str) -> str | Path:
    """A ``postgresql://`` URL stays text (a ``Path`` would fold its ``//``); else a path."""
    return text if "://" in text and not text.startswith("file://") else Path(text)


def shown(location: str | Path) -> str:
    """The ledger's location for messages: a URL's password never appears."""
    if isinstance(location, str):
        from .archive._postgres import redact_dsn

        return redact_dsn(location)
    return str(location)


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1], e.g. 0.05, got {text!r}")
    return value


def register(commands: base.Commands) -> None:
    sub = base.add_group(
        commands, "archive", help="archive the account's media into storage you own"
    )
    run = base.add_command(
        sub,
        "run",
        _run,
        stop_hint=_RELEASED,
        help="discover, copy and verify every recording and composition into DEST",
        description="Copy recordings and compositions into DEST (a directory, file:///dir, "
        "s3://bucket/prefix, gs://..., az://...) with a JSON sidecar each, verified before "
        "they are visible, recorded in the ledger. Rerun it after any interruption: it "
        "resumes, and copies nothing twice.",
    )
    run.add_argument("dest", metavar="DEST", help="where the archive goes")
    _ledger_option(run)
    run.add_argument("--since", type=base.when, metavar="DATE", help="created at or after")
    run.add_argument("--until", type=base.when, metavar="DATE", help="created before")
    run.add_argument(
        "--room",
        action="extend",
        nargs="+",
        type=base.room_sid,
        metavar="RM",
        help="only these rooms (repeatable; default: every room)",
    )
    kinds = run.add_mutually_exclusive_group()
    kinds.add_argument("--no-recordings", action="store_true", help="compositions only")
    kinds.add_argument("--no-compositions", action="store_true", help="recordings only")
    run.add_argument(
        "--concurrency", type=base.positive, default=4, metavar="N", help="(default: 4)"
    )
    run.add_argument(
        "--ready-timeout",
        type=duration,
        default=timedelta(minutes=10),
        metavar="DURATION",
        help="how long to keep retrying media not ready at Twilio (default: 10m)",
    )
    run.add_argument(
        "--workers",
        type=base.positive,
        default=1,
        metavar="N",
        help="worker processes on this host sharing the ledger, each with --concurrency "
        "transfers (default: 1); the same command on other machines against one "
        "postgresql:// ledger joins them",
    )
    run.add_argument(
        "--lease",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long an item stays held by a worker that stopped renewing it (a killed "
        "one) before others take it over (default: 60)",
    )
    limits.add_options(run)
    run.add_argument("--child-of", type=int, help=argparse.SUPPRESS)
    base.add_json_option(run)

    status = base.add_command(sub, "status", _status, help="counts by state; export a manifest")
    _ledger_option(status)
    exports = status.add_mutually_exclusive_group()
    exports.add_argument("--csv", type=Path, metavar="FILE", help="write every row as CSV")
    exports.add_argument("--jsonl", type=Path, metavar="FILE", help="write every row as JSON")
    base.add_json_option(status)

    verify = base.add_command(
        sub, "verify", _verify, help="check the archive against the ledger", stop_hint=_RELEASED
    )
    _ledger_option(verify)
    verify.add_argument(
        "--mode",
        choices=["metadata", "download"],
        default="metadata",
        help="metadata: size, etag and sidecar SHA-256; download: re-read and hash every "
        "object (default: metadata)",
    )
    verify.add_argument("--sample", type=fraction, metavar="F", help="check a random fraction")
    base.add_json_option(verify)

    delete = base.add_command(
        sub,
        "delete-source",
        _delete,
        stop_hint=_RELEASED,
        help="delete at Twilio what is proven archived (dry run unless --yes)",
    )
    _ledger_option(delete)
    delete.add_argument(
        "--min-age",
        type=duration,
        default=timedelta(0),
        metavar="DURATION",
        help="keep media created less than this long ago, e.g. 30d (default: 0)",
    )
    delete.add_argument("--yes", action="store_true", help="really delete (default: dry run)")
    base.add_json_option(delete)


def _ledger_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        type=ledger_location,
        default=Path(DEFAULT_LEDGER),
        metavar="PATH|URL",
        help=f"the ledger: a SQLite file (default: ./{DEFAULT_LEDGER}) or a postgresql:// URL "
        "shared by workers on several machines (password: prefer PGPASSWORD or ~/.pgpass)",
    )


@contextlib.asynccontextmanager
async def _ledger(args: argparse.Namespace, *, create: bool) -> AsyncIterator[Ledger]:
    from .archive import open_ledger

    path: str | Path = args.ledger
    if not create and isinstance(path, Path) and not await asyncio.to_thread(path.exists):
        raise base.CliError(
            f"no ledger at {path}: run `twvideo archive run DEST --ledger {path}` first"
        )
    async with open_ledger(path) as ledger:
        yield ledger


async def _destination(ledger: Ledger, path: str | Path) -> Any:
    from .archive import open_sink

    dest = await ledger.destination()
    if dest is None:
        raise base.CliError(
            f"the ledger {shown(path)} has no destination yet: run `archive run` first"
        )
    return open_sink(dest)


# -- the commands ----------------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> int:
    if not args.lease > 0:
        raise base.CliError(f"--lease must be > 0 seconds, got {args.lease}")
    await limits.check(args)
    if args.workers > 1:
        from ._cli_archive_workers import Hooks, run_workers

        hooks = Hooks(open_location=_ledger, show_report=show_report, progress=Progress)
        return await run_workers(args, list(args.argv), hooks)
    return await _run_archive(args)


async def _run_archive(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .archive import State, open_sink, run_archive
    from .archive._ledger import WORK_STATES

    read_rate, write_rate = limits.client_rates(args)
    sink = open_sink(args.dest)
    throttle = None
    try:
        throttle = limits.shared_limit(args)
        # The client first (missing credentials fail before a ledger file is created), then
        # the ledger's destination (a wrong DEST fails before any request is sent).
        async with (
            base.open_client(args, throttle, read_rate=read_rate, write_rate=write_rate) as client,
            _ledger(args, create=True) as ledger,
        ):
            await ledger.bind_destination(sink.url)
            counts = await ledger.counts()
            known = sum(counts.get(s, (0, 0))[0] for s in (*WORK_STATES, State.FAILED))
            enabled = not args.json and show.err().is_terminal
            watch = None
            if args.child_of is not None:
                from ._cli_archive_workers import watch_parent

                watch = asyncio.ensure_future(watch_parent(args.child_of))
            with Progress(enabled=enabled, known=known) as bars, _cancelling(watch):
                report = await run_archive(
                    client,
                    sink,
                    ledger,
                    since=args.since,
                    until=args.until,
                    rooms=args.room,
                    recordings=not args.no_recordings,
                    compositions=not args.no_compositions,
                    concurrency=args.concurrency,
                    ready_timeout=args.ready_timeout.total_seconds(),
                    progress=bars,
                    lease_seconds=args.lease,
                    # One of several workers (here, or on other machines with a shared
                    # ledger): finish what a killed worker leaves behind.
                    wait_for_others=args.child_of is not None or isinstance(args.ledger, str),
                )
    finally:
        await sink.aclose()
        if throttle is not None:
            await throttle.aclose()
    show_report(args, report, "archived")
    return base.EXIT_FAILED if report.failed else base.EXIT_OK


async def _status(args: argparse.Namespace) -> int:
    from . import _cli_archive_report as report
    from . import _cli_output as show
    from .archive import State

    async with _ledger(args, create=False) as ledger:
        counts = await ledger.counts()
        destination = await ledger.destination()
        written = 0
        if args.csv or args.jsonl:
            written = await report.write_manifest(
                ledger, args.csv or args.jsonl, csv=bool(args.csv)
            )
    items = {state.value: counts.get(state, (0, 0))[0] for state in State}
    sizes = {state.value: counts.get(state, (0, 0))[1] for state in State}
    document = {
        "destination": destination,
        "archived": items["archived"],
        "verified": items["verified"],
        "skipped": items["skipped"],
        "failed": items["failed"],
        "pending": items["pending"],
        "deleted": items["source_deleted"],
        "discovered": items["discovered"],
        "bytes": sum(sizes[s] for s in ("archived", "verified", "source_deleted")),
        "items": items,
        "bytes_by_state": sizes,
    }
    if args.json:
        show.json_document(document)
    else:
        rows = [(state, items[state], show.mib(sizes[state])) for state in items]
        show.table(f"Ledger {shown(args.ledger)} -> {destination}", ("state", "items", "MiB"), rows)
    if written:
        show.note(f"wrote {written} rows to {args.csv or args.jsonl}")
    return base.EXIT_OK


async def _verify(args: argparse.Namespace) -> int:
    from .archive import verify_archive

    async with _ledger(args, create=False) as ledger:
        sink = await _destination(ledger, args.ledger)
        try:
            report = await verify_archive(sink, ledger, mode=args.mode, sample=args.sample)
        finally:
            await sink.aclose()
    show_report(args, report, "verified")
    return base.EXIT_FAILED if report.failed else base.EXIT_OK


async def _delete(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .archive import delete_source

    async with _ledger(args, create=False) as ledger:
        sink = await _destination(ledger, args.ledger)
        try:
            async with base.open_client(args) as client:
                report = await delete_source(
                    client, sink, ledger, min_age=args.min_age, dry_run=not args.yes
                )
        finally:
            await sink.aclose()
    show_report(args, report, "deleted" if args.yes else "would_delete", dry_run=not args.yes)
    if not args.yes and not args.json:
        show.note("dry run: nothing was deleted; add --yes to delete these at Twilio")
    return base.EXIT_FAILED if report.failed else base.EXIT_OK


@contextlib.contextmanager
def _cancelling(task: asyncio.Future[Any] | None) -> Any:
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
