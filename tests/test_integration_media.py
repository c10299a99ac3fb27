"""Media through the resource API against the emulator: files arrive byte-identical, storage
never sees a credential, interrupted transfers resume, and bulk downloads report per file."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from twvideo_async import Progress, ProgressKind, VideoClient, errors
from twvideo_async.testing import Emulator

MIB = 1 << 20


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_storage_never_saw_credentials(emu: Emulator) -> None:
    assert emu.storage_requests
    for request in emu.storage_requests:
        names = {name.lower() for name in request.headers}
        assert "authorization" not in names and "cookie" not in names


async def test_download_and_stream_a_recording(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=3 * MIB)
    sid = seeded.recordings[0]
    path = await twvideo_client.recordings.download(sid, tmp_path)
    assert path.parent == tmp_path and path.name.startswith(sid)
    assert path.suffix in (".mka", ".mkv")
    assert sha256(path) == twvideo_emulator.media_sha256(sid)
    digest = hashlib.sha256()
    async with twvideo_client.recordings.stream(sid) as media:
        assert media.content_length == 3 * MIB
        async for chunk in media.iter_bytes():
            digest.update(chunk)
    assert digest.hexdigest() == twvideo_emulator.media_sha256(sid)
    assert entries(tmp_path) == [path.name]  # no temp files left
    assert_storage_never_saw_credentials(twvideo_emulator)


async def test_a_cut_connection_resumes_with_range(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=4 * MIB)
    sid = seeded.recordings[0]
    twvideo_emulator.faults.storage_cut(after_bytes=MIB, count=2)
    twvideo_emulator.faults.storage_expired(count=1)
    path = await twvideo_client.recordings.download(sid, tmp_path / "rec.mka")
    assert sha256(path) == twvideo_emulator.media_sha256(sid)
    ranges = [r.headers.get("Range") for r in twvideo_emulator.storage_requests]
    assert any(r and r.startswith("bytes=") and r != "bytes=0-" for r in ranges)
    assert_storage_never_saw_credentials(twvideo_emulator)


async def test_media_of_an_unfinished_recording_is_not_ready(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    room = await twvideo_client.rooms.create(
        unique_name="live", record_participants_on_connect=True
    )
    assert room.sid is not None
    twvideo_emulator.state.connect_participant(room.sid, "alice")
    live = [r async for r in twvideo_client.recordings.list(grouping_sid=[room.sid])]
    assert live and live[0].sid
    with pytest.raises(errors.MediaNotReadyError, match="completed"):
        await twvideo_client.recordings.download(live[0].sid, tmp_path)
    assert entries(tmp_path) == []


async def test_download_many_from_a_listing_with_one_failure(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=2, recordings_per_room=4, media_size=256 * 1024)
    events: list[Progress] = []
    missing = "RT" + "f" * 32
    summary = await twvideo_client.recordings.download_many(
        [*seeded.recordings, missing], tmp_path, concurrency=3, progress=events.append
    )
    assert summary.files == 9 and summary.failed == 1 and summary.succeeded == 8
    assert [r.sid for r in summary.results] == [*seeded.recordings, missing]
    for result in summary.results[:8]:
        assert result.path is not None
        assert result.sha256 == twvideo_emulator.media_sha256(result.sid)
    assert isinstance(summary.results[8].error, errors.NotFoundError)
    assert {e.kind for e in events} >= {ProgressKind.FINISHED, ProgressKind.FAILED}

    listing = twvideo_client.recordings.list(status="completed")
    rerun = await twvideo_client.recordings.download_many(listing, tmp_path, concurrency=4)
    assert rerun.skipped == 8 and rerun.failed == 0  # already complete on disk


async def test_room_and_composition_download_all(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=2, recordings_per_room=3, compositions_per_room=1)
    room = seeded.rooms[0]
    recs = await twvideo_client.rooms.recordings(room).download_all(tmp_path / "recs")
    assert recs.succeeded == 3 and recs.failed == 0
    comps = await twvideo_client.compositions.download_all(room, tmp_path / "comps")
    assert comps.succeeded == 1
    (result,) = comps.results
    assert result.path is not None and result.path.suffix in (".mp4", ".webm")
    assert result.sha256 == twvideo_emulator.media_sha256(result.sid)


async def test_cancelling_a_download_leaves_no_file(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=2 * MIB)
    twvideo_emulator.faults.storage_stall(30, after_bytes=512 * 1024)
    task = asyncio.create_task(
        twvideo_client.recordings.download(seeded.recordings[0], tmp_path / "x.mka")
    )
    for _ in range(200):
        await asyncio.sleep(0.01)
        if entries(tmp_path):
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert entries(tmp_path) == []
