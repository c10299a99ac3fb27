"""The archive job stores each room's Video Insights summaries beside its media; a missing
summary or an Insights error is counted and logged, never an archive failure."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from twvideo_async import VideoClient
from twvideo_async.archive import ArchiveItem, LocalSink, SQLiteLedger, run_archive
from twvideo_async.testing import Emulator

SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=7) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[VideoClient]:
    async with VideoClient(*emu.credentials, base_url=emu.base_url) as c:
        yield c


def _insights_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("insights-*.json")}


async def test_each_room_gets_its_summaries_beside_its_media(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=2, recordings_per_room=2, compositions_per_room=0, media_size=1000)
    dest = tmp_path / "dest"
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(client, LocalSink(dest), ledger, since=SINCE)
    assert report.ok and report.archived == 4
    assert report.insights == {"stored": 2, "missing": 0, "failed": 0}
    assert report.as_dict()["insights"] == report.insights
    folders = {ArchiveItem.from_model(r).folder async for r in client.recordings.list()}
    assert len(folders) == 2
    files = _insights_files(dest)
    assert set(files) == {
        f"{folder}/{name}"
        for folder in folders
        for name in ("insights-room.json", "insights-participants.json")
    }
    for room_sid in seeded.rooms:
        (folder,) = [f for f in folders if f.endswith(room_sid)]
        room = json.loads(files[f"{folder}/insights-room.json"].read_text())
        assert room == dict((await client.insights.rooms.fetch(room_sid)).raw)
        people = json.loads(files[f"{folder}/insights-participants.json"].read_text())
        listed = await client.insights.rooms.participants(room_sid).list().to_list()
        assert people == {"room_sid": room_sid, "participants": [dict(p.raw) for p in listed]}
        assert len(people["participants"]) == 2


async def test_a_room_without_a_summary_is_counted_not_failed(
    emu: Emulator, client: VideoClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A room still in progress has recordings (its participant left) but no summary yet.
    room = await client.rooms.create(unique_name="live", record_participants_on_connect=True)
    assert room.sid
    alice = emu.state.connect_participant(room.sid, "alice")
    emu.state.disconnect_participant(alice)
    dest = tmp_path / "dest"
    caplog.set_level(logging.INFO, logger="twvideo_async")
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(client, LocalSink(dest), ledger, since=SINCE)
    assert report.ok and report.archived >= 1
    assert report.insights == {"stored": 0, "missing": 1, "failed": 0}
    assert _insights_files(dest) == {}
    assert any("no Insights summary" in r.getMessage() for r in caplog.records)


async def test_an_insights_error_is_counted_and_logged_and_the_media_kept(
    emu: Emulator, client: VideoClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0, media_size=1000)
    emu.faults.server_error(500, path="/v1/Video/Rooms")
    dest = tmp_path / "dest"
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(
            client.with_options(max_retries=0), LocalSink(dest), ledger, since=SINCE
        )
    assert report.ok and report.archived == 1 and report.failed == 0
    assert report.insights == {"stored": 0, "missing": 0, "failed": 1}
    assert _insights_files(dest) == {}
    assert any("Insights summary of" in r.getMessage() for r in caplog.records)


async def test_insights_can_be_turned_off(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0, media_size=1000)
    before = len(emu.storage_requests)
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(
            client, LocalSink(tmp_path / "d"), ledger, since=SINCE, insights=False
        )
    assert report.archived == 1 and report.insights == {}
    assert len(emu.storage_requests) > before
    assert _insights_files(tmp_path / "d") == {}


async def test_a_later_run_stores_summaries_an_earlier_one_missed(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    # The first run finds no summary (Insights down); the next one has nothing new to copy but
    # still snapshots the rooms archived in the last 7 days that have none.
    emu.seed(rooms=2, recordings_per_room=1, compositions_per_room=0, media_size=1000)
    dest = tmp_path / "dest"
    emu.faults.server_error(500, path="/v1/Video/Rooms")
    quick = client.with_options(max_retries=0)
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        first = await run_archive(quick, LocalSink(dest), ledger, since=SINCE)
        assert first.archived == 2 and first.insights["failed"] == 2
        emu.faults.clear()
        second = await run_archive(quick, LocalSink(dest), ledger, since=SINCE)
        assert second.archived == 0 and second.insights == {"stored": 2, "missing": 0, "failed": 0}
        third = await run_archive(quick, LocalSink(dest), ledger, since=SINCE)
        assert third.insights == {"stored": 0, "missing": 0, "failed": 0}
    assert len(_insights_files(dest)) == 4
