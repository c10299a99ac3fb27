"""What only the PostgreSQL ledger has to show: concurrent claims on many connections, the
database's clock for leases, the discovery lock, and a DSN password that never leaks.
(The protocol itself is tested against both ledgers in test_archive_ledger.py.)"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.pg_server import PGServer
from twvideo_async import VideoClient, errors
from twvideo_async.archive import (
    ArchiveItem,
    LocalSink,
    PostgresLedger,
    State,
    iter_rows,
    open_ledger,
    run_archive,
)
from twvideo_async.archive._postgres import redact_dsn
from twvideo_async.models import Recording
from twvideo_async.testing import Emulator

WHEN = datetime(2024, 3, 5, tzinfo=timezone.utc)
SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
SECRET = "s3cr3t-Pa55word"


def item(n: int) -> ArchiveItem:
    return ArchiveItem.from_model(
        Recording(
            sid=f"RT{n:032x}",
            date_created=WHEN + timedelta(seconds=n),
            status="completed",
            size=100 + n,
            container_format="mka",
            grouping_sids={"room_sid": "RM" + "a" * 32},
            raw={"sid": f"RT{n:032x}"},
        )
    )


async def test_connections_claiming_at_once_never_get_the_same_item(pg_database: str) -> None:
    async with PostgresLedger(pg_database) as setup:
        await setup.upsert([item(n) for n in range(300)])
    ledgers = [PostgresLedger(pg_database) for _ in range(6)]
    for ledger in ledgers:
        await ledger.__aenter__()

    async def drain(ledger: PostgresLedger, worker: str) -> list[str]:
        got: list[str] = []
        while rows := await ledger.claim(worker, 7, 600, count_attempt=True):
            assert all(r.worker == worker and r.attempts == 1 for r in rows)
            got += [r.sid for r in rows]
        return got

    try:
        results = await asyncio.gather(*(drain(le, f"w{n}") for n, le in enumerate(ledgers)))
    finally:
        for ledger in ledgers:
            await ledger.aclose()
    claimed = [sid for got in results for sid in got]
    assert len(claimed) == 300 and len(set(claimed)) == 300
    assert sum(1 for got in results if got) > 1  # the claims really did interleave


async def test_a_lease_expires_by_the_database_clock(pg_database: str) -> None:
    async with PostgresLedger(pg_database) as ledger:
        await ledger.upsert([item(1)])
        (held,) = await ledger.claim("dead-worker", 1, 0.2)
        assert await ledger.claim("alive", 1, 60) == []  # still leased
        await asyncio.sleep(0.5)  # past the lease (the database's now(), not ours)
        (taken,) = await ledger.claim("alive", 1, 60)
        assert taken.sid == held.sid and taken.worker == "alive"
        # The dead worker, back from a stall, is fenced out of every change.
        assert not await ledger.transition(held.sid, "dead-worker", State.DISCOVERED, State.FAILED)
        assert await ledger.renew("dead-worker", [held.sid], 60) == 0
        row = await ledger.get(held.sid)
        assert row is not None and row.state is State.DISCOVERED and row.worker == "alive"


async def test_a_cancelled_call_still_completes_its_transaction(pg_database: str) -> None:
    async with PostgresLedger(pg_database) as ledger:
        task = asyncio.ensure_future(ledger.upsert([item(n) for n in range(50)]))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    async with PostgresLedger(pg_database) as ledger:
        counts = await ledger.counts()
        assert counts.get(State.DISCOVERED, (0, 0))[0] in (0, 50)  # all or nothing, never half


HOLDER = """
import asyncio, sys
from twvideo_async.archive import open_ledger
async def main():
    async with open_ledger(sys.argv[1]) as ledger:
        async with ledger.exclusive("discovery") as mine:
            print("mine" if mine else "taken", flush=True)
            await asyncio.sleep(600)
