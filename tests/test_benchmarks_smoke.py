"""The benchmark harness (``benchmarks/``): ``python -m benchmarks --smoke`` end to end, the
loopback server against the real clients, and the report's target checks."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

REPO = Path(__file__).resolve().parent.parent
# `benchmarks` is a top-level package beside `twvideo_async`, not installed with it.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import report  # noqa: E402
from benchmarks.harness import basic_authorization, video_client  # noqa: E402
from benchmarks.server import BenchServer, TokenBucket, pattern_block  # noqa: E402
from benchmarks.settings import CASES, CLIENT_LABELS, ROOM_SID, Settings  # noqa: E402

HAS_TWILIO = importlib.util.find_spec("twilio") is not None


# The archive case starts moto (seconds of imports): it has its own in-process test
# (test_benchmarks_archive.py), so the end-to-end smoke run leaves it out; so is the shared
# limit case (test_benchmarks_shared.py: it needs a redis-server) and the limit shapes
# (test_benchmarks_limits.py).
SMOKE_CASES = [case for case in CASES if case not in ("archive", "shared", "limits")]


def test_smoke_run_prints_a_row_for_every_case_and_client(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--smoke",
            "--cases",
            ",".join(SMOKE_CASES),
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    clients = ["raw", "ours"] + (["twilio"] if HAS_TWILIO else [])
    for case in SMOKE_CASES:
        for client in clients:
            row = f"| {report.CASE_TITLES[case]} | {CLIENT_LABELS[client]} |"
            assert row in done.stdout, f"no row for {case} / {client}:\n{done.stdout}"
    if not HAS_TWILIO:
        assert "twilio-python is not installed" in done.stdout
        assert "| twilio-python |" not in done.stdout
    data = json.loads(out.read_text())
    assert len(data["runs"]) == len(SMOKE_CASES) * len(clients)
    assert not [r for r in data["runs"] if "error" in r]
    ours = next(r for r in data["runs"] if (r["case"], r["client"]) == ("ratelimit", "ours"))
    assert ours["errors"] == 0, ours  # 429s must never reach the caller
    assert ours["server_429s"] > 0  # the smoke sizes do exceed the server's burst


@contextlib.asynccontextmanager
async def bench_server(settings: Settings) -> AsyncIterator[BenchServer]:
    """The three sites of the benchmark server on loopback, in this process."""
    server = BenchServer(settings)
    sites = [
        TestServer(app, host="127.0.0.1")
        for app in (server.api_app(), server.storage_app(), server.limited_app())
    ]
    for site in sites:
        await site.start_server()
    try:
        api, storage, limited = (site.port for site in sites)
        assert api and storage and limited
        server.prepare(api, storage, limited)
        yield server
    finally:
        for site in sites:
            await site.close()


SMALL = dataclasses.replace(Settings.smoke(), list_pages=3, download_size=300_000, rl_burst=2)


async def test_listing_follows_absolute_loopback_pages_into_typed_models() -> None:
    async with bench_server(SMALL) as server, video_client(server.api_origin) as client:
        room = await client.rooms.fetch(ROOM_SID)
        records = [r async for r in client.recordings.list(page_size=SMALL.list_page_size)]
    assert room.sid == ROOM_SID and room.url == f"{server.api_origin}/v1/Rooms/{ROOM_SID}"
    assert len(records) == SMALL.list_items == len({r.sid for r in records})
    assert {r.type for r in records} == {"audio", "video"}
    assert all(r.date_created is not None and r.links for r in records)


def _contents(directory: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(directory.iterdir())]


async def test_media_redirects_to_storage_that_streams_deterministic_bytes(
    tmp_path: Path,
) -> None:
    async with bench_server(SMALL) as server, video_client(server.api_origin) as client:
        summary = await client.recordings.download_many(
            ["RT" + "1" * 32, "RT" + "2" * 32], tmp_path, concurrency=2
        )
        async with aiohttp.ClientSession() as session:
            media = f"{server.api_origin}/v1/Recordings/RT{'3' * 32}/Media"
            async with session.get(
                media, headers=basic_authorization(), allow_redirects=False
            ) as response:
                status, target = response.status, (await response.json())["redirect_to"]
            async with session.get(target, headers=basic_authorization()) as response:
                leaked_status = response.status
    assert summary.failed == 0 and summary.succeeded == 2
    expected = (pattern_block() * 2)[: SMALL.download_size]
    assert _contents(tmp_path) == [expected, expected]
    assert status == 302 and target.startswith(server.storage_origin)
    assert leaked_status == 400  # storage refuses a request carrying Twilio credentials


async def test_limited_site_answers_429_with_the_wait_until_the_next_token() -> None:
    async with bench_server(SMALL) as server, aiohttp.ClientSession() as session:
        # A stopped clock: no token comes back between the requests, however slow they are.
        server.bucket = TokenBucket(SMALL.rl_rate, SMALL.rl_burst, clock=lambda: 0.0)
        url = f"{server.limited_origin}/v1/Rooms/{ROOM_SID}"
        statuses = []
        for _ in range(SMALL.rl_burst + 1):
            async with session.get(url) as response:
                statuses.append(response.status)
                body = await response.json()
                retry_after = response.headers.get("Retry-After")
        async with session.get(f"{server.limited_origin}/_bench/stats") as response:
            stats = await response.json()
    assert statuses == [200] * SMALL.rl_burst + [429]
    assert body["code"] == 20429
    assert retry_after is not None and 0 < float(retry_after) <= 1 / SMALL.rl_rate + 0.001
    assert stats == {"requests": SMALL.rl_burst + 1, "limited": 1, "ok": SMALL.rl_burst}


def test_token_bucket_refills_at_its_rate() -> None:
    now = [100.0]  # steps that are exact in binary floating point
    bucket = TokenBucket(rate=8.0, burst=2, clock=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == 0.125
    now[0] += 0.0625
    assert bucket.take() == 0.0625
    now[0] += 0.0625
    assert bucket.take() == 0.0
    assert bucket.take() == 0.125


def _run(case: str, client: str, **figures: float) -> dict[str, Any]:
    return {"case": case, "client": client, **figures}


def test_targets_compare_ours_with_raw_and_twilio_in_the_same_run() -> None:
    runs: list[dict[str, Any]] = [
        _run("fetch", "raw", rate=1000.0),
        _run("fetch", "ours", rate=960.0),
        _run("fetch", "twilio", rate=700.0),
        _run("list", "raw", rate=100.0),
        _run("list", "ours", rate=90.0),
        _run("download", "ours", rate=500.0, rss_growth_mib=10.0),
        _run("download", "ours", rate=400.0, rss_growth_mib=70.0),
        _run("ratelimit", "ours", errors=0, wall_vs_ideal=1.05, requests_per_call=1.2),
        {"case": "list", "client": "twilio", "error": "exit 1: boom"},
    ]
    _, checked = report.target_table(report.group(runs), Settings.full())
    by_name = {c["target"]: c["result"] for c in checked}
    # Issue 17's goal for a fetch is raw aiohttp's rate itself: 0.96x misses it.
    assert by_name["fetch req/s: ours / raw >= 1.0"] == "missed"
    assert by_name["list items/s: ours / raw >= 1.0"] == "missed"
    assert by_name["download peak RSS growth < 64 MiB (worst run)"] == "missed"
    assert by_name["fetch req/s: ours / twilio-python >= 1.5"] == "missed"
    assert by_name["list items/s: ours / twilio-python >= 2.2"].startswith("not measured")
    assert by_name["download MiB/s: ours / raw >= 0.95"].startswith("not measured")
    assert by_name["rate-limited: zero errors (all runs)"] == "met"
    assert by_name["rate-limited: <= 1.3 requests per call"] == "met"
    assert abs(checked[0]["value"] - 0.96) < 1e-9
