"""The ``twvideo`` command, run as a subprocess against the emulator."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shlex
from pathlib import Path

import pytest

from tests.cli_run import emulator_env, files_in, final_media, run, stalled_download
from twvideo_async.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent


async def test_recordings_download_gets_every_recording_and_a_rerun_finds_them(
    tmp_path: Path,
) -> None:
    """The README's command for just the files (after its first block)."""
    assert (
        "`twvideo --emulator recordings download --dest ./recordings`"
        in (ROOT / "README.md").read_text()
    )
    dest = tmp_path / "recordings"
    args = ["--emulator", "recordings", "download", "--dest", str(dest)]
    code, out, err = await run(*args)
    assert code == 0, err
    names = files_in(dest)
    assert len(names) == 12 and all(re.fullmatch(r"RT[0-9a-f]{32}\.mk[av]", n) for n in names)
    assert "12 files: 12 downloaded, 0 already complete, 0 failed" in out
    code, out, _ = await run(*args)  # a rerun finds everything complete
    assert code == 0 and "12 already complete" in out


async def test_failed_downloads_exit_non_zero(twvideo_emulator: Emulator, tmp_path: Path) -> None:
    twvideo_emulator.seed(rooms=1, recordings_per_room=3)
    twvideo_emulator.faults.storage_error(404, count=None)  # every object gone from storage
    env = emulator_env(twvideo_emulator)
    args = ["--base-url", twvideo_emulator.base_url, "recordings", "download"]
    code, out, err = await run(*args, "--dest", str(tmp_path), env=env)
    assert code == 1
    assert "3 failed" in out
    assert files_in(tmp_path) == []
    assert "Traceback" not in err


async def test_lists_and_room_commands(twvideo_emulator: Emulator) -> None:
    seeded = twvideo_emulator.seed(rooms=2, recordings_per_room=1)
    live = twvideo_emulator.state.create_room(unique_name="live")
    env = emulator_env(twvideo_emulator)
    base = ["--base-url", twvideo_emulator.base_url]
    code, out, _ = await run(*base, "rooms", "list", "--status", "completed", env=env)
    assert code == 0 and all(room in out for room in seeded.rooms)
    code, out, _ = await run(*base, "recordings", "list", "--room", seeded.rooms[0], env=env)
    assert code == 0 and seeded.recordings[0] in out and seeded.recordings[1] not in out
    code, out, _ = await run(*base, "rooms", "complete", "live", env=env)
    assert code == 0 and live.sid in out and "completed" in out
    code, out, err = await run(*base, "rooms", "show", "RM" + "0" * 32, env=env)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "code 20404" in line and "Traceback" not in err


async def test_missing_credentials_is_one_clear_line() -> None:
    code, _, err = await run("rooms", "list")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert "TWILIO_API_KEY_SID" in line


async def test_bad_arguments_are_usage_errors() -> None:
    code, _, err = await run("--emulator", "recordings", "download", "--concurrency", "0")
    assert code == 2 and "expected a whole number >= 1" in err


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in first_block.strip().splitlines() if line.strip()]


def test_readme_opens_with_the_main_job_and_the_test_command() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "twvideo --emulator archive run ./archive" in commands[0]
    assert "twvideo --emulator archive delete-source --yes" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"^TEST_CMD='(.+)'$", ci, re.M)
    assert match and commands[1] == match.group(1)


async def test_the_readmes_main_job_archives_proves_and_then_deletes(tmp_path: Path) -> None:
    """The ``twvideo`` steps of the README's first command, run as written (the venv and
    install steps are what CI itself does): everything archived, then deleted at Twilio."""
    steps = [part.strip() for part in _readme_commands()[0].split("&&")]
    twvideo = [shlex.split(step)[1:] for step in steps if step.startswith(".venv/bin/twvideo ")]
    assert len(twvideo) == 2
    outputs = []
    for args in twvideo:
        code, out, err = await run(*args, cwd=tmp_path)
        assert code == 0, err
        outputs.append(out)
    archived, deleted = outputs
    # The emulator's default seed: 3 rooms of 4 recordings and 1 composition, 1 MiB each.
    assert "15 archived" in archived and "0 failed" in archived
    assert "15 deleted, 0 kept" in deleted
    media = final_media(tmp_path / "archive")
    assert len(media) == 15
    for path in media:
        sidecar = json.loads(path.with_name(path.stem + ".json").read_text())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert sidecar["archive"]["sha256"] == digest and sidecar["archive"]["size"] == 1 << 20


@pytest.mark.parametrize("group", ["recordings", "compositions"])
def test_help_lists_the_download_filters(group: str) -> None:
    from twvideo_async.cli import build_parser

    parser = build_parser()
    rm1, rm2 = "RM" + "1" * 32, "RM" + "2" * 32
    argv = [group, "download", "--room", rm1, "--room", rm2, "--since", "2024-05-01"]
    args = parser.parse_args(argv)
    assert args.room == [rm1, rm2] and args.since.tzinfo is not None


async def test_ctrl_c_stops_cleanly_and_leaves_no_partial_file(
    twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    import signal

    proc, stall = await stalled_download(
        twvideo_emulator,
        tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for _ in range(500):  # wait until a download is under way (a temp file exists)
        await asyncio.sleep(0.02)
        if files_in(tmp_path) and stall.fired:
            break
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 130
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    # Whatever finished before Ctrl-C is complete; the stalled transfer left nothing behind.
    left = files_in(tmp_path)
    assert len(left) < 2
    for name in left:
        sid = name.split(".")[0]
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == (
            twvideo_emulator.media_sha256(sid)
        )
