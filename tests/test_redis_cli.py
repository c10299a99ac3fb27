"""``twvideo archive run --redis URL``: the archive shares the account's limit through Redis,
and completes when nothing answers at the URL (the per-process fallback). ``--read-rate`` and
``--write-rate`` are the account's quotas: held in Redis with ``--redis`` (the fallback keeps
quota / total workers), else each worker's own client limit at that share; bad values are
usage errors before anything is sent."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from tests.cli_run import TWVIDEO, clean_env
from tests.redis_server import RedisServer
from tests.servers import free_port
from twvideo_async import RedisThrottle, VideoClient
from twvideo_async import _cli_base as cli_base
from twvideo_async.cli import main

SEEDED = ["--emulator", "--seed-rooms", "1", "--seed-media-size", "4096"]
_accounts = itertools.count(1)


def _run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str | None, *extra: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    dest, ledger = tmp_path / "dest", tmp_path / "archive.sqlite"
    shared = [] if url is None else ["--redis", url]
    code = main(
        [*SEEDED, "archive", "run", str(dest), "--ledger", str(ledger), *shared, "--json", *extra]
    )
    out, err = capsys.readouterr()
    return code, out, err


def _account(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key of the test's own (the CLI keys the shared limit by ``TWILIO_ACCOUNT_SID``)."""
    key = f"AC{next(_accounts):08d}{'c' * 24}"
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", key)
    return key


def _record_clients(monkeypatch: pytest.MonkeyPatch) -> list[VideoClient]:
    """Every client the command builds, in order (the CLI's ``VideoClient`` replaced by a
    subclass that keeps them)."""
    made: list[VideoClient] = []

    class Recorded(VideoClient):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **options)
            made.append(self)

    monkeypatch.setattr(cli_base, "VideoClient", Recorded)
    return made


def _redis_hash(server: RedisServer, key: str) -> dict[str, str]:
    import redis

    with contextlib.closing(redis.Redis.from_url(server.url, decode_responses=True)) as client:
        return cast("dict[str, str]", client.hgetall(f"twvideo:throttle:{key}"))


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


