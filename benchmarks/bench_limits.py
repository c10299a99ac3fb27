"""The client-wide slow-down against five shapes of server-side limit (issue 17):
``python -m benchmarks.bench_limits [--quick] [--repeats N] [--shapes leaky,token,...]``.

The shapes (``benchmarks.limit_shapes``) run in one server process pinned to CPU 1; the client
runs here, pinned to CPU 0, ``--concurrency`` calls in flight (100). Each shape is met by three
throttles, in a rotating order:

* ``current``: a default ``VideoClient`` (``AdaptiveThrottle``, ``twvideo_async/_throttle.py``);
* ``previous``: the control law before issue 17 (``benchmarks/previous_throttle.py``);
* ``aimd``: a bare AIMD rate pacer (same file);

and the concurrency cap also by two calibrations, clients told the cap in advance (never refused):
``known`` (``VideoClient(max_concurrency=20)``) and ``raw_known`` (raw aiohttp with a semaphore
of 20): what this machine allows at all, since each slot also pays the loopback round trip and
both processes' scheduling on top of the server's 50 ms.

Each row: wall time as a multiple of the shape's ideal (the least time the server needs to
accept every call: ``LimitShape.ideal``), requests the server received per call, and calls that
ended in an error, each beside the goal (<= 1.1x ideal, <= 1.3 requests per call, 0 errors).
Prints Markdown to stdout and progress to stderr; ``--json`` keeps every run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from . import limit_shapes
from .harness import basic_authorization, run_pool, video_client
from .limit_shapes import ROOM_SID
from .previous_throttle import AimdPacer, PreviousThrottle
from .settings import CLIENT_CPU, SERVER_CPU, SHAPE_TITLES, Settings, pin_to_cpu

REPO = Path(__file__).resolve().parent.parent
GOAL_RATIO, GOAL_REQUESTS = 1.1, 1.3
THROTTLES: dict[str, Callable[[limit_shapes.Shape], dict[str, Any] | None]] = {
    "current": lambda shape: {},  # the client's own AdaptiveThrottle
    "previous": lambda shape: {"throttle": PreviousThrottle()},
    "aimd": lambda shape: {"throttle": AimdPacer()},
    # Calibration, for the concurrency cap only: a client told the cap in advance (a fixed
    # semaphore of that size, and nothing refused after it): what this machine can reach.
    "known": lambda shape: (
        {"max_concurrency": shape.limit} if isinstance(shape, limit_shapes.ConcurrencyCap) else None
    ),
    # The same for raw aiohttp (a semaphore at the cap, a precomputed Authorization and
    # ``await r.json()``): the machine's own bound, with no SDK at all.
    "raw_known": lambda shape: (
        {"raw_cap": shape.limit} if isinstance(shape, limit_shapes.ConcurrencyCap) else None
    ),
}
LABELS = {
    "current": "AdaptiveThrottle (now)",
    "previous": "previous throttle",
    "aimd": "bare AIMD pacer",
    "known": "calibration: max_concurrency set to the cap",
    "raw_known": "calibration: raw aiohttp, semaphore at the cap",
}
TITLES = SHAPE_TITLES


def _clock() -> float:
    return time.monotonic()


SIZES = ("full", "quick", "smoke")


def shapes_for(size: str) -> tuple[list[limit_shapes.Shape], dict[str, int]]:
    """The issue's shapes and sizes (``full``), a quarter-size version of each (``quick``), or
    one small enough for the test suite's smoke run (``smoke``: seconds, not a measurement)."""
    if size == "full":
        return limit_shapes.issue_shapes(), dict(limit_shapes.ISSUE_CALLS)
    if size == "quick":
        shapes: list[limit_shapes.Shape] = [
            limit_shapes.LeakyBucket(200.0, 20, clock=_clock),
            limit_shapes.TokenBucket(50.0, 50, clock=_clock),
            limit_shapes.ConcurrencyCap(20, 0.05, clock=_clock),
            limit_shapes.RateSchedule([(0.5, 200.0), (1.5, 50.0), (1.0, 200.0)], 20, clock=_clock),
            limit_shapes.FixedWindow(100, 1.0, clock=_clock),
        ]
        calls = {"leaky": 500, "token": 250, "concurrency": 500, "schedule": 500, "window": 250}
        return shapes, calls
    shapes = [
        limit_shapes.LeakyBucket(200.0, 10, clock=_clock),
        limit_shapes.TokenBucket(100.0, 10, clock=_clock),
        limit_shapes.ConcurrencyCap(10, 0.02, clock=_clock),
        limit_shapes.RateSchedule([(0.2, 200.0), (0.3, 100.0), (0.2, 200.0)], 10, clock=_clock),
        limit_shapes.FixedWindow(40, 1.0, clock=_clock),
    ]
    return shapes, {"leaky": 80, "token": 60, "concurrency": 80, "schedule": 80, "window": 60}


