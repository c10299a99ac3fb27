"""What the SQLite and PostgreSQL ledgers share: the schema version, how a row maps to a
:class:`LedgerRow` and an item to its columns, which rows a new listing may refresh, which
timestamp each state stamps, and the checks of a lease's and a claim's arguments. One
definition, so the two ledgers cannot drift apart on what a row means (their SQL text is
``_ledger_sql``'s)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..errors import InvalidRequestError
from ._keys import ArchiveItem, format_utc
from ._ledger import LedgerRow, State

__all__ = [
    "REFRESHABLE",
    "SCHEMA_VERSION",
    "STAMPS",
    "check_lease",
    "claim_scope",
    "item_values",
    "row_of",
]

SCHEMA_VERSION = "1"
# Rows whose Twilio fields a new listing may refresh: nothing has been copied from them yet.
REFRESHABLE = (State.DISCOVERED.value, State.PENDING.value, State.FAILED.value)
STAMPS = {
    State.ARCHIVED: "archived_at",
    State.VERIFIED: "verified_at",
    State.SOURCE_DELETED: "deleted_at",
}


def row_of(values: Mapping[str, Any]) -> LedgerRow:
    item = ArchiveItem.restore(
        sid=values["sid"],
        room_sid=values["room_sid"],
        date_created=values["date_created"],
        size=values["size"],
        extension=values["extension"],
        status=values["status"],
        media_external_location=values["media_external_location"],
        raw_json=values["raw"],
    )
    return LedgerRow(
        item=item,
        state=State(values["state"]),
        sha256=values["sha256"],
        dest_key=values["dest_key"],
        etag=values["etag"],
        attempts=values["attempts"],
        last_error=values["last_error"],
        reason=values["reason"],
        worker=values["worker"],
        lease_until=values["lease_until"],
        not_before=values["not_before"],
        discovered_at=values["discovered_at"],
        updated_at=values["updated_at"],
        archived_at=values["archived_at"],
        verified_at=values["verified_at"],
        deleted_at=values["deleted_at"],
    )


def item_values(item: ArchiveItem) -> tuple[Any, ...]:
    return (
        item.room_sid,
        format_utc(item.date_created),
        item.size,
        item.extension,
        item.status,
        item.media_external_location,
        item.raw_json(),
    )


def check_lease(worker: str, lease_seconds: float) -> None:
    if not isinstance(worker, str) or not worker:
        raise InvalidRequestError("worker must be a non-empty id (see new_worker_id())")
    if not lease_seconds > 0:
        raise InvalidRequestError(f"lease_seconds must be > 0, got {lease_seconds!r}")


def claim_scope(
    worker: str,
    limit: int,
    lease_seconds: float,
    states: Collection[State],
    sids: Collection[str] | None,
) -> tuple[list[str], list[str] | None] | None:
    """A claim's arguments checked: the wanted states' values and the chosen SIDs (``None``:
    any), or ``None`` when the claim can lease nothing (no room, no state or no SID asked)."""
    check_lease(worker, lease_seconds)
    if limit < 1 or not states:
        return None
    wanted = [State(s).value for s in states]
    chosen = list(sids) if sids is not None else None
    if chosen is not None and not chosen:
        return None
    return wanted, chosen
