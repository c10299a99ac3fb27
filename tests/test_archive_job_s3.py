"""The archive job end to end into a real S3 API (moto on loopback) through ObjectStoreSink:
every item once at its key, byte-exact, with its sidecar; verify and delete-source over S3."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.s3_server import S3Bucket
from twvideo_async import VideoClient
from twvideo_async.archive import (
    ArchiveItem,
    SQLiteLedger,
    State,
    delete_source,
    iter_rows,
    open_sink,
    run_archive,
    verify_archive,
)
from twvideo_async.testing import Emulator

pytest.importorskip("obstore")

SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
PART = 5 * 1024 * 1024


async def test_the_archive_job_into_s3(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    async with Emulator(seed=11) as emu:
        # One item above the part size (multipart), the others single PUTs.
        seeded = emu.seed(
            rooms=2, recordings_per_room=2, compositions_per_room=1, media_size=40_000
        )
        big = emu.seed(
            rooms=1, recordings_per_room=1, compositions_per_room=0, media_size=PART + 4321
        )
        sink = open_sink(f"s3://{s3_bucket.name}/twilio", part_size=PART)
        async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
            async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
                report = await run_archive(client, sink, ledger, since=SINCE, concurrency=3)
                assert (report.archived, report.failed) == (7, 0)
                items = [ArchiveItem.from_model(r) async for r in client.recordings.list()]
                items += [ArchiveItem.from_model(c) async for c in client.compositions.list()]
                assert {i.sid for i in items} == {
                    *seeded.recordings,
                    *seeded.compositions,
                    *big.recordings,
                }
                expected = {f"twilio/{i.media_key}" for i in items}
                expected |= {f"twilio/{i.sidecar_key}" for i in items}
                # Each room's Video Insights summaries beside its media (test_archive_insights).
                expected |= {
                    f"twilio/{i.folder}/insights-{name}.json"
                    for i in items
                    for name in ("room", "participants")
                }
                assert s3_bucket.keys() == sorted(expected) and s3_bucket.uploads() == []
                rows = {r.sid: r async for r in iter_rows(ledger)}
                for item in items:
                    body = s3_bucket.body(f"twilio/{item.media_key}")
                    assert hashlib.sha256(body).hexdigest() == emu.media_sha256(item.sid)
                    head = s3_bucket.head(f"twilio/{item.media_key}")
                    assert head["Metadata"]["twvideo-sid"] == item.sid
                    row = rows[item.sid]
                    assert row.state is State.VERIFIED and row.sha256 == emu.media_sha256(item.sid)
                    sidecar = json.loads(s3_bucket.body(f"twilio/{item.sidecar_key}"))
                    assert sidecar["archive"]["sha256"] == row.sha256
                    assert sidecar["twilio"]["sid"] == item.sid

                checked = await verify_archive(sink, ledger, mode="download")
                assert (checked.verified, checked.failed) == (7, 0)
                # A rerun over the same bucket with a fresh ledger downloads nothing.
                before = len(emu.storage_requests)
                async with SQLiteLedger(tmp_path / "fresh.sqlite") as fresh:
                    again = await run_archive(client, sink, fresh, since=SINCE)
                    assert (again.archived, again.verified, again.failed) == (0, 7, 0)
                assert len(emu.storage_requests) == before

                # An object removed from the bucket is kept at Twilio; the rest go.
                victim = items[0]
                s3_bucket.client.delete_object(
                    Bucket=s3_bucket.name, Key=f"twilio/{victim.media_key}"
                )
                done = await delete_source(client, sink, ledger, dry_run=False)
                assert (done.deleted, done.failed) == (6, 1)
                gone = {s for s, r in emu.state.recordings.items() if r.status == "deleted"}
                gone |= {s for s, c in emu.state.compositions.items() if c.status == "deleted"}
                assert victim.sid not in gone and len(gone) == 6
        await sink.aclose()
