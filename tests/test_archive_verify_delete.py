"""verify_archive and delete_source: what fails verification is recorded, and nothing whose
copy failed, was corrupted, went missing or was altered, or is too young, is deleted at Twilio."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from twvideo_async import VideoClient, errors
from twvideo_async.archive import (
    ArchiveItem,
    LocalSink,
    ObjectInfo,
    SinkWriter,
    SQLiteLedger,
    State,
    delete_source,
    iter_rows,
    run_archive,
    verify_archive,
)
from twvideo_async.testing import Emulator

SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
_NONE: Mapping[str, str] = {}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=9) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[VideoClient]:
    async with VideoClient(*emu.credentials, base_url=emu.base_url) as c:
        yield c


def deleted_at_twilio(emu: Emulator) -> set[str]:
    gone = {sid for sid, r in emu.state.recordings.items() if r.status == "deleted"}
    return gone | {sid for sid, c in emu.state.compositions.items() if c.status == "deleted"}


async def items_of(client: VideoClient) -> dict[str, ArchiveItem]:
    found = [ArchiveItem.from_model(r) async for r in client.recordings.list()]
    found += [ArchiveItem.from_model(c) async for c in client.compositions.list()]
    return {i.sid: i for i in found}


class CorruptingSink(LocalSink):
    """Flips one byte of what reaches the disk for ``victim``: the copy's own checks (made on
    the bytes received) pass, so only a re-read can tell."""

    victim = ""

    async def open_writer(  # type: ignore[override]  # any SinkWriter will do
        self,
        key: str,
        *,
        size: int | None,
        metadata: Mapping[str, str],
        content_type: str | None = None,
    ) -> SinkWriter:
        writer = await super().open_writer(
            key, size=size, metadata=metadata, content_type=content_type
        )
        media = self.victim and self.victim in key and not key.endswith(".json")
        return _Flip(writer) if media else writer


class _Flip:
    def __init__(self, inner: SinkWriter) -> None:
        self.inner, self.flipped = inner, False

    async def write(self, chunk: bytes) -> None:
        if not self.flipped and chunk:
            chunk, self.flipped = bytes([chunk[0] ^ 0xFF]) + chunk[1:], True
        await self.inner.write(chunk)

    async def commit(self, late_metadata: Mapping[str, str] = _NONE) -> ObjectInfo:
        return await self.inner.commit(late_metadata)

    async def abort(self) -> None:
        await self.inner.abort()


async def test_verify_finds_missing_altered_and_corrupted_objects(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=2, recordings_per_room=3, compositions_per_room=1)
    sink = CorruptingSink(tmp_path / "dest")
    sink.victim = seeded.recordings[0]
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(client, sink, ledger, since=SINCE)
        assert report.archived == 8 and report.failed == 0  # the corruption is invisible so far
        clean = await verify_archive(sink, ledger)
        assert (clean.verified, clean.failed) == (8, 0)
        found = await verify_archive(sink, ledger, mode="download")
        assert (found.verified, found.failed) == (7, 1)
        assert found.errors[0][0] == seeded.recordings[0] and "hash" in found.errors[0][1]

        items = await items_of(client)
        missing, altered = items[seeded.recordings[1]], items[seeded.compositions[0]]
        (tmp_path / "dest" / missing.media_key).unlink()
        altered_path = tmp_path / "dest" / altered.media_key
        altered_path.write_bytes(altered_path.read_bytes()[::-1])  # same size, new content
        report = await verify_archive(sink, ledger)
        assert (report.verified, report.failed) == (5, 2)
        reasons = dict(report.errors)
        assert "missing" in reasons[missing.sid] and "etag" in reasons[altered.sid]
        states = {r.sid: r async for r in iter_rows(ledger)}
        assert {sid for sid, r in states.items() if r.state is State.FAILED} == {
            seeded.recordings[0],
            missing.sid,
            altered.sid,
        }
        assert "verify:" in (states[missing.sid].last_error or "")

        # The next run copies the three again while Twilio still has them.
        sink.victim = ""
        again = await run_archive(client, sink, ledger, since=SINCE)
        assert again.archived == 3
        assert (await verify_archive(sink, ledger, mode="download")).failed == 0


async def test_verify_samples_a_fraction(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    emu.seed(rooms=2, recordings_per_room=4, compositions_per_room=1)
    sink = LocalSink(tmp_path / "dest")
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        await run_archive(client, sink, ledger, since=SINCE)
        report = await verify_archive(
            sink, ledger, mode="download", sample=0.3, rng=random.Random(1)
        )
        assert report.verified == 3 and report.failed == 0  # ceil(0.3 * 10)
        with pytest.raises(errors.InvalidRequestError, match="fraction"):
            await verify_archive(sink, ledger, sample=1.5)
        with pytest.raises(errors.InvalidRequestError, match="mode"):
            await verify_archive(sink, ledger, mode="quick")


async def test_delete_source_deletes_only_what_is_proven_copied(
    emu: Emulator, client: VideoClient, tmp_path: Path
) -> None:
    seeded = emu.seed(rooms=3, recordings_per_room=2, compositions_per_room=1, media_size=50_000)
    truncated = seeded.recordings[0]
    # Every download of this one is cut short: its copy fails, it is never verified.
    emu.faults.storage_cut(20_000, count=None, path=f"{truncated}")
    sink = CorruptingSink(tmp_path / "dest")
    sink.victim = seeded.recordings[1]  # corrupted on the way to disk
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        report = await run_archive(client, sink, ledger, since=SINCE, max_attempts=2)
        assert (report.archived, report.failed) == (8, 1)
        assert (await verify_archive(sink, ledger, mode="download")).failed == 1

        items = await items_of(client)
        missing = items[seeded.recordings[2]]
        altered = items[seeded.recordings[3]]
        young = items[seeded.compositions[2]]
        (tmp_path / "dest" / missing.media_key).unlink()
        path = tmp_path / "dest" / altered.media_key
        path.write_bytes(b"\0" * path.stat().st_size)
        # "now" such that only the last room's composition is younger than min_age.
        now = young.date_created + timedelta(hours=1)
        min_age = timedelta(hours=1, seconds=1)

        dry = await delete_source(client, sink, ledger, min_age=min_age, now=now)
        assert deleted_at_twilio(emu) == set()
        kept = {truncated, seeded.recordings[1], missing.sid, altered.sid, young.sid}
        assert dry.deleted == 0 and dry.would_delete == 9 - len(kept)
        assert dry.bytes == dry.would_delete * 50_000
        assert {sid for sid, _ in dry.errors} == {missing.sid, altered.sid}
        assert all([r.state is not State.SOURCE_DELETED async for r in iter_rows(ledger)])

        real = await delete_source(client, sink, ledger, min_age=min_age, now=now, dry_run=False)
        gone = deleted_at_twilio(emu)
        assert gone == set(items) - kept
        assert real.deleted == len(gone) and real.failed == 2
        rows = {r.sid: r async for r in iter_rows(ledger)}
        for sid in gone:
            assert rows[sid].state is State.SOURCE_DELETED and rows[sid].deleted_at is not None
        for sid in (missing.sid, altered.sid):
            assert rows[sid].state is State.FAILED
            assert "kept at Twilio" in (rows[sid].last_error or "")
        assert rows[young.sid].state is State.VERIFIED
        assert rows[truncated].state is State.FAILED

        # A second pass has nothing left to delete; the young one goes once old enough.
        later = await delete_source(client, sink, ledger, dry_run=False, now=now + timedelta(1))
        assert later.deleted == 1 and young.sid in deleted_at_twilio(emu)
        assert deleted_at_twilio(emu) == gone | {young.sid}


async def test_delete_source_refuses_bad_arguments_and_another_destination(
    client: VideoClient, tmp_path: Path
) -> None:
    async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
        await ledger.bind_destination(LocalSink(tmp_path / "a").url)
        with pytest.raises(errors.ConfigurationError, match="belongs to the destination"):
            await delete_source(client, LocalSink(tmp_path / "b"), ledger, dry_run=False)
        with pytest.raises(errors.InvalidRequestError, match="min_age"):
            await delete_source(client, LocalSink(tmp_path / "a"), ledger, min_age=timedelta(-1))
