"""``twvideo archive run DEST --workers N``: N worker processes on one ledger, one report.

The parent checks the arguments, binds the ledger to DEST (a wrong DEST fails before any child
starts), then starts N copies of the same command with ``--workers 1 --json`` and a hidden
``--child-of PID``. Each child is an ordinary run with its own worker id (``host:pid:random``):
it claims items with leases, renews them, and before it ends waits for items other workers
still hold, taking over those whose lease expires (or whose process here died), so the items
of a killed worker are finished by the others. The same command on other machines against the
same PostgreSQL ledger joins the same pool.

The parent shows progress from the ledger's counts and adds the children's ``--json`` reports
into one. SIGINT/SIGTERM to the parent are passed on as SIGTERM to every child, and the parent
waits for all of them before it exits 130/143; a child whose parent is gone stops by itself
(it checks its parent), so no worker is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from . import _cli_archive_limits as limits
from . import _cli_base as base

__all__ = ["Hooks", "run_workers", "watch_parent"]


@attrs.frozen
class Hooks:
    open_location: Callable[..., Any]
    show_report: Callable[..., None]
    progress: Callable[..., Any]


_POLL = 0.5
_SUMMED = ("archived", "verified", "skipped", "failed", "bytes", "discovered")


async def watch_parent(parent: int) -> None:
    """In a child: stop cleanly (as on SIGTERM) once the parent process is gone."""
    while os.getppid() == parent:  # noqa: ASYNC110  # no event tells a child its parent died
        await asyncio.sleep(_POLL)
    os.kill(os.getpid(), signal.SIGTERM)


async def run_workers(args: argparse.Namespace, argv: list[str], hooks: Hooks) -> int:
    """The parent. ``hooks``: the ``archive`` command's ledger opener, report printer and
    progress bar (passed in, so this module does not import that one back)."""
    from . import _cli_output as show
    from .archive import ArchiveReport, State, open_sink

    open_location = hooks.open_location

    base.check_credentials(args)
    sink = open_sink(args.dest)
    try:
        async with open_location(args, create=True) as ledger:
            await ledger.bind_destination(sink.url)
    finally:
        await sink.aclose()
    started = time.monotonic()
    command = [sys.executable, "-m", "twvideo_async.cli", *argv]
    # Each child is one worker; its share of the quotas is still taken from the total.
    command += ["--workers", "1", *limits.child_options(args)]
    command += ["--json", "--child-of", str(os.getpid())]
    procs: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(args.workers):
            procs.append(
                await asyncio.create_subprocess_exec(
                    *command,
                    stdout=asyncio.subprocess.PIPE,
                    # Own session: a terminal's Ctrl-C reaches the parent, which passes it on
                    # once, instead of every child at the same moment.
                    start_new_session=True,
                )
            )
        outputs = [asyncio.ensure_future(p.communicate()) for p in procs]
        await _progress(args, outputs, hooks)
        results = [await o for o in outputs]
    except asyncio.CancelledError:
        await asyncio.shield(_stop(procs))
        raise
    report = ArchiveReport()
    exits: list[int] = []
    for proc, (out, _) in zip(procs, results, strict=True):
        exits.append(proc.returncode if proc.returncode is not None else -1)
        try:
            child: dict[str, Any] = json.loads(out.decode() or "null") or {}
        except ValueError:
            child = {}
        for name in _SUMMED:
            setattr(report, name, getattr(report, name) + int(child.get(name, 0)))
        report.errors += [(e["sid"], e["error"]) for e in child.get("errors", [])]
        for name, count in (child.get("insights") or {}).items():
            report.insights[name] = report.insights.get(name, 0) + int(count)
    for code in exits:
        if code not in (base.EXIT_OK, base.EXIT_FAILED):
            show.note(f"a worker ended with status {code}; the others took over its items")
    async with open_location(args, create=False) as ledger:
        counts = await ledger.counts()
    report.totals = {state.value: counts.get(state, (0, 0))[0] for state in State}
    report.pending = report.totals[State.PENDING.value]
    report.seconds = time.monotonic() - started
    extra = {"workers": len(procs), "worker_exits": exits}
    hooks.show_report(args, report, "archived", extra=extra)
    unfinished = report.totals[State.DISCOVERED.value] + report.totals[State.ARCHIVED.value]
    return base.EXIT_FAILED if report.failed or unfinished else base.EXIT_OK


async def _progress(
    args: argparse.Namespace, outputs: Sequence[asyncio.Future[Any]], hooks: Hooks
) -> None:
    """Until every child is done: a bar over the whole ledger, from its counts."""
    from . import _cli_output as show
    from .archive import ArchiveEvent, ArchiveReport, State

    open_location, Progress = hooks.open_location, hooks.progress

    enabled = not args.json and show.err().is_terminal
    async with open_location(args, create=False) as ledger:
        with Progress(enabled=enabled) as bars:
            while not all(o.done() for o in outputs):
                await asyncio.wait(outputs, timeout=_POLL)
                if not enabled:
                    continue
                counts = await ledger.counts()
                done = {s: counts.get(s, (0, 0)) for s in State}
                report = ArchiveReport(
                    archived=done[State.VERIFIED][0] + done[State.SOURCE_DELETED][0],
                    skipped=done[State.SKIPPED][0],
                    failed=done[State.FAILED][0],
                    bytes=done[State.VERIFIED][1],
                    discovered=sum(n for n, _ in done.values()),
                )
                bars(ArchiveEvent(kind="archived", report=report))


async def _stop(procs: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM to every child still running, then wait for all of them."""
    for proc in procs:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    await asyncio.gather(*(p.wait() for p in procs), return_exceptions=True)
