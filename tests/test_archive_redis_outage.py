"""Redis stopped mid-run (issue 15): an archive whose client shares the account's limit
through a RedisThrottle completes when the redis-server goes away under it, on the
per-process fallback, with one WARNING, every item verified and nothing left half done."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.redis_server import RedisServer
from twvideo_async import RedisThrottle, VideoClient
from twvideo_async.archive import LocalSink, SQLiteLedger, State, iter_rows, run_archive
from twvideo_async.testing import Emulator

pytestmark = pytest.mark.asyncio


async def test_redis_stopped_mid_run_the_archive_completes(
    own_redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with Emulator(seed=15) as emu:
        seeded = emu.seed(rooms=3, recordings_per_room=3, compositions_per_room=1, media_size=4096)
        sids = {*seeded.recordings, *seeded.compositions}
        emu.faults.rate_limit(rps=50)  # the fallback's per-process limits must hold up too
        # The first media request waits until Redis is gone: listing went through Redis,
        # every transfer happens after it stopped.
        held = emu.faults.hold(count=1, path="/Media")
        throttle = RedisThrottle.from_url(own_redis_server.url, key="AC-archive-outage", workers=2)
        client = VideoClient(*emu.credentials, base_url=emu.base_url, throttle=throttle)
        sink = LocalSink(tmp_path / "dest")
        with caplog.at_level(logging.WARNING, logger="twvideo_async"):
            async with client, SQLiteLedger(tmp_path / "archive.sqlite") as ledger:
                run = asyncio.ensure_future(run_archive(client, sink, ledger, concurrency=2))
                for _ in range(2000):
                    if held.fired or run.done():
                        break
                    await asyncio.sleep(0.01)
                assert held.fired == 1 and not run.done()
                shared = await throttle.state()  # the listing's reservations, in Redis
                await asyncio.to_thread(own_redis_server.stop)
                held.release()
                report = await run
                rows = {row.sid: row async for row in iter_rows(ledger)}
            await throttle.aclose()
    assert "tat" in shared and throttle.on_fallback
    assert report.failed == 0 and report.archived == len(sids), report.errors
    assert set(rows) == sids and all(r.state is State.VERIFIED for r in rows.values())
    for sid, row in rows.items():
        assert row.dest_key is not None
        assert (tmp_path / "dest" / row.dest_key).read_bytes() == emu.media_bytes(sid)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("falling back" in w for w in warnings) == 1, warnings
