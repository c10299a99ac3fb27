"""The archive benchmark case (``benchmarks/case_archive.py``) in-process at tiny sizes: every
client runs against the benchmark's loopback server and the moto S3 server, and copies every
byte (each case checks the sizes it stored and cleans up after itself)."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest

from tests.s3_server import S3Bucket

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import case_archive, report  # noqa: E402
from benchmarks.harness import Context  # noqa: E402
from benchmarks.s3 import BUCKET  # noqa: E402
from benchmarks.settings import ARCHIVE_CLIENTS, CLIENT_LABELS, Settings, case_clients  # noqa: E402
from tests.test_benchmarks_smoke import bench_server  # noqa: E402

TINY = dataclasses.replace(
    Settings.smoke(), download_size=300_000, archive_files=3, archive_big_size=6 * 2**20 + 5
)


@pytest.mark.parametrize("client", ARCHIVE_CLIENTS)
async def test_every_archive_client_copies_every_byte(s3_bucket: S3Bucket, client: str) -> None:
    existing = {b["Name"] for b in s3_bucket.client.list_buckets()["Buckets"]}
    if BUCKET not in existing:
        s3_bucket.client.create_bucket(Bucket=BUCKET)
    port = int(s3_bucket.server.endpoint.rsplit(":", 1)[1])
    async with bench_server(TINY) as server:
        origins = (server.api_origin, server.storage_origin, server.limited_origin)
        api, storage, limited = (int(origin.rsplit(":", 1)[1]) for origin in origins)
        ctx = Context(TINY, api, storage, limited, server_pid=os.getpid(), s3_port=port)
        figures = await case_archive.CLIENTS[client](ctx)
    assert figures["rate"] > 0 and figures["wall_s"] > 0
    assert figures["rss_growth_mib"] >= 0
    listing = s3_bucket.client.list_objects_v2(Bucket=BUCKET)
    assert listing.get("Contents", []) == []  # each S3 run removes what it stored
    assert s3_bucket.client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_the_report_has_a_row_per_archive_client_and_the_memory_target() -> None:
    runs = [
        {"case": "archive", "client": c, "rate": 10.0 + i, "rss_growth_mib": 5.0 * i}
        | {"server_cpu_share": 0.0}
        for i, c in enumerate(case_clients("archive"))
    ]
    rows = report.group(runs)
    table = report.results_table(rows, ["archive"])
    for client in ARCHIVE_CLIENTS:
        assert f"| (f) archive media | {CLIENT_LABELS[client]} |" in table
    # S3 rows compare with raw aiohttp + obstore (rate 13), the others with raw aiohttp (10).
    assert "| 14 MiB/s | 14 / 14 | 1.08x |" in table and "| 12 MiB/s | 12 / 12 | 1.20x |" in table
    targets, checked = report.target_table(rows, Settings.full())
    assert (
        "archive one 512 MiB file to S3: peak RSS growth < 64 MiB (worst run) | 25.0 MiB | met"
        in targets
    )
    assert checked[-1]["result"] == "met"
