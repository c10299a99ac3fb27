"""Case (g), one rate limit for many workers: ``shared_processes`` processes x
``shared_tasks`` tasks make ``shared_calls`` room fetches in all against one account limited
to ``shared_rps`` requests/s (429 + ``Retry-After: shared_retry_after``), each process with
its own ``AdaptiveThrottle`` (``per_process``, the default client) or all sharing one
``RedisThrottle`` (``redis_shared``).

Run by ``python -m benchmarks --cases shared`` (slow, so not in the default set). The driver
runs ``python -m benchmarks.bench_shared_limit CASE CLIENT SETTINGS_JSON`` once per run; that
process starts a redis-server on a free loopback port (``--save "" --appendonly no``, a
fresh one per run: no state carried over), serves the emulator with
``faults.rate_limit(rps, retry_after)``, starts the worker processes (``--worker``), lets them
import and connect, then releases them together: the wall time runs from the release to the
last worker's end (process start-up is not counted). It prints one JSON line: the wall time as
a multiple of the ideal (``calls / rps``), the requests the server received per call
(successes + 429s), the 429s and the calls that failed. Needs ``redis-server`` on PATH.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .settings import Settings

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "AC" + "0" * 31 + "7"
MODES = {"per_process": "local", "redis_shared": "redis"}


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


async def run_once(mode: str, emu: Any, room: str, redis_url: str, s: Settings) -> dict[str, Any]:
    """One run of every worker process against ``emu``: the figures of the run."""
    per_worker = s.shared_calls // s.shared_processes
    key_sid, secret = emu.credentials
    args = [mode, emu.base_url, key_sid, secret, redis_url, room]
    sizes = [str(per_worker), str(s.shared_tasks), str(s.shared_processes)]
    procs = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "benchmarks.bench_shared_limit", "--worker", *args, *sizes),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        for _ in range(s.shared_processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await proc.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"a worker did not start: {line!r}")
        # The bucket starts full (a burst of rps) and the clock starts now, for every mode.
        limit = emu.faults.rate_limit(rps=s.shared_rps, retry_after=s.shared_retry_after)
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        outputs = [await proc.communicate() for proc in procs]
        wall = time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    if any(proc.returncode != 0 for proc in procs):
        raise RuntimeError(f"worker exits {[proc.returncode for proc in procs]}")
    errors = sum(json.loads(out.splitlines()[-1])["errors"] for out, _ in outputs)
    calls = per_worker * s.shared_processes
    return {
        "wall_s": wall,
        "wall_vs_ideal": wall / (calls / s.shared_rps),
        "requests_per_call": (calls + limit.rejected) / calls,
        "server_429s": limit.rejected,
        "errors": errors,
    }


async def measure(client: str, s: Settings) -> dict[str, Any]:
    """One run of ``client`` (``per_process`` or ``redis_shared``) with its own redis-server."""
    from twvideo_async.testing import Emulator

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install -y redis-server)")
    port = _free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any timing
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        await _wait_for_redis(port)
        async with Emulator(seed=1) as emu:
            room = emu.seed(rooms=1).rooms[0]
            return await run_once(MODES[client], emu, room, f"redis://127.0.0.1:{port}/0", s)
    finally:
        server.terminate()
        server.wait(10)


async def _wait_for_redis(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.write(b"PING\r\n")
        answer = await reader.readline()
        writer.close()
        if answer.startswith(b"+PONG"):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("redis-server did not answer PING within 10 s")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        asyncio.run(worker(argv[1:]))
        return 0
    case, client, settings_json = argv[:3]
    figures = asyncio.run(measure(client, Settings.from_json(settings_json)))
    print(json.dumps({"case": case, "client": client, "pinned": False, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
