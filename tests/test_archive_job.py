"""The archive job end to end: emulator -> LocalSink, with the ledger, sidecars, readiness,
external media, an item already present, and archive_one."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from twvideo_async import VideoClient
from twvideo_async.archive import (
    ArchiveEvent,
    ArchiveItem,
    LocalSink,
    SQLiteLedger,
    State,
    archive_one,
    iter_rows,
    run_archive,
)
from twvideo_async.testing import Emulator, EmulatorClock

SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)


def final_files(root: Path) -> dict[str, bytes]:
    """Every visible (non-hidden) file below ``root``, by relative key."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[VideoClient]:
    async with VideoClient(*emu.credentials, base_url=emu.base_url) as c:
        yield c


async def expected_keys(client: VideoClient) -> dict[str, ArchiveItem]:
    items = [ArchiveItem.from_model(r) async for r in client.recordings.list()]
    items += [ArchiveItem.from_model(c) async for c in client.compositions.list()]
    return {i.sid: i for i in items}


async def test_every_item_is_archived_once_byte_exact_with_its_sidecar(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=3, recordings_per_room=3, compositions_per_room=1, media_size=70_000)
    sink = LocalSink(tmp_path / "dest")
    events: list[ArchiveEvent] = []
    async with SQLiteLedger(tmp_path / "ledger.sqlite") as ledger:
        report = await run_archive(
            client, sink, ledger, since=SINCE, concurrency=3, progress=events.append
        )
        items = await expected_keys(client)
        assert set(items) == {*seeded.recordings, *seeded.compositions}
        assert (report.archived, report.failed, report.pending, report.skipped) == (12, 0, 0, 0)
        assert report.bytes == 12 * 70_000 and report.discovered == 12
        assert report.totals["verified"] == 12
        files = final_files(tmp_path / "dest")
        # Beside the media of each room, its Video Insights summaries (test_archive_insights).
        insights = {
            f"{i.folder}/insights-{name}.json"
            for i in items.values()
            for name in ("room", "participants")
        }
        assert (
            set(files)
            == {i.media_key for i in items.values()}
            | {i.sidecar_key for i in items.values()}
            | insights
        )
        async for row in iter_rows(ledger):
            item = items[row.sid]
            data = files[item.media_key]
            assert data == emu.media_bytes(row.sid)
            assert row.state is State.VERIFIED and row.dest_key == item.media_key
            assert row.sha256 == hashlib.sha256(data).hexdigest() == emu.media_sha256(row.sid)
            sidecar = json.loads(files[item.sidecar_key])
            assert sidecar["archive"]["sha256"] == row.sha256
            assert sidecar["archive"]["size"] == 70_000 and sidecar["archive"]["etag"] == row.etag
            assert sidecar["twilio"]["sid"] == row.sid and "date_created" in sidecar["twilio"]
        assert sorted(e.kind for e in events if e.sid) == ["archived"] * 12

        # A rerun downloads nothing: everything is verified already.
        before = len(emu.storage_requests)
        again = await run_archive(client, sink, ledger, since=SINCE)
        assert (again.archived, again.verified, again.failed, again.bytes) == (0, 0, 0, 0)
        assert len(emu.storage_requests) == before


async def test_objects_already_at_the_destination_are_verified_without_a_download(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=1)
    sink = LocalSink(tmp_path / "dest")
    async with SQLiteLedger(tmp_path / "first.sqlite") as ledger:
        await run_archive(client, sink, ledger, since=SINCE)
    # A new ledger (lost, or another machine) over the same destination.
    before = len(emu.storage_requests)
    async with SQLiteLedger(tmp_path / "second.sqlite") as ledger:
        report = await run_archive(client, sink, ledger, since=SINCE)
        assert (report.archived, report.verified, report.failed) == (0, 3, 0)
        assert len(emu.storage_requests) == before
        rows = [r async for r in iter_rows(ledger)]
        assert all(r.state is State.VERIFIED and r.sha256 == emu.media_sha256(r.sid) for r in rows)
    # An object altered at the destination is not taken as a copy: it is downloaded again.
    items = await expected_keys(client)
    victim = next(i for i in items.values() if i.kind == "recording")
    path = tmp_path / "dest" / victim.media_key
    path.write_bytes(b"x" * len(path.read_bytes()))
    async with SQLiteLedger(tmp_path / "third.sqlite") as ledger:
        report = await run_archive(client, sink, ledger, since=SINCE)
        assert (report.archived, report.verified) == (1, 2)
    assert path.read_bytes() == emu.media_bytes(victim.sid)