asyncio.run(main())
"""


async def test_the_discovery_lock_is_held_once_and_dies_with_its_holder(
    pg_database: str,
) -> None:
    async with PostgresLedger(pg_database) as a, PostgresLedger(pg_database) as b:
        async with a.exclusive("discovery") as first:
            async with b.exclusive("discovery") as second:
                assert first and not second
            async with b.exclusive("other") as other:
                assert other  # another name is another lock
        async with b.exclusive("discovery") as again:
            assert again  # released with the block
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, pg_database, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            assert (await proc.stdout.readline()).strip() == b"mine"
            async with b.exclusive("discovery") as while_held:
                assert not while_held
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        # The killed holder's session ends, and its lock with it.
        for _ in range(100):
            async with b.exclusive("discovery") as after:
                if after:
                    break
            await asyncio.sleep(0.05)
        assert after


async def test_the_password_never_appears_in_a_repr_a_log_line_or_an_error(
    pg_server: PGServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    missing = pg_server.dsn("no_such_database", password=SECRET)
    ledger = open_ledger(missing)
    assert isinstance(ledger, PostgresLedger)
    assert SECRET not in repr(ledger) and "postgres:***@" in repr(ledger)
    with pytest.raises(errors.ConfigurationError) as caught:
        async with ledger:
            pass
    text = f"{caught.value} {caught.value!r} {caught.value.__context__!r}"
    assert "no_such_database" in text and SECRET not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    in_query = f"postgresql://127.0.0.1:1/db?user=postgres&password={SECRET}&connect_timeout=1"
    with pytest.raises(errors.ConfigurationError) as refused:
        async with PostgresLedger(in_query):
            pass
    assert SECRET not in str(refused.value) and SECRET not in repr(PostgresLedger(in_query))
    assert SECRET not in caplog.text
    assert redact_dsn("postgresql://u:p%40ss@h/d") == "postgresql://u:***@h/d"
    assert redact_dsn("postgresql://u@h/d?password=x&sslmode=require") == (
        "postgresql://u@h/d?password=%2A%2A%2A&sslmode=require"
    )
    with pytest.raises(errors.InvalidRequestError, match="postgresql://"):
        PostgresLedger("mysql://u:p@h/d")


async def test_several_workers_creating_the_tables_at_once_all_succeed(
    pg_database: str,
) -> None:
    ledgers = [PostgresLedger(pg_database) for _ in range(5)]
    try:
        await asyncio.gather(*(ledger.__aenter__() for ledger in ledgers))
        assert await ledgers[0].upsert([item(1)]) == 1
        assert [await le.upsert([item(1)]) for le in ledgers[1:]] == [0, 0, 0, 0]
    finally:
        for ledger in ledgers:
            await ledger.aclose()


async def test_two_jobs_on_one_ledger_archive_every_item_once(
    pg_database: str, tmp_path: Path
) -> None:
    """Two runs (two ledger connections, as two machines would have) share the work: the
    discovery lock lets one list while both copy; each item is copied by exactly one."""
    async with Emulator(seed=11) as emu:
        seeded = emu.seed(rooms=4, recordings_per_room=5, compositions_per_room=1, media_size=2_000)
        expected = {*seeded.recordings, *seeded.compositions}
        sink = LocalSink(tmp_path / "dest")
        async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
            async with PostgresLedger(pg_database) as one, PostgresLedger(pg_database) as two:
                reports = await asyncio.gather(
                    run_archive(client, sink, one, since=SINCE, concurrency=3, worker="m1:1:a"),
                    run_archive(client, sink, two, since=SINCE, concurrency=3, worker="m2:1:b"),
                )
                rows = {r.sid: r async for r in iter_rows(one)}
    assert set(rows) == expected and all(r.state is State.VERIFIED for r in rows.values())
    assert all(r.worker is None and r.attempts == 1 for r in rows.values())
    assert sum(r.archived for r in reports) == len(expected)  # none twice
    assert all(r.failed == 0 for r in reports)
    assert sum(r.discovered for r in reports) == len(expected)
