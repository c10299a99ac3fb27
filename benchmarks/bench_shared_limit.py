"""One rate limit for many workers: 4 processes x 16 tasks against one account limited to
100 requests/s (429 + ``Retry-After``), with a shared ``RedisThrottle`` and with today's
per-process ``AdaptiveThrottle`` in each process.

``python -m benchmarks.bench_shared_limit [--calls 2000] [--retry-after 1] [--repeats 3]``

The emulator runs in this process with ``faults.rate_limit(rps=100, retry_after=...)``; a
redis-server is started on a free loopback port (``--save "" --appendonly no``). Each repeat
starts the worker processes, lets them import and connect, then releases them together: the
wall time runs from the release to the last worker's end (process start-up is not counted).
Reports the wall time as a multiple of the ideal (``calls / rps``), the requests the server
received per call (successes + 429s) and the calls that failed. Needs ``redis-server`` on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "AC" + "0" * 31 + "7"


async def worker(argv: list[str]) -> None:
    """One worker process: wait for the go line on stdin, run its share, print a JSON line."""
    from twvideo_async import RedisThrottle, VideoClient

    mode, base_url, key_sid, secret, redis_url, room = argv[:6]
    calls, tasks, workers = int(argv[6]), int(argv[7]), int(argv[8])
    throttle = (
        RedisThrottle.from_url(redis_url, key=ACCOUNT, workers=workers) if mode == "redis" else None
    )
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(calls):
        queue.put_nowait(n)
    async with VideoClient(key_sid, secret, base_url=base_url, throttle=throttle) as client:
        if throttle is not None:
            await throttle.reserve()  # connect (and load the scripts) before the start line
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def work() -> None:
            nonlocal errors
            while not queue.empty():
                queue.get_nowait()
                try:
                    await client.rooms.fetch(room)
                except Exception:
                    errors += 1

        await asyncio.gather(*(work() for _ in range(tasks)))
    if throttle is not None:
        await throttle.aclose()
    print(json.dumps({"errors": errors}), flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run_once(
    mode: str, emu: Any, room: str, redis_url: str, args: argparse.Namespace
) -> dict[str, float]:
    per_worker = args.calls // args.processes
    key_sid, secret = emu.credentials
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.bench_shared_limit",
            "--worker",
            mode,
            emu.base_url,
            key_sid,
            secret,
            redis_url,
            room,
            str(per_worker),
            str(args.tasks),
            str(args.processes),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        for _ in range(args.processes)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"a worker did not start: {line!r}")
    # The bucket starts full (a burst of rps) and the clock starts now, for every mode alike.
    limit = emu.faults.rate_limit(rps=args.rps, retry_after=args.retry_after)
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outputs = [await proc.communicate() for proc in procs]
    wall = time.perf_counter() - started
    errors = sum(json.loads(out.splitlines()[-1])["errors"] for out, _ in outputs)
    calls = per_worker * args.processes
    return {
        "wall_s": wall,
        "wall_vs_ideal": wall / (calls / args.rps),
        "requests_per_call": (calls + limit.rejected) / calls,
        "server_429s": float(limit.rejected),
        "errors": float(errors),
    }


async def main(args: argparse.Namespace) -> None:
    from twvideo_async.testing import Emulator

    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not on PATH (apt-get install -y redis-server)")
    port = _free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any timing
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{port}/0"
    try:
        await asyncio.sleep(0.5)
        results: dict[str, list[dict[str, float]]] = {"local": [], "redis": []}
        async with Emulator(seed=1) as emu:
            room = emu.seed(rooms=1).rooms[0]
            for repeat in range(args.repeats):
                for mode in ("local", "redis") if repeat % 2 == 0 else ("redis", "local"):
                    # A fresh account key each run: no pace carried over from the last one.
                    result = await run_once(mode, emu, room, redis_url, args)
                    results[mode].append(result)
                    print(f"{mode} #{repeat + 1}: {json.dumps(result)}", file=sys.stderr)
                    await asyncio.sleep(args.retry_after + 1)
                    _flush(redis_url)
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"{args.processes} processes x {args.tasks} tasks, {args.calls} calls, server limited to "
        f"{args.rps:g} req/s (429 + Retry-After: {args.retry_after:g} s), medians of "
        f"{args.repeats}\n"
    )
    print("| throttle | wall vs ideal | requests per call | server 429s | errors |")
    print("| --- | --: | --: | --: | --: |")
    labels = {"local": "AdaptiveThrottle in each process", "redis": "one RedisThrottle (shared)"}
    for mode, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"| {labels[mode]} | {med['wall_vs_ideal']:.2f}x ({med['wall_s']:.1f} s) | "
            f"{med['requests_per_call']:.3f} | {med['server_429s']:.0f} | {med['errors']:.0f} |"
        )


def _flush(redis_url: str) -> None:
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        conn.recv(16)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_shared_limit")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--rps", type=float, default=100.0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        asyncio.run(worker(sys.argv[2:]))
    else:
        asyncio.run(main(parse_args(sys.argv[1:])))
