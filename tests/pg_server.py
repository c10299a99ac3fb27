"""A real PostgreSQL server on loopback for the ledger tests: one cluster per test session.

The cluster is made with ``initdb`` in a temporary directory and started with ``pg_ctl`` on a
free 127.0.0.1 port (unix socket in the same directory). ``initdb`` refuses to run as root, so
when the tests run as root (sessions and CI do) the server runs as the ``postgres`` user through
``runuser``. Each test gets a database of its own (``pg_database``), dropped afterwards.

Without the binaries (or without psycopg) the tests skip with the reason, except when
``TWVIDEO_REQUIRE_SERVERS=1`` (set by ``.ci/run``): then a missing server is a failure
(``tests/servers.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.servers import find_binary, free_port, need_module, unavailable
from twvideo_async.archive import Ledger, PostgresLedger, SQLiteLedger

_BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
_databases = itertools.count(1)


@attrs.frozen
class PGServer:
    host: str
    port: int

    def dsn(self, database: str = "postgres", password: str | None = None) -> str:
        auth = "postgres" if password is None else f"postgres:{password}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.dsn(database), autocommit=True) as conn:
            conn.execute(sql.encode())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PGServer]:
    need_module("psycopg", "pip install -e '.[test]'")
    initdb, pg_ctl = find_binary("initdb", _BIN_DIRS), find_binary("pg_ctl", _BIN_DIRS)
    if initdb is None or pg_ctl is None:
        unavailable("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_root = os.geteuid() == 0
    prefix: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="twvideo-pg-"))
    data = folder / "data"
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    log = folder / "server.log"
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=60"
        )
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"could not start PostgreSQL: {exc} {detail.decode(errors='replace')[-500:]}")
    try:
        yield PGServer("127.0.0.1", port)
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server: PGServer) -> Iterator[str]:
    """The DSN of a fresh, empty database (dropped after the test)."""
    name = f"t{os.getpid()}_{next(_databases)}"
    pg_server.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_server.dsn(name)
    finally:
        with contextlib.suppress(Exception):
            pg_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


class LedgerBackend:
    """One ledger implementation for the protocol tests: ``open()`` a ledger (the same
    location each time), ``now()`` and ``advance(seconds)`` of the ledger's clock."""

    def __init__(self, kind: str, location: str) -> None:
        self.kind, self.location = kind, location
        self.clock = 1_700_000_000.0

    def now(self) -> float:
        return self.clock if self.kind == "sqlite" else time.time()

    def open(self) -> Ledger:
        if self.kind == "sqlite":
            return SQLiteLedger(self.location, clock=lambda: self.clock)
        return PostgresLedger(self.location)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: SQLite's injected clock moves on; PostgreSQL's ``now()``
        cannot, so the stored lease and retry times move back by as much instead."""
        if self.kind == "sqlite":
            self.clock += seconds
            return
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as conn:
            conn.execute(
                "UPDATE twvideo_archive_items SET lease_until = lease_until - %s, "
                "not_before = not_before - %s",
                (seconds, seconds),
            )


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> LedgerBackend:
    """Each protocol test runs against both ledgers."""
    if request.param == "sqlite":
        return LedgerBackend("sqlite", str(tmp_path / "l.sqlite"))
    dsn: str = request.getfixturevalue("pg_database")
    return LedgerBackend("postgres", dsn)
