"""The SQL both ledgers write, and the rule of a transition, once.

The SQLite and PostgreSQL ledgers keep the same table and the same lease protocol; what differs
is the placeholder (``?`` for sqlite3, ``%s`` for psycopg), how a list binds (``IN (?,?)`` or
``= ANY(%s)``), a few column types, and what "now" is (a value of the ledger's clock bound as a
parameter in SQLite, the database's ``now()`` in PostgreSQL). So the columns, the claim filter,
the requeue rule and what a transition sets are written here, and each ledger renders them with
its own placeholder and its own now. With ``_rows.py`` (what a row means), the two cannot drift
apart on which rows a worker may take or what a state change stamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import InvalidRequestError
from ._keys import ArchiveItem
from ._ledger import CHANGE_FIELDS, State
from ._rows import STAMPS, item_values

__all__ = [
    "ITEM_COLUMNS",
    "ORDER",
    "ROW_COLUMNS",
    "Move",
    "claim_filter",
    "insert_item",
    "insert_values",
    "item_assignments",
    "plan_move",
    "requeue_failed_sql",
    "schema",
]

# The items table in order: name and type, ``{key}`` (text that orders bytewise), ``{int64}``
# and ``{time}`` (seconds since the epoch) filled in by each ledger's types.
_TABLE: tuple[tuple[str, str], ...] = (
    ("sid", "{key} PRIMARY KEY"),
    ("kind", "TEXT NOT NULL"),
    ("room_sid", "TEXT NOT NULL"),
    ("date_created", "{key} NOT NULL"),
    ("size", "{int64}"),
    ("extension", "TEXT NOT NULL"),
    ("status", "TEXT"),
    ("media_external_location", "TEXT"),
    ("raw", "TEXT"),
    ("state", "TEXT NOT NULL"),
    ("sha256", "TEXT"),
    ("dest_key", "TEXT"),
    ("etag", "TEXT"),
    ("attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("last_error", "TEXT"),
    ("reason", "TEXT"),
    ("worker", "TEXT"),
    ("lease_until", "{time}"),
    ("not_before", "{time}"),
    ("discovered_at", "{time} NOT NULL"),
    ("updated_at", "{time} NOT NULL"),
    ("archived_at", "{time}"),
    ("verified_at", "{time}"),
    ("deleted_at", "{time}"),
)
# The columns an item's Twilio fields fill, in the order of ``_rows.item_values``.
ITEM_COLUMNS = (
    "room_sid",
    "date_created",
    "size",
    "extension",
    "status",
    "media_external_location",
    "raw",
)
# What ``_rows.row_of`` reads (``kind`` follows from the SID).
ROW_COLUMNS = ", ".join(name for name, _ in _TABLE if name != "kind")
# Oldest first; SIDs break ties, so every ledger hands out the same order.
ORDER = "ORDER BY date_created, sid"
_INSERTED = ("sid", "kind", *ITEM_COLUMNS, "state")


def schema(items: str, meta: str, *, key: str, int64: str, time: str) -> tuple[str, ...]:
    """The statements that create the ``meta`` and ``items`` tables and the claim index, with
    this ledger's types for sortable text, 64-bit integers and times."""
    types = {"key": key, "int64": int64, "time": time}
    columns = ",\n".join(f"    {name} {kind.format(**types)}" for name, kind in _TABLE)
    return (
        f"CREATE TABLE IF NOT EXISTS {meta} (name {key} PRIMARY KEY, value TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {items} (\n{columns}\n)",
        f"CREATE INDEX IF NOT EXISTS {items}_by_state ON {items} (state, not_before)",
    )


def item_assignments(mark: str) -> str:
    """``room_sid=?, date_created=?, ...``: the Twilio fields, bound from ``item_values``."""
    return ", ".join(f"{name}={mark}" for name in ITEM_COLUMNS)


def insert_item(items: str, mark: str, now: str) -> str:
    """Insert one new row as ``discovered`` (bind :func:`insert_values`), stamped ``now``."""
    marks = ",".join([mark] * len(_INSERTED))
    return (
        f"INSERT INTO {items} ({', '.join(_INSERTED)}, discovered_at, updated_at) "
        f"VALUES ({marks},{now},{now})"
    )


def insert_values(item: ArchiveItem) -> tuple[Any, ...]:
    return (item.sid, item.kind, *item_values(item), State.DISCOVERED.value)


def claim_filter(state_in: str, now: str) -> str:
    """Which rows a claim may lease: in the wanted states (``state_in``), no live lease, and a
    pending row only once its ``not_before`` has passed."""
    return (
        f"{state_in} AND (worker IS NULL OR lease_until < {now}) "
        f"AND (state != 'pending' OR not_before IS NULL OR not_before <= {now})"
    )


def requeue_failed_sql(items: str, now: str) -> str:
    """``failed`` rows that no live lease holds become ``discovered`` again."""
    return (
        f"UPDATE {items} SET state='discovered', updated_at={now} "
        f"WHERE state='failed' AND (worker IS NULL OR lease_until < {now})"
    )


@attrs.frozen(kw_only=True)
class Move:
    """One checked transition: what it sets, and the fence it needs (see :func:`plan_move`)."""

    from_state: State
    to_state: State
    assign: Mapping[str, Any]
    stamp: str | None
    release: bool

    def update(
        self,
        sid: str,
        worker: str,
        items: str,
        mark: str,
        now: str,
        now_values: tuple[Any, ...] = (),
    ) -> tuple[str, list[Any]]:
        """The ``UPDATE`` of ``sid``, fenced by ``worker`` and the from state, and its parameters.
        ``now`` is written where the time goes, with ``now_values`` bound each time (SQLite's
        clock; nothing for PostgreSQL's ``now()``)."""
        sets = [f"state={mark}", f"updated_at={now}"]
        values: list[Any] = [self.to_state.value, *now_values]
        for name, value in self.assign.items():
            sets.append(f"{name}={mark}")
            values.append(value)
        if self.stamp is not None:
            sets.append(f"{self.stamp}={now}")
            values += now_values
        if self.release:
            sets.append("worker=NULL, lease_until=NULL")
        query = (
            f"UPDATE {items} SET {', '.join(sets)} "
            f"WHERE sid={mark} AND worker={mark} AND state={mark}"
        )
        return query, [*values, sid, worker, self.from_state.value]


def plan_move(
    from_state: State, to_state: State, changes: Mapping[str, Any] | None, *, release: bool
) -> Move:
    """Check a transition's ``changes`` (keys from ``CHANGE_FIELDS``; ``item`` stands for its
    Twilio fields) and work out what it sets. A change named explicitly wins over the item's
    field (PostgreSQL refuses a column assigned twice). Entering ``archived``, ``verified`` or
    ``source_deleted`` stamps its time; re-verifying a verified row stamps it again."""
    changes = dict(changes or {})
    unknown = set(changes) - CHANGE_FIELDS
    if unknown:
        raise InvalidRequestError(f"a transition cannot set {sorted(unknown)}")
    from_state, to_state = State(from_state), State(to_state)
    assign: dict[str, Any] = {}
    item = changes.pop("item", None)
    if item is not None:
        assign.update(zip(ITEM_COLUMNS, item_values(item), strict=True))
    assign.update(changes)
    stamp = STAMPS.get(to_state)
    if to_state == from_state and to_state is not State.VERIFIED:
        stamp = None  # staying in a state stamps nothing, but a re-verification does
    return Move(
        from_state=from_state, to_state=to_state, assign=assign, stamp=stamp, release=release
    )
