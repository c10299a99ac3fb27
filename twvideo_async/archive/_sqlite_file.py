"""Opening a ledger's SQLite file, and the transaction every write runs in.

WAL journal (readers never block the writer), ``synchronous=NORMAL`` (a committed transition
survives any crash of the process, SIGKILL included; a power cut may roll back the last few, which
the archive redoes safely: keys are deterministic, an object already there is verified by a
re-read, and a delete already done at Twilio is recorded when the next ``delete_source`` finds
it gone; ``FULL`` would cost an fsync per transition, about 4x slower verification here),
``busy_timeout`` (processes sharing the file wait for each other instead of failing) and
``BEGIN IMMEDIATE`` for every write (the write lock is taken before the first read, so a
transaction that reads and then writes never sees a row another process is changing). The
tables are created on first use; a file of another schema version is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import ConfigurationError
from ._ledger_sql import schema
from ._rows import SCHEMA_VERSION

__all__ = ["open_file", "write"]

_SCHEMA = schema("items", "meta", key="TEXT", int64="INTEGER", time="REAL")


def open_file(path: Path, busy_ms: int) -> sqlite3.Connection:
    """A connection to the ledger at ``path`` (created if missing), for the calling thread only;
    ``ConfigurationError`` for a file that is not a ledger of this schema."""
    if path.parent and not path.parent.exists():
        raise ConfigurationError(f"the ledger's directory {path.parent} does not exist")
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ConfigurationError(f"{path}: SQLite could not use WAL mode ({mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        with write(conn):
            for statement in _SCHEMA:
                conn.execute(statement)
            found = conn.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
            if found is None:
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif found[0] != SCHEMA_VERSION:
                raise ConfigurationError(
                    f"{path} is a ledger of schema {found[0]}; this version of "
                    f"twvideo_async reads schema {SCHEMA_VERSION}"
                )
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ConfigurationError(f"{path} is not a usable ledger: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


class write:  # lower case: it reads as a statement, ``with write(conn):``
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
