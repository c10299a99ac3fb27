"""``twvideo archive run --redis URL``: the archive shares the account's limit through Redis,
and completes when nothing answers at the URL (the per-process fallback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.redis_server import RedisServer
from tests.servers import free_port
from twvideo_async.cli import main

SEEDED = ["--emulator", "--seed-rooms", "1", "--seed-media-size", "4096"]


def _run(capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str) -> tuple[int, str, str]:
    capsys.readouterr()
    dest, ledger = tmp_path / "dest", tmp_path / "archive.sqlite"
    code = main(
        [*SEEDED, "archive", "run", str(dest), "--ledger", str(ledger), "--redis", url, "--json"]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_archive_run_with_a_shared_limit(
    redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, tmp_path, redis_server.url)
    assert code == 0, err
    assert json.loads(out)["archived"] == 5


def test_archive_run_completes_without_redis_and_hides_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:pw-s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    code, out, err = _run(capsys, tmp_path, url)
    assert code == 0, err
    assert json.loads(out)["archived"] == 5
    assert "pw-s3cret" not in out + err + caplog.text


def test_a_bad_redis_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, tmp_path, "http://:pw-s3cret@127.0.0.1/")
    assert code == 2 and "--redis" in err and "pw-s3cret" not in err
