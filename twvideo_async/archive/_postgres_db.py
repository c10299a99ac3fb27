"""Reaching the PostgreSQL ledger's database: the DSN shown without its password, a connection
whose errors are scrubbed of it, and the tables created on first use.

The tables are created under a transaction-scoped advisory lock, so workers starting together
do not race on ``CREATE TABLE IF NOT EXISTS``; a database holding another schema version is
refused. psycopg is imported only when a connection is made (the ``postgres`` extra).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigurationError
from ._ledger_sql import schema
from ._rows import SCHEMA_VERSION

if TYPE_CHECKING:
    import psycopg

__all__ = ["ITEMS", "META", "NOW", "connect", "create_tables", "one", "redact_dsn"]

ITEMS, META = "twvideo_archive_items", "twvideo_archive_meta"
NOW = "extract(epoch from now())::float8"
# COLLATE "C": SIDs and dates order bytewise, exactly as in SQLite, whatever the database's locale.
_SCHEMA = schema(ITEMS, META, key='TEXT COLLATE "C"', int64="BIGINT", time="DOUBLE PRECISION")
_SCHEMA_LOCK = 0x7477_7669_6465_6F00  # "twvideo\0": one creator of the tables at a time


def redact_dsn(dsn: str) -> str:
    """``dsn`` with its password (in the userinfo or a ``password=`` parameter) as ``***``."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if colon else f"{user}@{hostport}"
    query = urlencode(
        [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(parts.query)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _secrets_of(dsn: str) -> list[str]:
    found: list[str] = []
    with contextlib.suppress(ValueError):
        parts = urlsplit(dsn)
        if parts.password:
            found.append(parts.password)
        found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password" and v]
    return [s for s in found if s]


def _scrub(text: str, dsn: str) -> str:
    for secret in _secrets_of(dsn):
        text = text.replace(secret, "***")
    return text


async def connect(dsn: str, timeout: float) -> psycopg.AsyncConnection[Any]:
    """An autocommit connection returning rows as dicts; ``ConfigurationError`` (naming the
    database by :func:`redact_dsn`, the driver's text scrubbed) when it cannot be made."""
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise ConfigurationError(
            "a postgresql:// ledger needs psycopg: pip install 'twvideo_async[postgres]'"
        ) from None
    try:
        return await psycopg.AsyncConnection.connect(
            dsn,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=max(1, round(timeout)),
        )
    except psycopg.Error as exc:
        # ``from None``: the driver's exception is not chained, only its scrubbed text kept.
        raise ConfigurationError(
            f"cannot open the ledger {redact_dsn(dsn)}: {_scrub(str(exc), dsn).strip()}"
        ) from None


async def create_tables(conn: psycopg.AsyncConnection[Any], location: str) -> None:
    """Create the tables if missing and check their schema version (``location``: the
    redacted DSN, for the error)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        for statement in _SCHEMA:
            await conn.execute(statement.encode())
        found = await one(conn, f"SELECT value FROM {META} WHERE name='schema'")
        if found is None:
            await conn.execute(
                f"INSERT INTO {META} VALUES ('schema', %s)".encode(), (SCHEMA_VERSION,)
            )
        elif found["value"] != SCHEMA_VERSION:
            raise ConfigurationError(
                f"{location} holds a ledger of schema {found['value']}; this version "
                f"of twvideo_async reads schema {SCHEMA_VERSION}"
            )


async def one(
    conn: psycopg.AsyncConnection[Any], query: str, params: Sequence[Any] = ()
) -> dict[str, Any] | None:
    """The first row of ``query``, or None."""
    cur = await conn.execute(query.encode(), params)
    found: dict[str, Any] | None = await cur.fetchone()
    return found
