"""The README's job-queue example (issue 15 item 4): ``archive_one`` as a procrastinate task on
PostgreSQL, one job per SID, the ledger (the same database) staying the record, and every
worker's client sharing the account's rate limit through Redis (``RedisThrottle``).

procrastinate is asyncio-native and keeps its jobs in PostgreSQL; ``queueing_lock=sid`` keeps one
queued job per item, and finished jobs are not the record: the ledger rows are. Run against the
PostgreSQL and Redis servers the suite starts and the bundled emulator.
"""

from __future__ import annotations

from pathlib import Path

import procrastinate

from tests.redis_server import RedisServer
from twvideo_async import RedisThrottle, VideoClient
from twvideo_async.archive import (
    LocalSink,
    PostgresLedger,
    State,
    archive_one,
    iter_rows,
)
from twvideo_async.testing import Emulator

ACCOUNT = "AC" + "0" * 30 + "15"


def make_throttle(redis_url: str, workers: int) -> RedisThrottle:
    """The example's limiter: one rate limit for the account, shared by every queue worker
    (on this host and others) through Redis, with Twilio's default 80 reads/s for all of
    them together; ``workers`` is how many share it (each keeps 1/workers if Redis is lost)."""
    return RedisThrottle.from_url(redis_url, key=ACCOUNT, read_rate=80, workers=workers)


def make_app(
    dsn: str, client: VideoClient, sink: LocalSink, ledger: PostgresLedger
) -> procrastinate.App:
    """The example: a procrastinate app with one task that archives one SID."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

    @app.task(name="archive_one", retry=procrastinate.RetryStrategy(max_attempts=3))
    async def archive(sid: str) -> None:
        result = await archive_one(client, sink, ledger, sid, lease_seconds=120)
        if result.outcome == "failed":
            raise RuntimeError(f"{sid}: {result.error}")  # procrastinate retries the job
        # "busy": another worker holds the item's lease; it will finish it.

    return app


async def test_procrastinate_runs_archive_one_per_sid_and_the_ledger_keeps_the_record(
    pg_database: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    async with Emulator(seed=21) as emu:
        seeded = emu.seed(rooms=3, recordings_per_room=3, compositions_per_room=1, media_size=1500)
        sids = [*seeded.recordings, *seeded.compositions]
        # One 429 on the metadata reads: the shared limiter must hear of it (and the job
        # still finishes: the call is retried after the Retry-After).
        throttled = emu.faults.throttle(count=1, retry_after=0.05, methods=["GET"])
        sink = LocalSink(tmp_path / "dest")
        throttle = make_throttle(redis_server.url, workers=3)
        client = VideoClient(*emu.credentials, base_url=emu.base_url, throttle=throttle)
        async with client, PostgresLedger(pg_database) as ledger:
            app = make_app(pg_database, client, sink, ledger)
            async with app.open_async():
                await app.schema_manager.apply_schema_async()
                task = app.tasks["archive_one"]
                for sid in sids:
                    # One queued job per item, even if the producer runs twice.
                    await task.configure(queueing_lock=sid).defer_async(sid=sid)
                try:
                    await task.configure(queueing_lock=sids[0]).defer_async(sid=sids[0])
                except procrastinate.exceptions.AlreadyEnqueued:
                    pass
                else:
                    raise AssertionError("the queueing lock let a second job in")
                # A worker that stops once the queue is empty.
                await app.run_worker_async(concurrency=3, wait=False)
            rows = {r.sid: r async for r in iter_rows(ledger)}
        shared = await throttle.state()
        await throttle.aclose()  # the client does not close a throttle it was given
    assert set(rows) == set(sids)
    assert all(r.state is State.VERIFIED and r.sha256 for r in rows.values())
    for sid, row in rows.items():
        assert row.dest_key is not None
        assert (tmp_path / "dest" / row.dest_key).read_bytes() == emu.media_bytes(sid)
    # The requests went through the shared limiter in Redis, not a per-process one: the
    # account's hash holds the read quota's schedule (every read reserved a slot there) and
    # the 429 (its time, and the measurement of the accepted rate it started).
    assert throttled.fired == 1
    assert not throttle.on_fallback
    assert float(shared["qr"]) > 0 and "qw" not in shared  # only reads were sent
    assert float(shared["limited"]) > 0 and shared["measuring"] == "1"