def test_the_quotas_are_held_in_redis_and_the_fallback_keeps_its_share(
    redis_server: RedisServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = _account(monkeypatch)
    built: list[RedisThrottle] = []
    reserved: list[list[Any]] = []
    from_url = RedisThrottle.from_url

    def spy(url: str, **options: Any) -> RedisThrottle:
        throttle = from_url(url, **options)
        script = throttle._reserve

        async def reserve(*, keys: list[str], args: list[Any]) -> Any:
            reserved.append(list(args))  # what the Lua script is given: n, kind, quota, ttl
            return await script(keys=keys, args=args)

        monkeypatch.setattr(throttle, "_reserve", reserve)
        built.append(throttle)
        return throttle

    monkeypatch.setattr(RedisThrottle, "from_url", staticmethod(spy))
    made = _record_clients(monkeypatch)
    code, out, err = _run(
        capsys,
        tmp_path,
        redis_server.url,
        *("--read-rate", "50", "--write-rate", "10", "--total-workers", "4"),
    )
    assert code == 0, err
    assert json.loads(out)["archived"] == 5
    # The first throttle only checked the URL before the run; the run's is the last.
    throttle = built[-1]
    assert (throttle.key, throttle.read_rate, throttle.write_rate) == (key, 50.0, 10.0)
    assert throttle.workers == 4
    assert throttle._fallback_read is not None and throttle._fallback_read.rate == 12.5
    assert throttle._fallback_write is not None and throttle._fallback_write.rate == 2.5
    # Every read was booked on the account's read quota in Redis (the archive only reads).
    assert reserved and {(args[1], args[2]) for args in reserved} == {("r", 50.0)}
    state = _redis_hash(redis_server, key)
    assert float(state["qr"]) > 0 and "qw" not in state
    # The shared throttle holds the quotas: the client keeps no limit of its own on top.
    (client,) = made
    limits = client._requester.limits
    assert limits.shared is throttle and limits.read is None and limits.write is None


def test_without_redis_each_worker_keeps_its_share_of_the_quotas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _record_clients(monkeypatch)
    code, out, err = _run(
        capsys, tmp_path, None, "--read-rate", "300", "--write-rate", "60", "--total-workers", "3"
    )
    assert code == 0, err
    assert json.loads(out)["archived"] == 5
    (client,) = made
    limits = client._requester.limits
    assert limits.shared is None
    assert limits.read is not None and limits.read.rate == 100.0
    assert limits.write is not None and limits.write.rate == 20.0


@pytest.mark.parametrize("extra", [(), ("--total-workers", "6")])
def test_worker_processes_fall_back_to_their_share_of_the_quotas(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """``--workers 2`` with nothing listening at the Redis URL: a child says it falls back to
    1/total of the quotas (the parent passes the total on; each child runs ``--workers 1``),
    and the archive completes."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    total = 6 if extra else 2
    proc = subprocess.run(
        [
            *TWVIDEO,
            *SEEDED,
            *("archive", "run", str(tmp_path / "dest"), "--ledger", str(tmp_path / "l.sqlite")),
            *("--workers", "2", "--redis", url, "--read-rate", "80", "--write-rate", "20"),
            *("--json", *extra),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["workers"] == 2 and report["totals"]["verified"] == 5
    shares = re.findall(r"falling back to per-process rate limits \((.*?)\)", proc.stderr)
    reads, writes = f"{80 / total:.3g}/s reads", f"{20 / total:.3g}/s writes"
    # One WARNING per child that sent anything (a child may find all the work done).
    assert 1 <= len(shares) <= 2, proc.stderr
    assert set(shares) == {f"1/{total} of the quotas: {reads}, {writes}"}, proc.stderr


def test_worker_processes_share_the_quotas_in_redis(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _account(monkeypatch)
    proc = subprocess.run(
        [
            *TWVIDEO,
            *SEEDED,
            *("archive", "run", str(tmp_path / "dest"), "--ledger", str(tmp_path / "l.sqlite")),
            *("--workers", "2", "--redis", redis_server.url, "--read-rate", "80", "--json"),
        ],
        capture_output=True,
        text=True,
        env=clean_env(TWILIO_ACCOUNT_SID=key),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["verified"] == 5
    assert "falling back" not in proc.stderr
    state = _redis_hash(redis_server, key)
    assert float(state["qr"]) > 0 and "qw" not in state  # the children booked reads on it


@contextlib.contextmanager
def _listener() -> Iterator[tuple[int, Callable[[], bool]]]:
    """A loopback port that only listens: ``touched()`` tells whether anything connected."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)

        def touched() -> bool:
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                return False
            conn.close()
            return True

        yield sock.getsockname()[1], touched


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--read-rate", "0"), "--read-rate"),
        (("--read-rate", "-80"), "--read-rate"),
        (("--read-rate", "nan"), "--read-rate"),
        (("--read-rate", "inf"), "--read-rate"),
        (("--write-rate", "twenty"), "--write-rate"),
        (("--write-rate", "1e-400"), "--write-rate"),  # rounds to 0
        (("--total-workers", "0"), "--total-workers"),
        (("--workers", "3", "--total-workers", "2"), "--total-workers"),
    ],
)
def test_bad_quotas_are_usage_errors_before_anything_is_sent(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    named: str,
) -> None:
    monkeypatch.setenv("TWILIO_API_KEY_SID", "SK" + "5" * 32)
    monkeypatch.setenv("TWILIO_API_KEY_SECRET", "not-a-real-secret")
    dest, ledger = tmp_path / "dest", tmp_path / "l.sqlite"
    with _listener() as (api, api_touched), _listener() as (store, store_touched):
        capsys.readouterr()
        code = main(
            [
                *("--base-url", f"http://127.0.0.1:{api}"),
                *("archive", "run", str(dest), "--ledger", str(ledger)),
                *("--redis", f"redis://127.0.0.1:{store}/0", *extra),
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and named in err, err
        assert not api_touched() and not store_touched()  # neither Twilio nor Redis was asked
    assert not dest.exists() and not ledger.exists()
