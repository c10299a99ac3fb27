"""The archive's items, keys and SQLite ledger: states, leases, fencing, destination, cursors."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.pg_server import LedgerBackend
from twvideo_async import VideoClient, errors
from twvideo_async.archive import (
    ArchiveItem,
    LedgerError,
    SQLiteLedger,
    State,
    iter_rows,
    open_ledger,
)
from twvideo_async.archive._discover import Discovery, discover
from twvideo_async.archive._ledger import local_worker_is_dead, new_worker_id
from twvideo_async.models import Composition, Recording
from twvideo_async.testing import Emulator

ROOM = "RM" + "a" * 32
WHEN = datetime(2024, 3, 5, 23, 59, 59, tzinfo=timezone.utc)


def recording(n: int, **fields: Any) -> Recording:
    values: dict[str, Any] = {
        "sid": f"RT{n:032x}",
        "date_created": WHEN + timedelta(seconds=n),
        "status": "completed",
        "size": 1000 + n,
        "container_format": "mka",
        "grouping_sids": {"room_sid": ROOM, "participant_sid": "PA" + "b" * 32},
        "raw": {"sid": f"RT{n:032x}", "track_name": "microphone"},
    }
    values.update(fields)
    return Recording(**values)


def item(n: int, **fields: Any) -> ArchiveItem:
    return ArchiveItem.from_model(recording(n, **fields))


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


# -- items and keys ------------------------------------------------------------------------------


def test_keys_come_from_the_utc_date_room_and_sid() -> None:
    local = datetime(2024, 3, 6, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 23:00 UTC the 5th
    rec = ArchiveItem.from_model(recording(1, date_created=local))
    assert rec.media_key == f"2024/03/05/{ROOM}/{rec.sid}.mka"
    assert rec.sidecar_key == f"2024/03/05/{ROOM}/{rec.sid}.json"
    assert rec.kind == "recording" and rec.size == 1001 and rec.ready
    assert rec.object_metadata() == {
        "twvideo-sid": rec.sid,
        "twvideo-kind": "recording",
        "twvideo-size": "1001",
    }
    comp = ArchiveItem.from_model(
        Composition(
            sid="CJ" + "c" * 32,
            room_sid=ROOM,
            date_created=WHEN,
            status="enqueued",
            format="webm",
            raw={"sid": "CJ" + "c" * 32},
        )
    )
    assert comp.media_key == f"2024/03/05/{ROOM}/{'CJ' + 'c' * 32}.webm"
    assert comp.kind == "composition" and not comp.ready and comp.size is None
    assert comp.content_type == "video/webm"


def test_odd_wire_values_never_reach_a_key() -> None:
    odd = ArchiveItem.from_model(
        recording(2, container_format="../../etc", grouping_sids={"room_sid": "../x"})
    )
    assert odd.media_key == f"2024/03/06/no-room/{odd.sid}.bin"
    video = ArchiveItem.from_model(recording(3, container_format=None, type="video"))
    assert video.extension == "mkv"
    with pytest.raises(errors.InvalidRequestError, match="not a recording or composition SID"):
        ArchiveItem.from_model(recording(4, sid="RT../../x"))
    with pytest.raises(errors.InvalidRequestError, match="date_created"):
        ArchiveItem.from_model(recording(5, date_created=None))


# -- states and fencing --------------------------------------------------------------------------


async def test_upsert_is_idempotent_and_refreshes_only_uncopied_rows(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        assert await ledger.upsert([item(1), item(2), item(1)]) == 2
        assert await ledger.upsert([item(1), item(2)]) == 0
        row = await ledger.get(item(1).sid)
        assert row is not None and row.state is State.DISCOVERED and row.item.raw["sid"]
        # A listing that sees a new status refreshes a row not yet copied ...
        await ledger.upsert([item(1, status="processing", size=None)])
        row = await ledger.get(item(1).sid)
        assert row is not None and row.item.status == "processing" and row.item.size is None
        # ... but never one already archived.
        (claimed,) = await ledger.claim("w", 1, 60, sids=[item(2).sid])
        assert await ledger.transition(
            claimed.sid, "w", State.DISCOVERED, State.ARCHIVED, changes={"sha256": "ab"}
        )
        await ledger.upsert([item(2, size=5)])
        row = await ledger.get(item(2).sid)
        assert row is not None and row.item.size == 1002 and row.sha256 == "ab"
        assert row.archived_at is not None and row.worker is None


async def test_a_transition_by_the_wrong_worker_or_from_the_wrong_state_changes_nothing(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        await ledger.upsert([item(1)])
        (row,) = await ledger.claim("alice", 5, 60)
        assert row.worker == "alice" and row.lease_until is not None
        assert not await ledger.transition(row.sid, "bob", State.DISCOVERED, State.ARCHIVED)
        assert not await ledger.transition(row.sid, "alice", State.VERIFIED, State.SOURCE_DELETED)
        unchanged = await ledger.get(row.sid)
        assert unchanged == row
        assert await ledger.claim("bob", 5, 60) == []  # alice's lease is live
        assert await ledger.transition(
            row.sid, "alice", State.DISCOVERED, State.ARCHIVED, release=False
        )
        kept = await ledger.get(row.sid)
        assert kept is not None and kept.state is State.ARCHIVED and kept.worker == "alice"
        assert await ledger.transition(
            row.sid,
            "alice",
            State.ARCHIVED,
            State.FAILED,
            changes={"last_error": "boom"},
        )
        failed = await ledger.get(row.sid)
        assert failed is not None and failed.state is State.FAILED and failed.worker is None
        assert failed.last_error == "boom"
        with pytest.raises(errors.InvalidRequestError, match="cannot set"):
            await ledger.transition(row.sid, "x", State.FAILED, State.FAILED, changes={"state": 1})


async def test_an_expired_lease_is_reclaimed_and_its_old_holder_is_fenced_out(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        await ledger.upsert([item(1), item(2)])
        first = await ledger.claim("alice", 10, 30, count_attempt=True)
        assert [r.attempts for r in first] == [1, 1]
        backend.advance(20)
        assert await ledger.renew("alice", [first[0].sid], 30) == 1  # alice keeps item 1 alive
        backend.advance(15)  # item 2's lease has expired, item 1's has not
        (taken,) = await ledger.claim("bob", 10, 30, count_attempt=True)
        assert taken.sid == first[1].sid and taken.worker == "bob" and taken.attempts == 2
        assert not await ledger.transition(taken.sid, "alice", State.DISCOVERED, State.ARCHIVED)
        assert await ledger.renew("alice", [taken.sid], 30) == 0
        assert await ledger.transition(taken.sid, "bob", State.DISCOVERED, State.ARCHIVED)


async def test_pending_rows_wait_for_not_before_and_failed_rows_are_requeued(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        await ledger.upsert([item(1), item(2)])
        one, two = await ledger.claim("w", 2, 60)
        wake = backend.now() + 5
        await ledger.transition(
            one.sid, "w", State.DISCOVERED, State.PENDING, changes={"not_before": wake}
        )
        await ledger.transition(
            two.sid, "w", State.DISCOVERED, State.FAILED, changes={"last_error": "x"}
        )
        assert await ledger.next_wakeup() == wake
        assert await ledger.claim("w", 5, 60) == []
        backend.advance(5)
        assert [r.sid for r in await ledger.claim("w", 5, 60)] == [one.sid]
        assert await ledger.requeue_failed() == 1
        again = await ledger.get(two.sid)
        assert again is not None and again.state is State.DISCOVERED and again.last_error == "x"
        counts = await ledger.counts()
        assert counts == {State.PENDING: (1, 1001), State.DISCOVERED: (1, 1002)}


async def test_a_dead_local_workers_leases_are_released(backend: LedgerBackend) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    dead = new_worker_id().split(":")[0] + f":{out.decode().strip()}:beef"
    assert local_worker_is_dead(dead)
    assert not local_worker_is_dead(new_worker_id())  # this process
    assert not local_worker_is_dead("other-host:1:beef")
    async with backend.open() as ledger:
        await ledger.upsert([item(1), item(2)])
        await ledger.claim(dead, 1, 3600)
        await ledger.claim("other-host:1:beef", 1, 3600)
        assert await ledger.release_dead(local_worker_is_dead) == 1
        (row,) = await ledger.claim("me", 5, 60)
        assert row.sid == item(1).sid


async def test_the_ledger_refuses_another_destination(backend: LedgerBackend) -> None:
    async with backend.open() as ledger:
        assert await ledger.destination() is None
        await ledger.bind_destination("file:///data/archive")
        await ledger.bind_destination("file:///data/archive")
    async with open_ledger(backend.location) as ledger:
        assert await ledger.destination() == "file:///data/archive"
        with pytest.raises(errors.ConfigurationError, match="belongs to the destination"):
            await ledger.bind_destination("s3://bucket/other")


async def test_a_file_that_is_not_a_ledger_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(errors.ConfigurationError, match="not a usable ledger"):
        async with SQLiteLedger(bogus):
            pass
    with pytest.raises(errors.ConfigurationError, match="does not exist"):
        async with SQLiteLedger(tmp_path / "missing" / "l.sqlite"):
            pass
    with pytest.raises(errors.ConfigurationError, match="postgresql:// URL"):
        open_ledger("mysql://localhost/db")


async def test_iter_rows_pages_through_everything_and_sqlite_is_wal(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        await ledger.upsert([item(n) for n in range(25)])
        sids = [r.sid async for r in iter_rows(ledger, page=7)]
        assert sids == sorted(item(n).sid for n in range(25))
        assert [r.sid async for r in iter_rows(ledger, states=[State.VERIFIED])] == []
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


CLAIMER = """
import asyncio, sys
from twvideo_async.archive import open_ledger
async def main():
    got = []
    async with open_ledger(sys.argv[1]) as ledger:
        while rows := await ledger.claim(sys.argv[2], 3, 600):
            got += [r.sid for r in rows]
    print("\\n".join(got))
