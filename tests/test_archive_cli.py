"""``twvideo archive`` as a subprocess: killed with SIGKILL at several points and rerun, stopped
with SIGTERM/SIGINT, and the status/verify/delete-source commands with --json."""

from __future__ import annotations

import asyncio
import csv
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
from twvideo_async import VideoClient
from twvideo_async._cli_base import EMULATOR_SEED
from twvideo_async.archive import ArchiveItem
from twvideo_async.cli import main
from twvideo_async.testing import Emulator, Seed

ROOMS, MEDIA_SIZE = 4, 512 * 1024
SEEDED = ["--emulator", "--seed-rooms", str(ROOMS), "--seed-media-size", str(MEDIA_SIZE)]


def expected_archive() -> dict[str, tuple[ArchiveItem, str]]:
    """What ``--emulator`` serves: every item with the SHA-256 of its media."""

    async def collect() -> dict[str, tuple[ArchiveItem, str]]:
        async with Emulator(seed=EMULATOR_SEED) as emu:
            emu.seed(
                Seed(
                    rooms=ROOMS,
                    recordings_per_room=4,
                    compositions_per_room=1,
                    media_size=MEDIA_SIZE,
                )
            )
            async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
                models: list[Any] = [r async for r in client.recordings.list()]
                models += [c async for c in client.compositions.list()]
            return {m.sid: (ArchiveItem.from_model(m), emu.media_sha256(m.sid)) for m in models}

    return asyncio.run(collect())


def start(dest: Path, ledger: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*TWVIDEO, *SEEDED, "archive", "run", str(dest), "--ledger", str(ledger), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )


def wait_for_objects(proc: subprocess.Popen[bytes], dest: Path, count: int) -> bool:
    """Poll until ``count`` final objects exist; False if the run ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(final_media(dest)) >= count:
            return proc.poll() is None
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("the archive run made no progress")


def check_complete(dest: Path, ledger: Path, expected: dict[str, tuple[ArchiveItem, str]]) -> None:
    """Every item exactly once at its key, byte-exact, with its sidecar; the ledger agrees."""
    visible = {
        p.relative_to(dest).as_posix()
        for p in dest.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(dest).parts)
    }
    keys = {item.media_key for item, _ in expected.values()}
    sidecars = {item.sidecar_key for item, _ in expected.values()}
    # Each room's Video Insights summaries (see test_archive_insights).
    insights = {
        f"{item.folder}/insights-{name}.json"
        for item, _ in expected.values()
        for name in ("room", "participants")
    }
    assert visible == keys | sidecars | insights
    for item, sha256 in expected.values():
        data = (dest / item.media_key).read_bytes()
        assert len(data) == MEDIA_SIZE and hashlib.sha256(data).hexdigest() == sha256
        sidecar = json.loads((dest / item.sidecar_key).read_bytes())
        assert sidecar["archive"]["sha256"] == sha256
    with sqlite3.connect(ledger) as conn:
        rows = conn.execute("SELECT sid, state, sha256, dest_key, worker FROM items").fetchall()
    assert len(rows) == len(expected)
    for sid, state, sha256, key, worker in rows:
        assert (state, sha256, key, worker) == (
            "verified",
            expected[sid][1],
            expected[sid][0].media_key,
            None,
        )


def test_killed_with_sigkill_at_several_points_a_rerun_finishes_exactly_once(
    tmp_path: Path,
) -> None:
    expected = expected_archive()
    assert len(expected) == ROOMS * 5
    dest, ledger = tmp_path / "dest", tmp_path / "archive.sqlite"
    killed_mid_run = 0
    for objects in (1, 6, 13):
        proc = start(dest, ledger, "--concurrency", "2")
        if wait_for_objects(proc, dest, objects):
            proc.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        proc.communicate(timeout=60)
        assert proc.returncode in (-signal.SIGKILL, 0)
        # Whatever is visible after a kill is complete: no partial object at a final key.
        for path in final_media(dest):
            sid = path.stem
            assert hashlib.sha256(path.read_bytes()).hexdigest() == expected[sid][1]
    assert killed_mid_run >= 2
    proc = start(dest, ledger, "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["failed"] == 0 and report["pending"] == 0
    assert report["totals"]["verified"] == len(expected)
    check_complete(dest, ledger, expected)
    # And a further rerun has nothing to do.
    proc = start(dest, ledger, "--json")
    out, _ = proc.communicate(timeout=120)
    again = json.loads(out)
    assert proc.returncode == 0 and (again["archived"], again["bytes"]) == (0, 0)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_release_the_work_and_exit_143_130(
    tmp_path: Path, signum: int, code: int
) -> None:
    dest, ledger = tmp_path / "dest", tmp_path / "archive.sqlite"
    proc = start(dest, ledger, "--concurrency", "2")
    assert wait_for_objects(proc, dest, 2), "the run ended before it could be interrupted"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    word = "interrupted" if signum == signal.SIGINT else "terminated"
    assert f"{word}: the work in flight was released; rerun to resume" in err.decode()
    assert "Traceback" not in err.decode()
    with sqlite3.connect(ledger) as conn:
        held = conn.execute("SELECT COUNT(*) FROM items WHERE worker IS NOT NULL").fetchone()[0]
        states = dict(conn.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())
    assert held == 0  # nothing stays leased to the stopped run
    assert states.get("verified", 0) < ROOMS * 5
    proc = start(dest, ledger)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    check_complete(dest, ledger, expected_archive())


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """``twvideo ARGS`` in this process (the subprocess tests above cover the real command)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith("{") else {}, err


