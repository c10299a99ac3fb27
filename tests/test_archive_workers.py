"""``twvideo archive run --workers N`` as real processes: on a PostgreSQL ledger (the server the
suite starts) and on SQLite, into a directory and into S3 (moto on loopback); every item exactly
once; a worker killed with SIGKILL has its items finished by the others; SIGTERM to the parent
stops every child (143, no orphans).

Each child serves itself from ``--emulator`` (the seeded emulator is deterministic: the same
SIDs, dates and bytes in every process), as several machines would all list one account."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import TWVIDEO, clean_env, final_media
from tests.pg_server import LedgerBackend
from tests.s3_server import SECRET_ACCESS_KEY, S3Bucket
from tests.servers import need_module
from twvideo_async.testing import media_sha256


def start(
    dest: Path | str, ledger: str, rooms: int, size: int, *extra: str
) -> subprocess.Popen[str]:
    seeded = ["--emulator", "--seed-rooms", str(rooms), "--seed-media-size", str(size)]
    return subprocess.Popen(
        [*TWVIDEO, *seeded, "archive", "run", str(dest), "--ledger", ledger, "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def children(parent: int) -> list[int]:
    """The live processes whose parent is ``parent`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return found


async def ledger_rows(backend: LedgerBackend) -> dict[str, Any]:
    from twvideo_async.archive import iter_rows

    async with backend.open() as ledger:
        return {row.sid: row async for row in iter_rows(ledger)}


def check_exactly_once(dest: Path, rows: dict[str, Any], count: int, size: int) -> None:
    media = final_media(dest)
    assert len(rows) == count and len(media) == count
    assert {p.relative_to(dest).as_posix() for p in media} == {r.dest_key for r in rows.values()}
    assert all(p.stat().st_size == size for p in media)
    assert all(r.state.value == "verified" and r.worker is None for r in rows.values())
    for row in rows.values():
        # The bytes Twilio serves (the seeded emulator's), recorded once and stored as such.
        assert row.sha256 == media_sha256(row.sid, size)
        assert hashlib.sha256((dest / row.dest_key).read_bytes()).hexdigest() == row.sha256
        sidecar = json.loads((dest / row.item.sidecar_key).read_bytes())
        assert sidecar["archive"]["sha256"] == row.sha256


def check_exactly_once_in_bucket(
    bucket: S3Bucket, prefix: str, rows: dict[str, Any], count: int, size: int
) -> None:
    """:func:`check_exactly_once` for an S3 destination: each item's object and sidecar at
    its key below ``prefix``, with the right size and SHA-256, and nothing else in the bucket
    but the rooms' Insights summaries (no temporary object, no unfinished upload)."""
    objects = bucket.sizes()
    media = {key for key in objects if not key.endswith(".json")}
    assert len(rows) == count and len(media) == count
    assert media == {f"{prefix}/{r.dest_key}" for r in rows.values()}
    sidecars = {f"{prefix}/{r.item.sidecar_key}" for r in rows.values()}
    insights = {
        key
        for key in objects
        if key.startswith(f"{prefix}/") and key.rpartition("/")[2].startswith("insights-")
    }
    assert set(objects) == media | sidecars | insights and bucket.uploads() == []
    assert all(r.state.value == "verified" and r.worker is None for r in rows.values())
    for row in rows.values():
        key = f"{prefix}/{row.dest_key}"
        assert objects[key] == size
        assert row.sha256 == media_sha256(row.sid, size)
        assert hashlib.sha256(bucket.body(key)).hexdigest() == row.sha256
        sidecar = json.loads(bucket.body(f"{prefix}/{row.item.sidecar_key}"))
        assert sidecar["archive"]["sha256"] == row.sha256
        assert sidecar["twilio"]["sid"] == row.sid


@pytest.mark.parametrize("sink", ["directory", "s3"])
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_three_workers_archive_every_item_exactly_once(
    backend: LedgerBackend, sink: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 15: 3 worker processes, 300 items from the emulator, into a directory and into
    moto. Each child reads the S3 endpoint and credentials from the standard ``AWS_*``
    variables the ``s3_bucket`` fixture sets (inherited through ``clean_env``)."""
    bucket: S3Bucket | None = None
    dest: Path | str = tmp_path / "dest"
    if sink == "s3":
        need_module("obstore", "pip install -e '.[test]'")
        bucket = request.getfixturevalue("s3_bucket")
        dest = f"s3://{bucket.name}/twilio"
    proc = start(dest, backend.location, 60, 1024, "--workers", "3", "--concurrency", "4")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["workers"] == 3 and report["worker_exits"] == [0, 0, 0]
    assert (report["archived"], report["failed"], report["discovered"]) == (300, 0, 300)
    assert report["totals"]["verified"] == 300 and report["bytes"] == 300 * 1024
    assert set(report["insights"]) >= {"stored"}  # the children's Insights counts, added up
    rows = asyncio.run(ledger_rows(backend))
    if bucket is None:
        assert isinstance(dest, Path)
        check_exactly_once(dest, rows, 300, 1024)
    else:
        check_exactly_once_in_bucket(bucket, "twilio", rows, 300, 1024)
        assert SECRET_ACCESS_KEY not in out + err
    assert all(r.attempts == 1 for r in rows.values())  # nothing was copied twice
    assert backend.location not in err and "postgres:***@" not in out


def held_by(backend: LedgerBackend, pid: int) -> dict[str, int]:
    """The rows worker process ``pid`` holds a lease on and has not finished, with their
    attempts.

    Read without opening a ledger: the worker is frozen at that moment and may hold SQLite's
    write lock, which a ledger's opening transaction would wait for; a plain read-only
    connection reads past it (WAL), as PostgreSQL's reads do anyway."""
    unfinished = ("discovered", "pending", "archived")
    if backend.kind == "sqlite":
        with contextlib.closing(
            sqlite3.connect(f"file:{backend.location}?mode=ro", uri=True, timeout=5)
        ) as conn:
            found = conn.execute("SELECT sid, worker, state, attempts FROM items").fetchall()
        return {
            sid: attempts
            for sid, worker, state, attempts in found
            if worker is not None and worker.split(":")[1] == str(pid) and state in unfinished
        }
    rows = asyncio.run(ledger_rows(backend))
    return {
        sid: row.attempts
        for sid, row in rows.items()
        if row.worker is not None
        and row.worker.split(":")[1] == str(pid)
        and row.state.value in unfinished
    }


def test_a_worker_killed_mid_transfer_has_its_items_finished_by_the_others(
    backend: LedgerBackend, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    size = 256 * 1024
    proc = start(dest, backend.location, 16, size, "--workers", "3", "--lease", "2")
    deadline = time.monotonic() + 60
    while len(final_media(dest)) < 3 and proc.poll() is None:
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.01)
    workers = children(proc.pid)
    assert proc.poll() is None and len(workers) == 3
    # Freeze one worker at a time, and kill the first found while the ledger shows it holding
    # an item it has claimed for copying and not finished: killed mid-transfer, not between
    # two items. Any of the three will do (one may be busy discovering, or between items), and
    # the search runs on time, not on a count of tries, so a fast machine cannot outrun it.
    victim = 0
    held: dict[str, int] = {}
    try:
        search_until = time.monotonic() + 30
        while not held:
            assert time.monotonic() < search_until, "no worker ever held an unfinished item"
            assert proc.poll() is None, "the archive finished before a worker could be killed"
            for pid in workers:
                os.kill(pid, signal.SIGSTOP)
                held = held_by(backend, pid)
                if held:
                    victim = pid
                    break
                os.kill(pid, signal.SIGCONT)
            else:
                time.sleep(0.002)
        os.kill(victim, signal.SIGKILL)
    except BaseException:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        proc.terminate()  # the parent stops the other workers
        proc.communicate(timeout=60)
        raise
    finally:
        # Never leave a stopped worker behind (a killed one may be reaped already).
        if victim:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGCONT)
    assert all(attempts >= 1 for attempts in held.values())  # claimed to be copied
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert sorted(report["worker_exits"]) == [-signal.SIGKILL, 0, 0]
    assert "took over its items" in err
    rows = asyncio.run(ledger_rows(backend))
    check_exactly_once(dest, rows, 80, size)
    # The others did the rest: the report counts every item, and each item the victim held
    # was claimed again by another worker (one more attempt) and finished by it.
    assert report["totals"]["verified"] == 80
    for sid in held:
        assert rows[sid].state.value == "verified" and rows[sid].worker is None
        assert rows[sid].attempts > held[sid]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sigterm_to_the_parent_stops_every_worker(backend: LedgerBackend, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    proc = start(dest, backend.location, 6, 256 * 1024, "--workers", "2")
    deadline = time.monotonic() + 60
    while len(final_media(dest)) < 1 and proc.poll() is None:
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.01)
    workers = children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # no orphans
    rows = asyncio.run(ledger_rows(backend))
    assert all(r.worker is None for r in rows.values())  # every lease released
    # A rerun finishes the archive, each item once.
    again = start(dest, backend.location, 6, 256 * 1024, "--workers", "2")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    check_exactly_once(dest, asyncio.run(ledger_rows(backend)), 30, 256 * 1024)
