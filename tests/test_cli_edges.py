"""The ``twvideo`` command at its edges: every bad input is one line and the documented exit
status (2 for bad usage or input, 1 when Twilio or a download failed), never a traceback.

Most cases call ``main()`` in-process (it returns the exit status); the ones about file
descriptors and ports run it as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import TWVIDEO, clean_env, emulator_env, run
from twvideo_async import __version__
from twvideo_async.cli import build_parser, main


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TWILIO_"):
            monkeypatch.delenv(name)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


@pytest.fixture(scope="module")
def emulator_rooms() -> list[str]:
    """The SIDs of the rooms --emulator seeds (fixed by its seed)."""
    proc = subprocess.run(
        [*TWVIDEO, "--emulator", "rooms", "list", "--status", "completed", "--json"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    )
    return [room["sid"] for room in json.loads(proc.stdout)]


# -- parsing (items 3 and 9) ----------------------------------------------------------------------


def test_no_option_is_an_abbreviation() -> None:
    parser = build_parser()
    assert parser.parse_args(["emulator", "--seed", "3"]).seed == 3
    for argv in (["--seed-r", "7", "emulator"], ["emulator", "--sto", "1"], ["--emu", "rooms"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["emulator", "--port", "70000"], "expected a port number 0-65535"),
        (["emulator", "--storage-port", "-1"], "expected a port number 0-65535"),
        (["emulator", "--seed-r", "7"], "unrecognized arguments: --seed-r"),
        (["recordings", "download", "--concurrency", "0"], "expected a whole number >= 1"),
        (["recordings", "list", "--since", "yesterday"], "is not an ISO date"),
        (["recordings", "list", "--room", "bogus"], "expected a room SID"),
        (["compositions", "create", "--room", "bogus"], "expected a room SID"),
        (["compositions", "create"], "the following arguments are required: --room"),
        (["recordings", "list", "--status", "done"], "invalid choice: 'done'"),
        ([], "choose a command: rooms, recordings, compositions, archive, emulator"),
        (["rooms"], "choose a command: list, show, complete"),
        (["recordings", "download", "--dest", ""], "expected a directory"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    line = one_line(err)
    assert expected in line and line.startswith("twvideo") and "--help" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--emulator", "--base-url", "http://127.0.0.1:1", "rooms", "list"], "cannot be combined"),
        (["--seed-rooms", "7", "rooms", "list"], "apply only with --emulator or `emulator`"),
        (["--emulator", "emulator"], "drop --emulator/--base-url"),
        (["--base-url", "ftp://host", "rooms", "list"], "must be an http(s) URL"),
        (["--base-url", "http://127.0.0.1:8089/v2", "rooms", "list"], "the API origin only"),
        (["rooms", "list"], "add --emulator to try it offline"),
    ],
)
def test_conflicting_or_missing_settings_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, _, err = cli(capsys, *argv)
    assert code == 2 and expected in one_line(err)


def test_missing_credentials_use_cli_wording(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dest = tmp_path / "not-created"
    _, _, err = cli(capsys, "recordings", "download", "--dest", str(dest))
    line = one_line(err)
    assert "TWILIO_API_KEY_SID" in line and "--emulator" in line and "api_key_sid=" not in line
    assert not dest.exists()  # nothing is made before the credentials are known


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"twvideo {__version__}"


def test_every_option_has_help_and_no_markup() -> None:
    """Every option says what it does; defaults are shown for the ones that have one."""
    import argparse

    def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    yield from parsers(child)

    for parser in parsers(build_parser()):
        text = parser.format_help()
        assert "``" not in text and ":class:" not in text, parser.prog
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"{parser.prog} {action.option_strings} has no help"
            default = action.default
            if default not in (None, False, argparse.SUPPRESS) and action.dest != "help":
                assert "default" in action.help, f"{parser.prog} {action.option_strings}"


def test_global_options_work_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    before = parser.parse_args(["--emulator", "--seed-rooms", "2", "recordings", "list"])
    after = parser.parse_args(["recordings", "list", "--emulator", "--seed-rooms", "2"])
    middle = parser.parse_args(["recordings", "--emulator", "list", "--seed-rooms", "2"])
    for args in (before, after, middle):
        assert args.emulator is True and args.seed_rooms == 2 and args.base_url is None
    code, out, _ = cli(capsys, "rooms", "list", "--status", "completed", "--emulator", "--json")
    assert code == 0 and len(json.loads(out)) == 3


def test_seed_options_apply_to_the_emulator_command() -> None:
    args = build_parser().parse_args(["--seed-rooms", "7", "emulator", "--seed", "3"])
    assert (args.seed_rooms, args.seed) == (7, 3)


# -- errors of a running command (items 4 and 7) --------------------------------------------------


def test_closed_stdout_is_one_line() -> None:
    code = "import sys; from twvideo_async.cli import main; sys.exit(main())"
    script = f'exec "{sys.executable}" -c "{code}" --emulator recordings download >&-'
    proc = subprocess.run(
        ["sh", "-c", script], capture_output=False, stderr=subprocess.PIPE, env=clean_env()
    )
    assert proc.returncode == 2
    assert "standard output is closed" in one_line(proc.stderr.decode())


def test_emulator_on_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [*TWVIDEO, "emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=60,
        )
    assert proc.returncode == 1 and "already in use" in one_line(proc.stderr)


def test_bad_input_to_twilio_calls_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    room = "RM" + "0" * 32
    argv = ["--emulator", "compositions", "create", "--room", room, "--resolution", "4000x4000"]
    code, _, err = cli(capsys, *argv)
    assert code == 2 and "4000x4000" in one_line(err)


def test_a_401_names_the_credentials_used(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twvideo_async.testing import Emulator

    async def check() -> None:
        async with Emulator() as emu:
            monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
            monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
            # Threads: main() runs its own event loop.
            import asyncio

            code = await asyncio.to_thread(main, ["--base-url", emu.base_url, "rooms", "list"])
            assert code == 1

    import asyncio

    asyncio.run(check())
    line = one_line(capsys.readouterr().err)
    assert "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN" in line and "API_KEY" not in line


def test_base_url_with_v1_is_the_origin(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from twvideo_async.testing import Emulator

    async def check() -> tuple[int, str]:
        async with Emulator() as emu:
            emu.seed(rooms=1)
            args = ("--base-url", emu.base_url + "/v1/", "rooms", "list", "--status", "completed")
            code, out, err = await run(*args, "--json", env=emulator_env(emu))
            return code, out + err

    code, text = asyncio.run(check())
    assert code == 0, text
    assert '"sid": "RM' in text


# -- repeated filters and the destination (items 5 and 6) ----------------------------------------


def test_repeated_rooms_accumulate(
    capsys: pytest.CaptureFixture[str], emulator_rooms: list[str], tmp_path: Path
) -> None:
    first, second = emulator_rooms[:2]
    rooms = ["--room", first, "--room", second]
    code, out, _ = cli(capsys, "--emulator", "recordings", "list", *rooms, "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 8
    assert {r["grouping_sids"]["room_sid"] for r in listed} == {first, second}
    argv = ["--emulator", "recordings", "download", *rooms, "--dest", str(tmp_path), "--json"]
    code, out, _ = cli(capsys, *argv)
    assert code == 0 and json.loads(out)["downloaded"] == 8 and len(os.listdir(tmp_path)) == 8
    code, out, _ = cli(capsys, "--emulator", "compositions", "list", *rooms, "--json")
    assert code == 0 and {c["room_sid"] for c in json.loads(out)} == {first, second}


def test_a_file_as_dest_is_refused_up_front(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "file"
    target.write_text("keep me")
    code, out, err = cli(capsys, "--emulator", "recordings", "download", "--dest", str(target))
    assert code == 2 and out == ""
    assert "is a file, not a directory" in one_line(err)
    assert target.read_text() == "keep me"


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "ro"
    directory.mkdir()
    if os.geteuid() == 0:  # root writes through permissions; the immutable flag stops it
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no way to make a read-only directory")
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        yield directory
        subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
        yield directory
        directory.chmod(0o755)


def test_a_read_only_dest_is_one_line_up_front(
    capsys: pytest.CaptureFixture[str], read_only_dir: Path
) -> None:
    argv = ["--emulator", "recordings", "download", "--dest", str(read_only_dir)]
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    line = one_line(err)
    assert "is not a writable directory" in line and ".part" not in line
    assert os.listdir(read_only_dir) == []


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    """`twvideo ... | head -1`: the pipe closes before the table is written."""
    proc = subprocess.Popen(
        [*TWVIDEO, "--emulator", "recordings", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the emulator is up and the listing is printed
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_the_emulator_command_honours_the_seed_options() -> None:
    """`twvideo --seed-rooms 2 emulator` seeds 2 rooms (it used to ignore the option)."""
    import asyncio

    proc = subprocess.Popen(
        [*TWVIDEO, "--seed-rooms", "2", "--seed-media-size", "1000", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[1]  # "API     http://127.0.0.1:PORT"
        proc.stdout.readline()  # storage URL
        exports = dict(
            pair.split("=", 1) for pair in proc.stdout.readline().split()[1:]
        )  # "export TWILIO_API_KEY_SID=... TWILIO_API_KEY_SECRET=..."

        async def check() -> None:
            from twvideo_async import VideoClient

            sid, secret = exports["TWILIO_API_KEY_SID"], exports["TWILIO_API_KEY_SECRET"]
            async with VideoClient(sid, secret, base_url=base) as client:
                rooms = await client.rooms.list(status="completed").to_list()
                recordings = await client.recordings.list().to_list()
            assert len(rooms) == 2 and {r.size for r in recordings} == {1000}

        asyncio.run(check())
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
