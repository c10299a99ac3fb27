"""The default ledger: one SQLite file (stdlib ``sqlite3``), safe for several processes.

How the file is opened (WAL, ``synchronous=NORMAL``, ``busy_timeout``, the tables and their
schema version) and the ``BEGIN IMMEDIATE`` transaction of every write are ``_sqlite_file``'s;
a claim reads and leases in one such transaction, so two processes never lease the same row.
All calls run on one dedicated thread that owns the connection: the event loop never waits on
the disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ..errors import ConfigurationError, InvalidRequestError
from ._keys import ArchiveItem
from ._ledger import WORK_STATES, LedgerError, LedgerRow, State
from ._ledger_sql import (
    ORDER,
    ROW_COLUMNS,
    claim_filter,
    insert_item,
    insert_values,
    item_assignments,
    plan_move,
    requeue_failed_sql,
)
from ._rows import REFRESHABLE, check_lease, claim_scope, item_values, row_of
from ._sqlite_file import open_file, write

__all__ = ["SQLiteLedger"]

T = TypeVar("T")
_INSERT = insert_item("items", "?", "?")
_REQUEUE = requeue_failed_sql("items", "?")


def _marks(values: Collection[Any]) -> str:
    return ",".join("?" * len(values))


class SQLiteLedger:
    """A :class:`~twvideo_async.archive.Ledger` in one SQLite file.

    ``async with SQLiteLedger("twvideo-archive.sqlite") as ledger:``. ``clock`` (seconds since
    the epoch) is injectable for tests of lease expiry. ``busy_timeout`` is how long a call
    waits for another process holding the write lock.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_ms = int(busy_timeout * 1000)
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # used on the ledger thread only
        self._closed = False

    def __repr__(self) -> str:
        return f"<SQLiteLedger {str(self.path)!r}>"

    # -- the ledger thread ---------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("this ledger is closed")
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="twvideo-ledger"
            )
        loop = asyncio.get_running_loop()
        # A cancelled caller stops waiting, but the call itself finishes on the thread: every
        # call is one transaction, so it either happens entirely or not at all.
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            conn = self._conn = open_file(self.path, self._busy_ms)
        try:
            return fn(conn)
        except sqlite3.Error as exc:
            raise LedgerError(f"the ledger {self.path} failed: {exc}") from None

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def aclose(self) -> None:
        """Close the connection and stop the thread (after calls already queued)."""
        if self._closed:
            return
        executor = self._executor
        if executor is not None:
            loop = asyncio.get_running_loop()
            if self._conn is not None:
                await loop.run_in_executor(executor, self._close)
            executor.shutdown(wait=True)
        self._closed = True

    async def __aenter__(self) -> SQLiteLedger:
        await self._run(lambda _conn: None)  # open (and create) now: errors surface here
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """Hold the ledger-wide lock ``name`` for the block if no other process holds it (an
        ``flock`` on ``<ledger>.<name>.lock``, dropped by the kernel when a holder dies);
        yields whether this process got it. Never waits. Where ``fcntl`` is missing (Windows)
        it always yields True: the only lock is discovery's, and two discoveries at once are
        harmless (upserts are idempotent), only wasteful."""
        if not name.isalnum():
            raise InvalidRequestError(f"a lock name is letters and digits, got {name!r}")
        try:
            import fcntl
        except ImportError:
            yield True
            return
        # Opening a small local file: instant, no thread needed.
        fd = os.open(f"{self.path}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing drops the lock

    # -- destination and cursors ---------------------------------------------------------------

    async def bind_destination(self, url: str) -> None:
        def bind(conn: sqlite3.Connection) -> None:
            with write(conn):
                found = conn.execute("SELECT value FROM meta WHERE name='destination'").fetchone()
                if found is None:
                    conn.execute("INSERT INTO meta VALUES ('destination', ?)", (url,))
                elif found[0] != url:
                    raise ConfigurationError(
                        f"the ledger {self.path} belongs to the destination {found[0]}, not "
                        f"{url}: use that destination, or another --ledger file for this one"
                    )

        await self._run(bind)

    async def destination(self) -> str | None:
        return await self._meta("destination")

    async def get_cursor(self, name: str) -> str | None:
        return await self._meta(f"cursor:{name}")

    async def _meta(self, key: str) -> str | None:
        def get(conn: sqlite3.Connection) -> str | None:
            found = conn.execute("SELECT value FROM meta WHERE name=?", (key,)).fetchone()
            return None if found is None else str(found[0])

        return await self._run(get)

    async def set_cursor(self, name: str, value: str) -> None:
        def put(conn: sqlite3.Connection) -> None:
            with write(conn):
                conn.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value=?",
                    (f"cursor:{name}", value, value),
                )

        await self._run(put)

    # -- items ---------------------------------------------------------------------------------

    async def upsert(self, items: Sequence[ArchiveItem]) -> int:
        items = list({item.sid: item for item in items}.values())
        if not items:
            return 0
        now = self._clock()

        def upsert(conn: sqlite3.Connection) -> int:
            sids = [item.sid for item in items]
            with write(conn):
                known = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT sid FROM items WHERE sid IN ({_marks(sids)})", sids
                    )
                }
                for item in items:
                    if item.sid in known:
                        conn.execute(
                            f"UPDATE items SET {item_assignments('?')}, updated_at=? "
                            f"WHERE sid=? AND state IN ({_marks(REFRESHABLE)})",
                            (*item_values(item), now, item.sid, *REFRESHABLE),
                        )
                    else:
                        conn.execute(_INSERT, (*insert_values(item), now, now))
            return len(items) - len(known)

        return await self._run(upsert)

    async def claim(
        self,
        worker: str,
        limit: int,
        lease_seconds: float,
        *,
        states: Collection[State] = WORK_STATES,
        sids: Collection[str] | None = None,
        count_attempt: bool = False,
    ) -> list[LedgerRow]:
        scope = claim_scope(worker, limit, lease_seconds, states, sids)
        if scope is None:
            return []
        wanted, chosen = scope

        def claim(conn: sqlite3.Connection) -> list[LedgerRow]:
            now = self._clock()
            where = claim_filter(f"state IN ({_marks(wanted)})", "?")
            params: list[Any] = [*wanted, now, now]
            if chosen is not None:
                where += f" AND sid IN ({_marks(chosen)})"
                params += chosen
            with write(conn):
                found = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT sid FROM items WHERE {where} {ORDER} LIMIT ?",
                        (*params, limit),
                    )
                ]
                if not found:
                    return []
                bump = ", attempts = attempts + 1" if count_attempt else ""
                conn.execute(
                    f"UPDATE items SET worker=?, lease_until=?{bump} "
                    f"WHERE sid IN ({_marks(found)})",
                    (worker, now + lease_seconds, *found),
                )
                rows = conn.execute(
                    f"SELECT {ROW_COLUMNS} FROM items WHERE sid IN ({_marks(found)}) {ORDER}",
                    found,
                ).fetchall()
            return [row_of(r) for r in rows]

        return await self._run(claim)

    async def renew(self, worker: str, sids: Collection[str], lease_seconds: float) -> int:
        check_lease(worker, lease_seconds)
        held = list(sids)
        if not held:
            return 0

        def renew(conn: sqlite3.Connection) -> int:
            with write(conn):
                cursor = conn.execute(
                    f"UPDATE items SET lease_until=? WHERE worker=? AND sid IN ({_marks(held)})",
                    (self._clock() + lease_seconds, worker, *held),
                )
            return cursor.rowcount

        return await self._run(renew)

    async def transition(
        self,
        sid: str,
        worker: str,
        from_state: State,
        to_state: State,
        *,
        changes: Mapping[str, Any] | None = None,
        release: bool = True,
    ) -> bool:
        move = plan_move(from_state, to_state, changes, release=release)
        query, params = move.update(sid, worker, "items", "?", "?", (self._clock(),))

        def run(conn: sqlite3.Connection) -> bool:
            with write(conn):
                return conn.execute(query, params).rowcount == 1

        return await self._run(run)

    async def release(self, worker: str, sids: Collection[str] | None = None) -> int:
        chosen = None if sids is None else list(sids)

        def release(conn: sqlite3.Connection) -> int:
            query = "UPDATE items SET worker=NULL, lease_until=NULL WHERE worker=?"
            params: list[Any] = [worker]
            if chosen is not None:
                if not chosen:
                    return 0
                query += f" AND sid IN ({_marks(chosen)})"
                params += chosen
            with write(conn):
                return conn.execute(query, params).rowcount

        return await self._run(release)

    async def release_dead(self, is_dead: Callable[[str], bool]) -> int:
        def reap(conn: sqlite3.Connection) -> int:
            now = self._clock()
            with write(conn):
                holders = [
                    r[0]
                    for r in conn.execute(
                        "SELECT DISTINCT worker FROM items WHERE worker IS NOT NULL "
                        "AND lease_until >= ?",
                        (now,),
                    )
                ]
                dead = [w for w in holders if is_dead(w)]
                if not dead:
                    return 0
                return conn.execute(
                    "UPDATE items SET worker=NULL, lease_until=NULL "
                    f"WHERE worker IN ({_marks(dead)})",
                    dead,
                ).rowcount

        return await self._run(reap)

    async def requeue_failed(self) -> int:
        def requeue(conn: sqlite3.Connection) -> int:
            with write(conn):
                return conn.execute(_REQUEUE, (self._clock(), self._clock())).rowcount

        return await self._run(requeue)

    # -- reading -------------------------------------------------------------------------------

    async def get(self, sid: str) -> LedgerRow | None:
        def get(conn: sqlite3.Connection) -> LedgerRow | None:
            found = conn.execute(f"SELECT {ROW_COLUMNS} FROM items WHERE sid=?", (sid,)).fetchone()
            return None if found is None else row_of(found)

        return await self._run(get)

    async def rows(
        self,
        *,
        states: Collection[State] | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> list[LedgerRow]:
        clauses, params = ["sid > ?"], [after or ""]
        if states is not None:
            wanted = [State(s).value for s in states]
            if not wanted:
                return []
            clauses.append(f"state IN ({_marks(wanted)})")
            params += wanted

        def page(conn: sqlite3.Connection) -> list[LedgerRow]:
            found = conn.execute(
                f"SELECT {ROW_COLUMNS} FROM items WHERE {' AND '.join(clauses)} "
                "ORDER BY sid LIMIT ?",
                (*params, limit),
            ).fetchall()
            return [row_of(r) for r in found]

        return await self._run(page)

    async def counts(self) -> dict[State, tuple[int, int]]:
        def count(conn: sqlite3.Connection) -> dict[State, tuple[int, int]]:
            found = conn.execute(
                "SELECT state, COUNT(*), COALESCE(SUM(size), 0) FROM items GROUP BY state"
            )
            return {State(r[0]): (int(r[1]), int(r[2])) for r in found}

        return await self._run(count)

    async def next_wakeup(self) -> float | None:
        def wakeup(conn: sqlite3.Connection) -> float | None:
            found = conn.execute(
                "SELECT MIN(COALESCE(not_before, 0)) FROM items WHERE state='pending'"
            ).fetchone()
            return None if found[0] is None else float(found[0])

        return await self._run(wakeup)
