"""Wall-clock ratios of case (a) on a busy machine: ``python -m benchmarks.paired_fetch``.

``python -m benchmarks`` runs each client in its own process, one after another; when other jobs
share the machine, the load changes between those runs and the ratios swing by 30% or more.
Here the clients take turns inside one process instead: a batch of ``--batch`` room fetches at
``--concurrency`` with raw aiohttp, then the same with twvideo_async (and twilio-python when
installed), the order rotating every round, for ``--rounds`` rounds against the loopback server
in another process. A change in load hits every client within seconds of the others, so the
ratio of their summed times is steadier than the per-process runs' (each client still gets its
own session, pool and warm-up; they share the interpreter and its caches).

Prints requests per second per client and each client's wall-clock ratio to raw aiohttp (above
1.0x: faster than raw) with the spread of the per-round ratios, and the client CPU per call
(``time.process_time``; waiting for a busy core does not count there, so on a loaded machine
it is the steadier of the two, and ``benchmarks.callgrind_fetch`` the steadiest).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack

from .case_fetch import CALLS
from .cli import Server
from .harness import run_pool, twilio_available
from .settings import CLIENT_CPU, CLIENT_LABELS, Settings, pin_to_cpu


async def measure(
    origin: str, clients: Sequence[str], rounds: int, batch: int, concurrency: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds per batch, per client, over ``rounds`` rotating rounds."""
    async with AsyncExitStack() as stack:
        calls = {name: await stack.enter_async_context(CALLS[name](origin)) for name in clients}
        for call in calls.values():  # connections opened, code paths warm
            await run_pool(batch, concurrency, call)
        seconds: dict[str, list[float]] = {name: [] for name in clients}
        cpu: dict[str, list[float]] = {name: [] for name in clients}
        for index in range(rounds):
            shift = index % len(clients)
            for name in [*clients[shift:], *clients[:shift]]:
                started, cpu_started = time.perf_counter(), time.process_time()
                await run_pool(batch, concurrency, calls[name])
                seconds[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
        return seconds, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paired_fetch")
    parser.add_argument("--clients", default="raw,ours,twilio")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if "twilio" in clients and not twilio_available():
        clients.remove("twilio")
    if not clients or clients[0] != "raw" or not set(clients) <= CALLS.keys():
        parser.error("--clients: raw first, then any of ours, twilio")
    server = Server(Settings())
    try:
        origin = f"http://127.0.0.1:{server.ports['api']}"
        pin_to_cpu(CLIENT_CPU)  # after the server started: it pins itself to SERVER_CPU
        seconds, cpu = asyncio.run(
            measure(origin, clients, args.rounds, args.batch, args.concurrency)
        )
    finally:
        server.stop()
    raw, raw_cpu = seconds["raw"], sum(cpu["raw"])
    calls = args.batch * args.rounds
    print(f"{args.rounds} rounds of {args.batch} fetches at concurrency {args.concurrency}")
    print(
        "| client | req/s | wall-clock vs raw aiohttp | per-round (min-max, median) "
        "| client CPU per call | CPU vs raw |"
    )
    print("| --- | --: | --: | --: | --: | --: |")
    for name, times in seconds.items():
        ratio = sum(raw) / sum(times)
        per_round = [r / t for r, t in zip(raw, times, strict=True)]
        median = statistics.median(per_round)
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}x, {median:.2f}x"
        used = sum(cpu[name])
        print(
            f"| {CLIENT_LABELS[name]} | {calls / sum(times):,.0f} | {ratio:.2f}x | {spread} "
            f"| {used * 1e6 / calls:.0f} µs | {raw_cpu / used:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
