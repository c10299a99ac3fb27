"""A ledger in PostgreSQL, shared by worker processes on many machines (the ``postgres`` extra).

Same columns, states and lease protocol as :class:`SQLiteLedger`; what changes is how a claim is
made safe across machines: ``UPDATE ... WHERE sid IN (SELECT ... FOR UPDATE SKIP LOCKED)`` locks
the rows it leases and skips rows another claim is leasing at that moment, so two workers never
get the same item and never wait for each other. Every time (leases, stamps) comes from the
database's ``now()``, so worker clocks need not agree; only ``not_before`` of a pending item is
the worker's own time (a skew delays a retry by that much, nothing more).

The driver is psycopg 3: it has a native asyncio API (``AsyncConnection``), server-side
parameter binding, and it is what procrastinate (the PostgreSQL job queue the README shows with
``archive_one``) runs on, so one driver serves both. asyncpg is faster on bulk reads, which a
ledger does not do; it would be a second driver for users of procrastinate.

One connection per ledger object, used by one call at a time (calls are short transactions, as
on SQLite's single thread). A call whose caller is cancelled still finishes, so a transaction
either happens entirely or not at all. After a lost connection the next call reconnects.
The DSN's password never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ConfigurationError, InvalidRequestError
from ._keys import ArchiveItem
from ._ledger import WORK_STATES, LedgerRow, State
from ._ledger_sql import (
    ORDER,
    claim_filter,
    insert_item,
    insert_values,
    item_assignments,
    plan_move,
    requeue_failed_sql,
)
from ._postgres_db import ITEMS, META, NOW, connect, create_tables, one, redact_dsn
from ._rows import REFRESHABLE, check_lease, claim_scope, item_values, row_of

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresLedger", "redact_dsn"]

T = TypeVar("T")
_INSERT = insert_item(ITEMS, "%s", NOW) + " ON CONFLICT (sid) DO NOTHING"
_REFRESH = (
    f"UPDATE {ITEMS} SET {item_assignments('%s')}, updated_at={NOW} "
    "WHERE sid=%s AND state = ANY(%s)"
)


def _lock_key(name: str) -> int:
    digest = hashlib.sha256(f"twvideo-archive:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLedger:
    """A :class:`~twvideo_async.archive.Ledger` in a PostgreSQL database (tables
    ``twvideo_archive_items`` and ``twvideo_archive_meta``, created on first use).

    ``async with PostgresLedger("postgresql://user:pass@host/db") as ledger:``. Needs the
    ``postgres`` extra (``pip install 'twvideo_async[postgres]'``).
    """

    def __init__(self, dsn: str, *, connect_timeout: float = 30.0) -> None:
        if not isinstance(dsn, str) or not dsn.startswith(("postgresql://", "postgres://")):
            raise InvalidRequestError("a PostgreSQL ledger needs a postgresql:// URL")
        self._dsn = dsn
        self.location = redact_dsn(dsn)
        self._connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<PostgresLedger {self.location!r}>"

    # -- connections ---------------------------------------------------------------------------

    async def _open(self) -> psycopg.AsyncConnection[Any]:
        return await connect(self._dsn, self._connect_timeout)

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        conn = self._conn
        if conn is not None and (conn.closed or conn.broken):
            with contextlib.suppress(Exception):
                await conn.close()
            conn = self._conn = None
        if conn is None:
            conn = await self._open()
            try:
                await create_tables(conn, self.location)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return conn

    async def _run(self, fn: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        if self._closed:
            raise RuntimeError("this ledger is closed")

        async def call() -> T:
            async with self._lock:
                conn = await self._connection()
                return await fn(conn)

        # Shielded: a cancelled caller stops waiting, the transaction still completes.
        task = asyncio.ensure_future(call())
        self._tasks.add(task)
        task.add_done_callback(_forget(self._tasks))
        return await asyncio.shield(task)

    async def aclose(self) -> None:
        """Wait for calls in flight, then close the connection."""
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> PostgresLedger:
        async def noop(_conn: psycopg.AsyncConnection[Any]) -> None:
            return None

        await self._run(noop)  # connect (and create the tables) now: errors surface here
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
        """Hold the ledger-wide lock ``name`` for the block if nobody else holds it (a session
        advisory lock on a connection of its own: a worker that dies drops it with its
        connection); yields whether this worker got it. Never waits."""
        conn = await self._open()
        try:
            found = await one(conn, "SELECT pg_try_advisory_lock(%s) AS got", (_lock_key(name),))
            yield bool(found and found["got"])
        finally:
            await conn.close()

    # -- destination and cursors ---------------------------------------------------------------

    async def bind_destination(self, url: str) -> None:
        async def bind(conn: psycopg.AsyncConnection[Any]) -> None:
            async with conn.transaction():
                await conn.execute(
                    f"INSERT INTO {META} VALUES ('destination', %s) "
                    "ON CONFLICT DO NOTHING".encode(),
                    (url,),
                )
                found = await one(conn, f"SELECT value FROM {META} WHERE name='destination'")
            if found is not None and found["value"] != url:
                raise ConfigurationError(
                    f"the ledger {self.location} belongs to the destination {found['value']}, "
                    f"not {url}: use that destination, or another --ledger for this one"
                )

        await self._run(bind)

    async def destination(self) -> str | None:
        return await self._meta("destination")

    async def get_cursor(self, name: str) -> str | None:
        return await self._meta(f"cursor:{name}")

    async def _meta(self, key: str) -> str | None:
        async def get(conn: psycopg.AsyncConnection[Any]) -> str | None:
            found = await one(conn, f"SELECT value FROM {META} WHERE name=%s", (key,))
            return None if found is None else str(found["value"])

        return await self._run(get)

    async def set_cursor(self, name: str, value: str) -> None:
        async def put(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute(
                f"INSERT INTO {META} VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value=EXCLUDED.value".encode(),
                (f"cursor:{name}", value),
            )

        await self._run(put)

    # -- items ---------------------------------------------------------------------------------

    async def upsert(self, items: Sequence[ArchiveItem]) -> int:
        unique = list({item.sid: item for item in items}.values())
        if not unique:
            return 0

        async def upsert(conn: psycopg.AsyncConnection[Any]) -> int:
            new = 0
            async with conn.transaction():
                for item in unique:
                    cur = await conn.execute(_INSERT.encode(), insert_values(item))
                    if cur.rowcount == 1:
                        new += 1
                        continue
                    await conn.execute(
                        _REFRESH.encode(), (*item_values(item), item.sid, list(REFRESHABLE))
                    )
            return new

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
        where = claim_filter("state = ANY(%s)", NOW)
        params: list[Any] = [wanted]
        if chosen is not None:
            where += " AND sid = ANY(%s)"
            params.append(chosen)
        bump = ", attempts = attempts + 1" if count_attempt else ""
        query = (
            f"UPDATE {ITEMS} SET worker=%s, lease_until={NOW} + %s{bump} "
            f"WHERE sid IN (SELECT sid FROM {ITEMS} WHERE {where} "
            f"{ORDER} LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *"
        )

        async def claim(conn: psycopg.AsyncConnection[Any]) -> list[LedgerRow]:
            cur = await conn.execute(query.encode(), (worker, float(lease_seconds), *params, limit))
            found = await cur.fetchall()
            found.sort(key=lambda r: (r["date_created"], r["sid"]))
            return [row_of(r) for r in found]

        return await self._run(claim)

    async def renew(self, worker: str, sids: Collection[str], lease_seconds: float) -> int:
        check_lease(worker, lease_seconds)
        held = list(sids)
        if not held:
            return 0
        return await self._count(
            f"UPDATE {ITEMS} SET lease_until={NOW} + %s WHERE worker=%s AND sid = ANY(%s)",
            (float(lease_seconds), worker, held),
        )

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
        return await self._count(*move.update(sid, worker, ITEMS, "%s", NOW)) == 1

    async def release(self, worker: str, sids: Collection[str] | None = None) -> int:
        query = f"UPDATE {ITEMS} SET worker=NULL, lease_until=NULL WHERE worker=%s"
        params: list[Any] = [worker]
        if sids is not None:
            chosen = list(sids)
            if not chosen:
                return 0
            query += " AND sid = ANY(%s)"
            params.append(chosen)
        return await self._count(query, params)

    async def release_dead(self, is_dead: Callable[[str], bool]) -> int:
        async def reap(conn: psycopg.AsyncConnection[Any]) -> int:
            cur = await conn.execute(
                f"SELECT DISTINCT worker FROM {ITEMS} WHERE worker IS NOT NULL "
                f"AND lease_until >= {NOW}".encode()
            )
            dead = [r["worker"] for r in await cur.fetchall() if is_dead(r["worker"])]
            if not dead:
                return 0
            cur = await conn.execute(
                f"UPDATE {ITEMS} SET worker=NULL, lease_until=NULL WHERE worker = ANY(%s)".encode(),
                (dead,),
            )
            return cur.rowcount

        return await self._run(reap)

    async def requeue_failed(self) -> int:
        return await self._count(requeue_failed_sql(ITEMS, NOW), ())

    async def _count(self, query: str, params: Sequence[Any]) -> int:
        async def run(conn: psycopg.AsyncConnection[Any]) -> int:
            cur = await conn.execute(query.encode(), params)
            return cur.rowcount

        return await self._run(run)

    # -- reading -------------------------------------------------------------------------------

    async def get(self, sid: str) -> LedgerRow | None:
        async def get(conn: psycopg.AsyncConnection[Any]) -> LedgerRow | None:
            found = await one(conn, f"SELECT * FROM {ITEMS} WHERE sid=%s", (sid,))
            return None if found is None else row_of(found)

        return await self._run(get)

    async def rows(
        self,
        *,
        states: Collection[State] | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> list[LedgerRow]:
        clauses, params = ["sid > %s"], [after or ""]
        if states is not None:
            wanted = [State(s).value for s in states]
            if not wanted:
                return []
            clauses.append("state = ANY(%s)")
            params.append(wanted)  # type: ignore[arg-type]  # a list binds as an array

        async def page(conn: psycopg.AsyncConnection[Any]) -> list[LedgerRow]:
            cur = await conn.execute(
                f"SELECT * FROM {ITEMS} WHERE {' AND '.join(clauses)} "
                "ORDER BY sid LIMIT %s".encode(),
                (*params, limit),
            )
            return [row_of(r) for r in await cur.fetchall()]

        return await self._run(page)

    async def counts(self) -> dict[State, tuple[int, int]]:
        async def count(conn: psycopg.AsyncConnection[Any]) -> dict[State, tuple[int, int]]:
            cur = await conn.execute(
                f"SELECT state, COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM {ITEMS} "
                "GROUP BY state".encode()
            )
            return {State(r["state"]): (int(r["n"]), int(r["b"])) for r in await cur.fetchall()}

        return await self._run(count)

    async def next_wakeup(self) -> float | None:
        async def wakeup(conn: psycopg.AsyncConnection[Any]) -> float | None:
            found = await one(
                conn,
                f"SELECT MIN(COALESCE(not_before, 0)) AS w FROM {ITEMS} WHERE state='pending'",
            )
            return None if found is None or found["w"] is None else float(found["w"])

        return await self._run(wakeup)


def _forget(tasks: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a caller that was cancelled does not see it

    return done