async def _control(origin: str, action: str) -> dict[str, int]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{origin}/_bench/{action}") as response,
    ):
        result: dict[str, int] = await response.json()
        return result


async def run_raw(origin: str, cap: int, calls: int, concurrency: int) -> dict[str, Any]:
    """Raw aiohttp told the cap: never more than ``cap`` requests in flight, so never refused."""
    errors: collections.Counter[str] = collections.Counter()
    headers = basic_authorization()
    url = f"{origin}/v1/Rooms/{ROOM_SID}"
    slots = asyncio.Semaphore(cap)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def call() -> None:
            async with slots, session.get(url, headers=headers) as response:
                await response.json()
                if response.status != 200:
                    errors[f"HTTP {response.status}"] += 1

        async with session.get(url, headers=headers) as response:  # warm the pool...
            await response.read()
        await _control(origin, "reset")  # ...then start the shape's clock
        started = time.perf_counter()
        await run_pool(calls, concurrency, call)
        wall = time.perf_counter() - started
    return await _result(origin, wall, errors, calls)


async def _result(
    origin: str, wall: float, errors: collections.Counter[str], calls: int
) -> dict[str, Any]:
    stats = await _control(origin, "stats")
    return {
        "wall_s": wall,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "requests_per_call": stats["requests"] / calls,
        "server_429s": stats["limited"],
    }


async def run_once(
    origin: str, options: dict[str, Any], calls: int, concurrency: int
) -> dict[str, Any]:
    if "raw_cap" in options:
        return await run_raw(origin, options["raw_cap"], calls, concurrency)
    errors: collections.Counter[str] = collections.Counter()
    async with video_client(origin, **options) as client:
        rooms = client.rooms

        async def call() -> None:
            try:
                await rooms.fetch(ROOM_SID)
            except Exception as exc:
                errors[type(exc).__name__] += 1

        await rooms.fetch(ROOM_SID)  # warm the pool outside the measurement...
        await _control(origin, "reset")  # ...then start the shape's clock
        started = time.perf_counter()
        await run_pool(calls, concurrency, call)
        wall = time.perf_counter() - started
    return await _result(origin, wall, errors, calls)


def start_server(
    shapes: Sequence[limit_shapes.Shape], cpu: int = SERVER_CPU
) -> tuple[subprocess.Popen[str], dict[str, int]]:
    specs = json.dumps([limit_shapes.describe(s) for s in shapes])
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.limit_shapes", specs, str(cpu)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError("benchmarks.limit_shapes did not start")
    ports: dict[str, int] = json.loads(line)
    return process, ports


