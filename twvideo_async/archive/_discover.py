"""Discovery: list an account's recordings and compositions into the ledger, window by window.

Twilio's lists have no total and no stable order across a long walk, so discovery cuts the
requested time range into date windows (``DateCreatedAfter``/``DateCreatedBefore``), lists each
one completely, upserts what it finds (idempotent: a window listed twice changes nothing) and
then records in the ledger how far it got. A rerun starts at that cursor, so an interrupted
discovery of a large account resumes instead of starting over.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InvalidRequestError
from ._keys import ArchiveItem, format_utc, parse_utc
from ._ledger import Ledger

if TYPE_CHECKING:
    from .._client import VideoClient

__all__ = ["DEFAULT_SINCE", "Discovery", "discover"]

# Twilio Video launched in 2015: nothing is older.
DEFAULT_SINCE = datetime(2015, 1, 1, tzinfo=timezone.utc)
DEFAULT_WINDOW = timedelta(days=31)
MAX_WINDOW = timedelta(days=512)
# The cursor never passes "now minus this": items created while a window was being listed
# (or stamped a little in the past) are listed again next time instead of being skipped.
SETTLE = timedelta(hours=1)
_BATCH = 100
_ROOM = re.compile(r"^RM[0-9a-fA-F]{32}$")


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidRequestError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None:
        raise InvalidRequestError(f"{name} must be timezone-aware (e.g. tzinfo=timezone.utc)")
    return value.astimezone(timezone.utc)


def check_rooms(rooms: Sequence[str] | None) -> tuple[str | None, ...]:
    """The room filter as a tuple (``(None,)`` for all rooms), each SID checked."""
    if not rooms:
        return (None,)
    if isinstance(rooms, str):
        rooms = [rooms]
    for room in rooms:
        if not (isinstance(room, str) and _ROOM.fullmatch(room)):
            raise InvalidRequestError(f"room {room!r} is not a room SID (RM + 32 hex digits)")
    return tuple(sorted(set(rooms)))


@attrs.frozen(kw_only=True)
class Discovery:
    """What to discover: a half-open date range, rooms, kinds."""

    since: datetime = DEFAULT_SINCE
    until: datetime | None = None
    rooms: tuple[str | None, ...] = (None,)
    recordings: bool = True
    compositions: bool = True
    window: timedelta = DEFAULT_WINDOW

    @classmethod
    def build(
        cls,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        rooms: Sequence[str] | None = None,
        recordings: bool = True,
        compositions: bool = True,
        window: timedelta = DEFAULT_WINDOW,
    ) -> Discovery:
        start = _aware(since, "since") or DEFAULT_SINCE
        end = _aware(until, "until")
        if end is not None and end <= start:
            raise InvalidRequestError(f"until ({end}) must be after since ({start})")
        if not (recordings or compositions):
            raise InvalidRequestError("nothing to archive: both recordings and compositions off")
        if window <= timedelta(0):
            raise InvalidRequestError("the discovery window must be positive")
        return cls(
            since=start,
            until=end,
            rooms=check_rooms(rooms),
            recordings=recordings,
            compositions=compositions,
            window=window,
        )

    def kinds(self) -> list[str]:
        return [
            k
            for k, on in (("recording", self.recordings), ("composition", self.compositions))
            if on
        ]


def cursor_name(kind: str, room: str | None, since: datetime) -> str:
    """One cursor per (kind, room, since): another filter never inherits this walk's progress."""
    label = f"{kind}|{room or '*'}|{format_utc(since)}"
    return f"discovery:{hashlib.sha256(label.encode()).hexdigest()[:16]}:{label}"


async def discover(
    client: VideoClient,
    ledger: Ledger,
    plan: Discovery,
    *,
    on_items: Callable[[int, int], Any] | None = None,
    now: Callable[[], datetime] | None = None,
) -> int:
    """List everything ``plan`` covers into ``ledger``; return how many items were new.

    ``on_items(listed, new)`` is called after each batch is stored.
    """
    clock = now or (lambda: datetime.now(timezone.utc))
    total_new = 0
    for kind in plan.kinds():
        for room in plan.rooms:
            name = cursor_name(kind, room, plan.since)
            stored = await ledger.get_cursor(name)
            start = max(plan.since, parse_utc(stored)) if stored else plan.since
            current = clock()
            end_all = min(plan.until or current, current)
            span = plan.window
            while start < end_all:
                end = min(start + span, end_all)
                listed, new = await _list_window(client, ledger, kind, room, start, end, on_items)
                total_new += new
                # Empty stretches (years before an account's first room) are crossed in
                # growing steps; a window with media sets the step back.
                span = min(span * 2, MAX_WINDOW) if listed == 0 else plan.window
                settled = min(end, clock() - SETTLE)
                if settled > start:
                    await ledger.set_cursor(name, format_utc(settled))
                start = end
    return total_new


async def _list_window(
    client: VideoClient,
    ledger: Ledger,
    kind: str,
    room: str | None,
    start: datetime,
    end: datetime,
    on_items: Callable[[int, int], Any] | None,
) -> tuple[int, int]:
    """List one window into the ledger; return (items listed, items new)."""
    listing: Any
    if kind == "recording":
        listing = client.recordings.list(
            grouping_sid=[room] if room else None,
            date_created_after=start,
            date_created_before=end,
            page_size=100,
        )
    else:
        listing = client.compositions.list(
            room_sid=room, date_created_after=start, date_created_before=end, page_size=100
        )
    batch: list[ArchiveItem] = []
    new = listed = 0
    async for model in listing:
        listed += 1
        batch.append(ArchiveItem.from_model(model))
        if len(batch) >= _BATCH:
            new += await _store(ledger, batch, on_items)
            batch = []
    if batch:
        new += await _store(ledger, batch, on_items)
    return listed, new


async def _store(
    ledger: Ledger, batch: list[ArchiveItem], on_items: Callable[[int, int], Any] | None
) -> int:
    new = await ledger.upsert(batch)
    if on_items is not None:
        on_items(len(batch), new)
    return new
