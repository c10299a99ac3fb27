"""The fetch benchmarks end to end at tiny sizes: ``benchmarks.paired_fetch`` (clients taking
turns in one process) and ``benchmarks.callgrind_fetch``'s argument checks (a callgrind run
takes minutes, so the suite does not run one)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import callgrind_fetch  # noqa: E402


def test_paired_fetch_reports_each_client_against_raw() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.paired_fetch", "--clients", "raw,ours",
         "--rounds", "2", "--batch", "20", "--concurrency", "5"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "2 rounds of 20 fetches at concurrency 5"
    raw = next(line for line in lines if line.startswith("| raw aiohttp |"))
    ours = next(line for line in lines if line.startswith("| twvideo_async |"))
    assert "| 1.00x |" in raw and raw.endswith("| 1.00x |")
    assert ours.count("x |") >= 2 and " µs |" in ours


def test_callgrind_fetch_refuses_bad_sizes_and_unknown_clients() -> None:
    with pytest.raises(SystemExit):
        callgrind_fetch.parse_args(["--small", "600", "--large", "100"])
    with pytest.raises(SystemExit):
        callgrind_fetch.parse_args(["--clients", "raw,httpx"])
    args = callgrind_fetch.parse_args(["--clients", "raw,ours", "--small", "10", "--large", "20"])
    assert args.clients == ["raw", "ours"] and (args.small, args.large) == (10, 20)


def test_the_layer_clients_fetch_the_room_one_layer_down() -> None:
    from benchmarks.case_fetch import LAYER_CALLS
    from benchmarks.cli import Server
    from benchmarks.settings import Settings

    server = Server(Settings())
    try:
        origin = f"http://127.0.0.1:{server.ports['api']}"

        async def run_each() -> None:
            for name in LAYER_CALLS:
                async with LAYER_CALLS[name](origin) as call:
                    for _ in range(3):
                        await call()

        asyncio.run(run_each())
    finally:
        server.stop()
    args = callgrind_fetch.parse_args(["--clients", "ours_request,ours_decode"])
    assert args.clients == ["ours_request", "ours_decode"]