asyncio.run(main())
"""


async def test_processes_sharing_a_ledger_never_claim_the_same_row(
    backend: LedgerBackend,
) -> None:
    async with backend.open() as ledger:
        await ledger.upsert([item(n) for n in range(120)])
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLAIMER, backend.location, f"w{n}", stdout=asyncio.subprocess.PIPE
        )
        for n in range(3)
    ]
    outputs = [(await p.communicate())[0].decode().split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    claimed = [sid for out in outputs for sid in out]
    assert len(claimed) == 120 and len(set(claimed)) == 120


# -- discovery -----------------------------------------------------------------------------------


class CountingClient:
    """Counts the list calls discovery makes (the real client does the work)."""

    def __init__(self, client: VideoClient) -> None:
        self.windows: list[tuple[str, datetime]] = []
        self.recordings = _Counted(client.recordings, "recording", self.windows)
        self.compositions = _Counted(client.compositions, "composition", self.windows)


class _Counted:
    def __init__(self, resource: Any, kind: str, windows: list[tuple[str, datetime]]) -> None:
        self._resource, self._kind, self._windows = resource, kind, windows

    def list(self, **kwargs: Any) -> Any:
        self._windows.append((self._kind, kwargs["date_created_after"]))
        return self._resource.list(**kwargs)


async def test_discovery_stores_a_cursor_and_a_rerun_resumes_from_it(
    backend: LedgerBackend,
) -> None:
    async with Emulator(seed=3) as emu:
        seeded = emu.seed(rooms=3, recordings_per_room=2, compositions_per_room=1)
        async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
            counting = CountingClient(client)
            plan = Discovery.build(since=datetime(2020, 1, 1, tzinfo=timezone.utc))
            async with backend.open() as ledger:
                assert await discover(counting, ledger, plan) == 9  # type: ignore[arg-type]
                first = len(counting.windows)
                assert first > 4
                names = {r.sid async for r in iter_rows(ledger)}
                assert names == {*seeded.recordings, *seeded.compositions}
                # A rerun lists only from the cursor on (the last, unsettled window).
                counting.windows.clear()
                assert await discover(counting, ledger, plan) == 0  # type: ignore[arg-type]
                assert 0 < len(counting.windows) <= 2
                starts = [start for _, start in counting.windows]
                assert min(starts) > datetime.now(timezone.utc) - timedelta(days=32)
                # Another room filter does not inherit the cursor.
                counting.windows.clear()
                room_plan = Discovery.build(since=plan.since, rooms=[seeded.rooms[0]])
                assert await discover(counting, ledger, room_plan) == 0  # type: ignore[arg-type]
                assert len(counting.windows) == first


def test_discovery_arguments_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(errors.InvalidRequestError, match="room SID"):
        Discovery.build(rooms=["standup"])
    with pytest.raises(errors.InvalidRequestError, match="timezone-aware"):
        Discovery.build(since=datetime(2024, 1, 1))
    with pytest.raises(errors.InvalidRequestError, match="must be after"):
        Discovery.build(since=WHEN, until=WHEN)
    with pytest.raises(errors.InvalidRequestError, match="nothing to archive"):
        Discovery.build(recordings=False, compositions=False)


async def test_a_failing_ledger_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    async with SQLiteLedger(path) as ledger:
        await ledger.upsert([item(1)])
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE items")  # the file is damaged under the ledger
        with pytest.raises(LedgerError, match="failed"):
            await ledger.claim("w", 1, 60)
        assert isinstance(LedgerError("x"), errors.TwilioVideoError)
