"""Bulk downloads against raw aiohttp with the server and the client on separate cores and on one.

``python -m benchmarks.bench_download_cores [--repeats 5] [--layouts split,one] [--before DIR]``

Case (c) of ``python -m benchmarks`` (``download_files`` x ``download_size`` at
``download_concurrency``, from the loopback storage server in its own process) run in two
layouts:

* ``split``: the server pinned to CPU 1 and each client process to CPU 0 (its worker threads
  too), so hashing competes with the client's own event loop but not with the server;
* ``one``: the server and the client both pinned to CPU 0, as on a one-core machine;
* ``free`` (only when asked for): the server on CPU 1 and the client not pinned, so its hashing
  thread can use whatever the server leaves of CPU 1.

Raw aiohttp (chunked writes on the event loop, no hashing) and ``download_many`` (temporary
file, byte count, SHA-256 of every file, rename) run back to back in each repeat, in rotating
order, each in a fresh process; the figure is the ratio of the two runs of one repeat
(interleaved: both saw the same machine load), reported per repeat, as a range and as a
median beside the goal, with the peak RSS growth of every run and the load average.
``--before DIR`` adds a third client: ``download_many`` from the ``twvideo_async`` package found
in ``DIR`` (for example ``git archive main twvideo_async | tar -x -C DIR``), for a before/after
comparison in the same run.

The script also checks that ``hashlib`` releases the GIL (what lets the hashing thread run beside
the event loop): while a thread hashes 128 MiB, the main thread keeps running, with pauses of a
time slice at most, where a GIL-holding call of the same length stops it throughout.

On a machine shared with other work, run it when the load average is low and repeat: the
absolute MiB/s swing by tens of percent, the interleaved ratios much less.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .cli import Server, run_worker
from .settings import Settings

# (server CPU, client CPU); -1: not pinned (pin_to_cpu leaves a CPU it does not have alone)
LAYOUTS = {"split": (1, 0), "one": (0, 0), "free": (1, -1)}
LAYOUT_TITLES = {
    "split": "server on CPU 1, client on CPU 0",
    "one": "server and client both on CPU 0",
    "free": "server on CPU 1, client on any CPU",
}
GOALS = {"split": 0.95, "one": None, "free": 0.95}
HASH_BUFFER = 128 * 1024 * 1024


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f}/{five:.2f}"


def longest_stall(work: Callable[[], object]) -> tuple[float, float]:
    """Run ``work`` in a thread while this thread counts time: (its duration, the longest gap).

    A call that holds the GIL stops this thread for its whole length; one that releases it
    leaves gaps of a scheduler time slice at most, even on a busy machine (unlike comparing
    one thread with two, which needs a free core to show anything).
    """
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run)
    started = last = time.perf_counter()
    worst = 0.0
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    thread.join()
    return time.perf_counter() - started, worst


def gil_check() -> str:
    buffer = os.urandom(HASH_BUFFER)
    hashing, hash_stall = longest_stall(lambda: hashlib.sha256(buffer))
    holding, hold_stall = longest_stall(lambda: buffer.count(b"\x01\x02\x03"))
    return (
        f"hashlib GIL check: SHA-256 of {HASH_BUFFER >> 20} MiB in a thread took "
        f"{hashing * 1000:.0f} ms, and the main thread's longest pause meanwhile was "
        f"{hash_stall * 1000:.1f} ms (a GIL-holding call, `bytes.count` for "
        f"{holding * 1000:.0f} ms, paused it {hold_stall * 1000:.0f} ms): hashlib releases "
        f"the GIL{'' if hash_stall < holding / 4 else ' NOT (check this build)'}."
    )


def run_layout(
    layout: str, repeats: int, before: Path | None, base: Settings
) -> list[dict[str, Any]]:
    server_cpu, client_cpu = LAYOUTS[layout]
    settings = dataclasses.replace(base, server_cpu=server_cpu, client_cpu=client_cpu)
    clients = ["raw", "ours"] + (["before"] if before is not None else [])
    runs: list[dict[str, Any]] = []
    server = Server(settings)
    try:
        for repeat in range(repeats):
            shift = repeat % len(clients)
            for client in [*clients[shift:], *clients[:shift]]:
                code = before if client == "before" else None
                worker_client = "ours" if client == "before" else client
                result = run_worker("download", worker_client, settings, server, before=code)
                result.update(client=client, repeat=repeat, layout=layout, load=load())
                runs.append(result)
                shown = result.get("error") or f"{result['rate']:.0f} MiB/s"
                print(
                    f"[{layout} {repeat + 1}/{repeats}] {client}: {shown} (load {result['load']})",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        server.stop()
    return runs


def _ratios(runs: list[dict[str, Any]], client: str) -> list[float]:
    by = {(r["client"], r["repeat"]): r for r in runs if "error" not in r}
    return [
        by[(client, k)]["rate"] / by[("raw", k)]["rate"]
        for k in sorted({r["repeat"] for r in runs})
        if (client, k) in by and ("raw", k) in by
    ]


def render(layout: str, runs: list[dict[str, Any]], settings: Settings) -> str:
    lines = [
        f"### {LAYOUT_TITLES[layout]}",
        "",
        "| Client | MiB/s median (min-max) | Client CPU per MiB (user + kernel) "
        "| Page faults per MiB | Peak RSS growth median (worst) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    clients = [c for c in ("raw", "ours", "before") if any(r["client"] == c for r in runs)]
    for client in clients:
        ok = [r for r in runs if r["client"] == client and "error" not in r]
        if not ok:
            lines.append(f"| {client} | failed | | | |")
            continue
        rates = [r["rate"] for r in ok]
        growth = [r["rss_growth_mib"] for r in ok]
        cpu, user, kernel, faults = (
            statistics.median(r[key] for r in ok)
            for key in ("cpu_us_per_unit", "user_us_per_unit", "sys_us_per_unit", "faults_per_unit")
        )
        lines.append(
            f"| {client} | {statistics.median(rates):.0f} ({min(rates):.0f}-{max(rates):.0f}) | "
            f"{cpu:,.0f} µs ({user:,.0f} + {kernel:,.0f}) | {faults:,.0f} | "
            f"{statistics.median(growth):.1f} MiB ({max(growth):.1f}) |"
        )
    lines.append("")
    goal = GOALS[layout]
    for client in clients[1:]:
        ratios = _ratios(runs, client)
        if not ratios:
            continue
        median = statistics.median(ratios)
        verdict = ""
        if goal is not None and client == "ours":
            verdict = f"; goal >= {goal:.2f}x: {'met' if median >= goal else 'missed'}"
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        lines.append(
            f"- {client} / raw, interleaved per repeat: {listed} -> median {median:.2f}x, "
            f"range {min(ratios):.2f}-{max(ratios):.2f}{verdict}"
        )
    loads = [r["load"] for r in runs]
    lines.append(f"- load average (1/5 min) during the runs: {loads[0]} ... {loads[-1]}")
    failures = [r for r in runs if "error" in r]
    lines += [f"- FAILED {r['client']} repeat {r['repeat']}: {r['error']}" for r in failures]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per client and layout")
    parser.add_argument(
        "--layouts", default="split,one", help="split, one and/or free (default split,one)"
    )
    parser.add_argument("--before", type=Path, help="a directory holding an older twvideo_async")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check, not figures)")
    args = parser.parse_args(argv)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    if not layouts or set(layouts) - set(LAYOUTS) or args.repeats < 1:
        parser.error("--layouts takes split, one and/or free; --repeats must be >= 1")
    if args.before is not None and not (args.before / "twvideo_async").is_dir():
        parser.error(f"--before: no twvideo_async package in {args.before}")
    settings = Settings.smoke() if args.smoke else Settings.full()
    out = [
        "## Bulk downloads on separate cores and on one",
        "",
        f"{settings.download_files} files x {settings.download_size / 2**20:g} MiB at "
        f"concurrency {settings.download_concurrency}; {args.repeats} interleaved repeats; "
        f"{os.cpu_count()} CPUs.",
        gil_check(),
    ]
    failed = False
    for layout in layouts:
        runs = run_layout(layout, args.repeats, args.before, settings)
        failed = failed or any("error" in r for r in runs)
        out += ["", render(layout, runs, settings)]
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