async def test_external_and_failed_media_are_skipped_with_a_reason(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=1, recordings_per_room=3, compositions_per_room=1)
    external, failed = seeded.recordings[0], seeded.recordings[1]
    emu.state.recordings[failed].status = "failed"
    sink = LocalSink(tmp_path / "dest")
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        # As Twilio lists it for an account with external S3 storage (the emulator has none).
        item = ArchiveItem.from_model(await client.recordings.fetch(external))
        item = ArchiveItem(**{**_fields(item), "media_external_location": "https://b.s3/x/"})
        before = len(emu.storage_requests)
        result = await archive_one(client, sink, ledger, item)
        assert result.outcome == "skipped" and "external" in (result.reason or "")
        assert len(emu.storage_requests) == before
        report = await run_archive(client, sink, ledger, since=SINCE)
        assert (report.archived, report.skipped, report.failed) == (2, 1, 0)
        ext = await ledger.get(external)
        bad = await ledger.get(failed)
        assert ext is not None and ext.state is State.SKIPPED and "external" in (ext.reason or "")
        assert bad is not None and bad.state is State.SKIPPED and "failed" in (bad.reason or "")
        assert report.totals["skipped"] == 2
    assert not any(external in key or failed in key for key in final_files(tmp_path / "dest"))


def _fields(item: ArchiveItem) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "kind": item.kind,
        "room_sid": item.room_sid,
        "date_created": item.date_created,
        "size": item.size,
        "extension": item.extension,
        "status": item.status,
        "media_external_location": item.media_external_location,
        "raw": item.raw,
    }


async def test_media_not_ready_is_pending_then_archived_once_ready(tmp_path: Path) -> None:
    clock = EmulatorClock()
    async with Emulator(seed=6, composition_delay=120, clock=clock) as emu:
        seeded = emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=0)
        room = emu.state.rooms[seeded.rooms[0]]
        composition = emu.state.create_composition(room, audio_sources=["*"], format="mp4")
        late = seeded.recordings[0]
        emu.state.recordings[late].status = "processing"  # /Media answers 404 meanwhile
        sink = LocalSink(tmp_path / "dest")
        moved: list[str] = []

        def on_event(event: ArchiveEvent) -> None:
            # The first time each item is reported pending, time passes at Twilio.
            if event.kind == "pending" and event.sid not in moved:
                moved.append(event.sid or "")
                if event.sid == late:
                    emu.state.recordings[late].status = "completed"
                else:
                    clock.advance(121)  # the composition finishes processing

        async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
            async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
                report = await run_archive(
                    client,
                    sink,
                    ledger,
                    since=SINCE,
                    progress=on_event,
                    ready_delay=0.05,
                    ready_timeout=30,
                )
                assert sorted(moved) == sorted([late, composition.sid])
                assert (report.archived, report.failed, report.pending) == (3, 0, 0)
                row = await ledger.get(composition.sid)
                assert row is not None and row.state is State.VERIFIED and row.attempts >= 2

                # Not ready before the deadline: reported and left pending, not failed. (It is
                # recent: a rerun lists again only from the discovery cursor on.)
                recent = datetime.now(timezone.utc) - timedelta(minutes=5)
                other = emu.state.create_composition(
                    room, audio_sources=["*"], format="mp4", at=recent
                )
                other.ready_at = None  # stays enqueued
                report = await run_archive(
                    client, sink, ledger, since=SINCE, ready_delay=0.05, ready_timeout=0.2
                )
                assert (report.pending, report.failed) == (1, 0)
                row = await ledger.get(other.sid)
                assert row is not None and row.state is State.PENDING


async def test_archive_one_is_idempotent_and_turns_a_media_404_into_pending(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=0)
    sid, other = seeded.recordings
    sink = LocalSink(tmp_path / "dest")
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        first = await archive_one(client, sink, ledger, sid)
        assert first.outcome == "archived" and first.sha256 == emu.media_sha256(sid)
        again = await archive_one(client, sink, ledger, sid)
        assert again.outcome == "verified" and again.bytes == 0
        # Twilio listed it completed, but /Media still answers 404: pending, not failed.
        item = ArchiveItem.from_model(await client.recordings.fetch(other))
        emu.state.recordings[other].status = "processing"
        pending = await archive_one(client, sink, ledger, item)
        assert pending.outcome == "pending"
        row = await ledger.get(other)
        assert row is not None and row.state is State.PENDING and row.not_before is not None
    # Without a ledger the destination alone decides: the copy is there, nothing is fetched.
    before = len(emu.storage_requests)
    result = await archive_one(client, sink, None, sid)
    assert result.outcome == "verified" and len(emu.storage_requests) == before


async def test_a_long_transfer_keeps_renewing_its_lease_so_no_rival_takes_it(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0)
    held = emu.faults.hold(path="/Media")  # the transfer waits here, its item leased
    sink = LocalSink(tmp_path / "dest")
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        job = asyncio.ensure_future(
            run_archive(client, sink, ledger, since=SINCE, lease_seconds=1.0)
        )
        for _ in range(3000):  # until the transfer is under way
            if held.fired:
                break
            await asyncio.sleep(0.01)
        assert held.fired
        await asyncio.sleep(2.5)  # several leases long: only renewals keep it held
        (row,) = await ledger.rows()
        assert row.state is State.DISCOVERED and row.worker is not None
        assert await ledger.claim("rival", 5, 60) == []
        held.release()
        report = await job
        assert (report.archived, report.failed) == (1, 0)