def stop_server(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(runs: list[dict[str, Any]], shapes: Sequence[limit_shapes.Shape],
           calls: dict[str, int], throttles: Sequence[str], concurrency: int) -> str:  # fmt: skip
    lines = [
        f"| shape ({concurrency} in flight) | throttle | wall | x ideal (goal <= {GOAL_RATIO}) "
        f"| requests/call (goal <= {GOAL_REQUESTS}) | errors (goal 0) | goals |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for shape in shapes:
        ideal = shape.ideal(calls[shape.name])
        for throttle in throttles:
            mine = [r for r in runs if r["shape"] == shape.name and r["throttle"] == throttle]
            if not mine:
                continue
            wall = statistics.median(r["wall_s"] for r in mine)
            ratio = wall / ideal
            per_call = statistics.median(r["requests_per_call"] for r in mine)
            errors = sum(r["errors"] for r in mine)
            met = ratio <= GOAL_RATIO and per_call <= GOAL_REQUESTS and errors == 0
            lines.append(
                f"| {TITLES.get(shape.name, shape.name)}, {calls[shape.name]:,} calls, "
                f"ideal {ideal:.2f} s | {LABELS[throttle]} | {wall:.2f} s | {ratio:.2f}x | "
                f"{per_call:.2f} | {errors} | {_mark(met)} |"
            )
    return "\n".join(lines)


# ``python -m benchmarks --cases limits`` names its clients after the throttles.
MATRIX_CLIENTS = {
    "limits_now": "current",
    "limits_previous": "previous",
    "limits_aimd": "aimd",
    "limits_known": "known",
    "limits_raw_known": "raw_known",
}


def measure(throttle: str, settings: Settings) -> dict[str, Any]:
    """Every shape against one throttle, as case (h) of ``python -m benchmarks`` reads it: one
    flat record (``<shape>_vs_ideal``, ``<shape>_requests_per_call``, ``<shape>_errors`` and
    the worst of each), from a fresh limit-shapes server of its own."""
    shapes, calls = shapes_for(settings.limits_size)
    shapes = [s for s in shapes if THROTTLES[throttle](s) is not None]
    process, ports = start_server(shapes, settings.server_cpu)
    figures: dict[str, Any] = {"shapes": [s.name for s in shapes]}
    try:
        for shape in shapes:
            origin = f"http://127.0.0.1:{ports[shape.name]}"
            options = THROTTLES[throttle](shape) or {}
            result = asyncio.run(
                run_once(origin, options, calls[shape.name], settings.limits_concurrency)
            )
            ideal = shape.ideal(calls[shape.name])
            figures[f"{shape.name}_wall_s"] = result["wall_s"]
            figures[f"{shape.name}_ideal_s"] = ideal
            figures[f"{shape.name}_vs_ideal"] = result["wall_s"] / ideal
            figures[f"{shape.name}_requests_per_call"] = result["requests_per_call"]
            figures[f"{shape.name}_errors"] = result["errors"]
    finally:
        stop_server(process)
    names = figures["shapes"]
    figures["worst_vs_ideal"] = max(figures[f"{n}_vs_ideal"] for n in names)
    figures["requests_per_call"] = max(figures[f"{n}_requests_per_call"] for n in names)
    figures["errors"] = sum(figures[f"{n}_errors"] for n in names)
    return figures


def worker(argv: Sequence[str]) -> int:
    """``python -m benchmarks.bench_limits --worker CLIENT SETTINGS_JSON``: one JSON line."""
    client, settings_json = argv[:2]
    settings = Settings.from_json(settings_json)
    pinned = pin_to_cpu(settings.client_cpu)
    figures = measure(MATRIX_CLIENTS[client], settings)
    from .worker import package

    record = {"case": "limits", "client": client, "pinned": pinned, "package": package()}
    print(json.dumps({**record, **figures}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_limits")
    parser.add_argument("--quick", action="store_true", help="quarter sizes (about a minute)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--shapes", default=",".join(TITLES))
    parser.add_argument("--throttles", default=",".join(THROTTLES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    shapes, calls = shapes_for("quick" if args.quick else "full")
    wanted = [s.strip() for s in args.shapes.split(",") if s.strip()]
    throttles = [t.strip() for t in args.throttles.split(",") if t.strip()]
    unknown = sorted(set(wanted) - set(TITLES)) + sorted(set(throttles) - set(THROTTLES))
    if unknown or args.repeats < 1:
        parser.error(f"unknown shape or throttle: {unknown}" if unknown else "--repeats >= 1")
    shapes = [s for s in shapes if s.name in wanted]
    pin_to_cpu(CLIENT_CPU)
    process, ports = start_server(shapes)
    runs: list[dict[str, Any]] = []
    try:
        for repeat in range(args.repeats):
            for shape in shapes:
                shift = repeat % len(throttles)
                for throttle in [*throttles[shift:], *throttles[:shift]]:
                    options = THROTTLES[throttle](shape)
                    if options is None:
                        continue
                    origin = f"http://127.0.0.1:{ports[shape.name]}"
                    result = asyncio.run(
                        run_once(origin, options, calls[shape.name], args.concurrency)
                    )
                    result.update(shape=shape.name, throttle=throttle, repeat=repeat)
                    runs.append(result)
                    ideal = shape.ideal(calls[shape.name])
                    print(
                        f"{shape.name} / {throttle}: {result['wall_s']:.2f} s "
                        f"({result['wall_s'] / ideal:.2f}x ideal), "
                        f"{result['requests_per_call']:.2f} requests/call, "
                        f"{result['errors']} errors",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        stop_server(process)
    print(render(runs, shapes, calls, throttles, args.concurrency))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