def test_status_verify_and_delete_source_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest, ledger = tmp_path / "dest", tmp_path / "archive.sqlite"
    seeded = ["--emulator", "--seed-rooms", "1", "--seed-media-size", "4096"]
    on = ["--ledger", str(ledger)]
    code, report, err = run_json(capsys, *seeded, "archive", "run", str(dest), *on, "--json")
    assert code == 0, err
    keys = ("archived", "skipped", "verified", "failed", "pending", "deleted", "bytes")
    assert all(isinstance(report[k], int) for k in keys)
    assert (report["archived"], report["bytes"]) == (5, 5 * 4096)

    manifest = tmp_path / "manifest.csv"
    code, status, _ = run_json(capsys, "archive", "status", *on, "--json", "--csv", str(manifest))
    assert code == 0 and status["verified"] == 5
    assert status["destination"] == dest.absolute().as_uri()
    with manifest.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and all(r["state"] == "verified" and len(r["sha256"]) == 64 for r in rows)
    jsonl = tmp_path / "manifest.jsonl"
    assert run_json(capsys, "archive", "status", *on, "--jsonl", str(jsonl))[0] == 0
    assert [json.loads(line)["sid"] for line in jsonl.read_text().splitlines()] == sorted(
        r["sid"] for r in rows
    )

    code, verified, _ = run_json(capsys, "archive", "verify", *on, "--mode", "download", "--json")
    assert code == 0 and verified["verified"] == 5 and verified["failed"] == 0

    # Damage one object: verify fails (exit 1) and delete-source keeps it at Twilio.
    victim = next(p for p in final_media(dest) if p.suffix == ".mka")
    victim.write_bytes(b"\0" * 4096)
    code, verified, _ = run_json(capsys, "archive", "verify", *on, "--json")
    assert code == 1 and verified["failed"] == 1
    code, dry, err = run_json(capsys, *seeded, "archive", "delete-source", *on, "--json")
    assert code == 0 and dry["dry_run"] and dry["deleted"] == 0 and dry["would_delete"] == 4
    code, done, _ = run_json(capsys, *seeded, "archive", "delete-source", *on, "--yes", "--json")
    assert code == 0 and done["deleted"] == 4 and done["bytes"] == 4 * 4096
    code, status, _ = run_json(capsys, "archive", "status", *on, "--json")
    assert (status["deleted"], status["failed"]) == (4, 1)


def test_archive_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("TWILIO_")]:
        monkeypatch.delenv(name)
    ledger = tmp_path / "archive.sqlite"
    on = ["--ledger", str(ledger)]
    code, _, err = run_json(capsys, "archive", "status", *on)
    assert code == 2 and "no ledger" in err
    code, _, err = run_json(
        capsys, "--emulator", "archive", "run", "d", "--no-recordings", "--no-compositions"
    )
    assert code == 2 and "not allowed with" in err
    code, _, err = run_json(capsys, "archive", "delete-source", *on, "--min-age", "soon")
    assert code == 2 and "duration" in err
    code, _, err = run_json(capsys, "archive", "verify", *on, "--sample", "2")
    assert code == 2 and "fraction" in err
    code, _, err = run_json(capsys, "archive", "run", str(tmp_path / "a"), *on)
    assert code == 2 and "credentials" in err
    assert not ledger.exists()  # checked before a ledger is created
    seeded = ["--emulator", "--seed-rooms", "1", "--seed-media-size", "1024"]
    assert run_json(capsys, *seeded, "archive", "run", str(tmp_path / "a"), *on)[0] == 0
    code, _, err = run_json(capsys, *seeded, "archive", "run", str(tmp_path / "b"), *on)
    assert code == 2 and "belongs to the destination" in err
