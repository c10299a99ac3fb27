"""What ``twvideo`` shows: progress rows that fit the terminal in MiB with a known total, a row
for a file being retried, failures printed once, notes about limits and default filters, and
``--json`` documents."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.cli_run import emulator_env
from tests.cli_run import run as cli_run
from twvideo_async import Progress, ProgressKind, VideoClient
from twvideo_async._cli_progress import DownloadProgress, shorten
from twvideo_async.cli import main
from twvideo_async.testing import Emulator

MIB = 2**20


def render(bars: DownloadProgress, width: int) -> list[str]:
    """The rows the live display would draw now, as plain text."""
    progress = bars._progress
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(progress.make_tasks_table(progress.tasks))
    return [line.rstrip() for line in console.export_text().splitlines() if line.strip()]


def test_shorten_keeps_start_end_and_extension() -> None:
    name = "RT" + "0123456789abcdef" * 2 + ".mka"
    assert shorten(name, 60) == name
    short = shorten(name, 24)
    assert len(short) == 24 and short.startswith("RT0123") and short.endswith("cdef.mka")
    assert "…" in short


@pytest.mark.parametrize("width", [80, 120])
async def test_rows_fit_the_terminal_in_mib_with_total_and_retry_row(
    twvideo_emulator: Emulator, tmp_path: Path, width: int
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=4, media_size=MIB)
    twvideo_emulator.faults.storage_error(503, count=1)  # one file needs a second attempt
    sid, secret = twvideo_emulator.credentials
    console = Console(width=width, file=io.StringIO(), force_terminal=True, color_system=None)
    async with VideoClient(sid, secret, base_url=twvideo_emulator.base_url) as client:
        items = [r async for r in client.recordings.list(grouping_sid=[seeded.rooms[0]])]
        sizes = {r.sid: r.size for r in items if r.sid is not None and r.size is not None}
        bars = DownloadProgress(
            console, files=len(items), total_bytes=sum(sizes.values()), sizes=sizes, enabled=True
        )
        frames: list[list[str]] = []
        kinds: list[ProgressKind] = []

        def watch(event: Progress) -> None:
            bars(event)
            kinds.append(event.kind)
            frames.append(render(bars, width))

        with bars:
            summary = await client.recordings.download_many(items, tmp_path, progress=watch)
    assert summary.succeeded == 4
    assert ProgressKind.RETRYING in kinds
    lines = [line for frame in frames for line in frame]
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert not any(re.search(r"\d (MB|GB|kB)\b", line) for line in lines)
    overall = [frame[0] for frame in frames]
    assert all(line.startswith("all files") and "/4.0 MiB" in line for line in overall)
    assert overall[-1].startswith("all files 4/4") and "4.0/4.0 MiB" in overall[-1]
    retry_rows = [line for line in lines if "retrying" in line]
    assert retry_rows and all("/1.0 MiB" in line for line in retry_rows)


async def test_a_retry_event_says_why(twvideo_emulator: Emulator, tmp_path: Path) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=1)
    twvideo_emulator.faults.storage_error(503, count=1)
    events: list[Progress] = []
    sid, secret = twvideo_emulator.credentials
    async with VideoClient(sid, secret, base_url=twvideo_emulator.base_url) as client:
        await client.recordings.download(seeded.recordings[0], tmp_path, progress=events.append)
    (retry,) = [e for e in events if e.kind is ProgressKind.RETRYING]
    assert retry.error is not None and "503" in str(retry.error)
    assert events[-1].kind is ProgressKind.FINISHED


def test_skipped_and_failed_files_leave_the_total() -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    bars = DownloadProgress(
        console, files=2, total_bytes=3 * MIB, sizes={"RTa": MIB, "RTb": 2 * MIB}, enabled=False
    )
    common: dict[str, Any] = {
        "files_finished": 0,
        "files_total": 2,
        "overall_bytes": 0,
        "bytes_total": MIB,
    }
    bars(
        Progress(
            kind=ProgressKind.SKIPPED,
            sid="RTa",
            path=Path("RTa.mka"),
            bytes_done=MIB,
            files_skipped=1,
            files_failed=0,
            **common,
        )
    )
    (overall,) = bars._progress.tasks
    assert overall.total == 2 * MIB and overall.description == "all files 1/2"


def test_a_resumed_file_starts_its_row_at_the_kept_bytes() -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    bars = DownloadProgress(console, files=1, total_bytes=3 * MIB, enabled=False)
    bars(
        Progress(
            kind=ProgressKind.STARTED,
            sid="RTa",
            path=Path("RTa.mka"),
            bytes_done=2 * MIB,  # left by a killed run
            bytes_total=3 * MIB,
            files_finished=0,
            files_skipped=0,
            files_failed=0,
            files_total=1,
            overall_bytes=2 * MIB,
        )
    )
    overall, row = bars._progress.tasks
    # Started at the kept bytes: no speed sample says 2 MiB were transferred at once.
    assert row.completed == 2 * MIB and not row._progress
    assert overall.completed == 2 * MIB


async def run(emu: Emulator, *args: str) -> tuple[int, str, str]:
    return await cli_run("--base-url", emu.base_url, *args, env=emulator_env(emu))


async def test_failures_are_printed_once_and_json_has_every_file(
    twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=3)
    twvideo_emulator.faults.storage_error(404, count=None)
    code, out, err = await run(twvideo_emulator, "recordings", "download", "--dest", str(tmp_path))
    assert code == 1 and "Traceback" not in err
    for sid in seeded.recordings:
        assert (out + err).count(sid) == 1, out + err
        assert f"failed {sid}" in err
    argv = ["recordings", "download", "--dest", str(tmp_path), "--json"]
    code, out, _ = await run(twvideo_emulator, *argv)
    document = json.loads(out)  # one document, nothing else on stdout
    assert code == 1
    assert (document["files"], document["failed"], document["downloaded"]) == (3, 3, 0)
    results = document["results"]
    assert sorted(r["sid"] for r in results) == sorted(seeded.recordings)
    assert all(r["status"] == "failed" and "404" in r["error"] for r in results)


async def test_json_download_summary_counts_skips(
    twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=2)
    argv = ["recordings", "download", "--dest", str(tmp_path), "--json"]
    code, out, _ = await run(twvideo_emulator, *argv)
    first = json.loads(out)
    assert code == 0 and first["downloaded"] == 2
    for result in first["results"]:
        path = Path(result["path"])
        assert path.parent == tmp_path and result["status"] == "downloaded"
        assert result["sha256"] == twvideo_emulator.media_sha256(result["sid"])
    code, out, _ = await run(twvideo_emulator, *argv)
    again = json.loads(out)
    assert (
        code == 0
        and again["skipped"] == 2
        and {r["sid"] for r in again["results"]} == set(seeded.recordings)
    )


def test_list_notes_the_limit_and_the_default_room_filter(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("TWILIO_"):
            monkeypatch.delenv(name)
    assert main(["--emulator", "recordings", "list", "--limit", "3", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 3
    assert "stopped at --limit 3; more recordings match" in captured.err
    assert main(["--emulator", "recordings", "list", "--limit", "12"]) == 0
    assert "stopped at" not in capsys.readouterr().err  # exactly 12: nothing more
    assert main(["--emulator", "rooms", "list"]) == 0
    captured = capsys.readouterr()
    assert "only in-progress rooms are listed by default" in captured.err
    assert "--status completed" in captured.err
