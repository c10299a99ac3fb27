"""Instructions per fetch, counted by callgrind: ``python -m benchmarks.callgrind_fetch``.

Wall-clock figures on a shared 2-core machine swing by 30%; the number of instructions the
client process executes per call repeats within about 1%, so it is the figure to optimise
against. For each client (raw aiohttp, twvideo_async, twilio-python when installed) this runs
case (a)'s own worker (``benchmarks.worker fetch CLIENT``: a room fetched at the case's
concurrency) under ``valgrind --tool=callgrind`` twice, with ``--small`` and ``--large`` timed
calls after the same warm-up, against the loopback server running natively in another process.
Interpreter start-up, imports, warm-up and shutdown are the same in both runs, so

    instructions per call = (Ir(large) - Ir(small)) / (large - small)

counts only the calls. Under valgrind the client runs ~50x slower than the server, so answers
are always waiting and the figure is the client's CPU per call, not a latency.

Options: ``--clients raw,ours,twilio`` (also ``ours_request``: the request loop alone with a
prepared request, and ``ours_decode``: that plus the typed model, for the split by layer),
``--small 100 --large 600``, ``--warmup 100``, ``--concurrency 50``, ``--keep DIR`` (keep the
callgrind files, e.g. for ``callgrind_annotate --inclusive=yes DIR/ours-600.out``), ``--json
PATH``. It needs ``valgrind`` on PATH (or ``--valgrind``); a run takes 2-4 minutes per client.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .case_fetch import LAYER_CALLS
from .cli import REPO, Server, _child_env
from .harness import twilio_available
from .settings import CLIENT_LABELS, Settings

_SUMMARY = re.compile(rb"^summary:\s*(\d+)", re.MULTILINE)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.callgrind_fetch",
        description="Client instructions per room fetch (callgrind), by differencing two runs.",
    )
    parser.add_argument("--clients", default="raw,ours,twilio")
    parser.add_argument("--small", type=int, default=100, help="timed calls of the short run")
    parser.add_argument("--large", type=int, default=600, help="timed calls of the long run")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls first, both runs")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--valgrind", default=shutil.which("valgrind") or "/usr/bin/valgrind")
    parser.add_argument("--keep", type=Path, help="keep the callgrind output files here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    args.clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    known = {"raw", "ours", "twilio", *LAYER_CALLS}
    unknown = sorted(set(args.clients) - known)
    if unknown or not args.clients:
        parser.error(f"--clients takes {', '.join(sorted(known))}; got {unknown or args.clients}")
    if not 0 <= args.small < args.large:
        parser.error("need 0 <= --small < --large")
    if "twilio" in args.clients and not twilio_available():
        print("twilio-python is not installed: skipping its column", file=sys.stderr)
        args.clients.remove("twilio")
    return args


def count(args: argparse.Namespace, client: str, calls: int, server: Server, out: Path) -> int:
    """Instructions (Ir) of one worker process running ``calls`` timed fetches."""
    settings = dataclasses.replace(
        Settings(),
        fetch_n=calls,
        fetch_warmup=args.warmup,
        fetch_samples=1,
        fetch_concurrency=args.concurrency,
    )
    command = [
        args.valgrind,
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "benchmarks.worker",
        "fetch",
        client,
        settings.to_json(),
        json.dumps(server.ports),
        str(server.pid),
    ]
    done = subprocess.run(command, cwd=REPO, env=_child_env(), capture_output=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{client} with {calls} calls failed: " + " | ".join(tail))
    found = _SUMMARY.search(out.read_bytes())
    if found is None:
        raise RuntimeError(f"no 'summary:' line in {out}")
    return int(found.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    keep = args.keep
    with tempfile.TemporaryDirectory(prefix="callgrind-fetch-") as scratch:
        folder = keep if keep is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        server = Server(Settings())
        figures: dict[str, float] = {}
        try:
            for client in args.clients:
                runs = [
                    count(args, client, n, server, folder / f"{client}-{n}.out")
                    for n in (args.small, args.large)
                ]
                per_call = (runs[1] - runs[0]) / (args.large - args.small)
                figures[client] = per_call
                print(f"{CLIENT_LABELS[client]}: {per_call / 1000:,.0f}k", file=sys.stderr)
        finally:
            server.stop()
    base = figures.get("raw")
    print("| client | instructions per call | vs raw aiohttp |")
    print("| --- | --: | --: |")
    for client, per_call in figures.items():
        ratio = f"{per_call / base:.3f}x" if base else "-"
        print(f"| {CLIENT_LABELS[client]} | {per_call / 1000:,.0f}k | {ratio} |")
    if args.json is not None:
        args.json.write_text(json.dumps({"instructions_per_call": figures, **vars_of(args)}))
    return 0


def vars_of(args: argparse.Namespace) -> dict[str, object]:
    return {
        "small": args.small,
        "large": args.large,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
    }


if __name__ == "__main__":
    raise SystemExit(main())
