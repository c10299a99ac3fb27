"""Video Insights summaries beside the archived media of each room.

Twilio keeps a room's Log Analyzer summary only 7 days, so the archive snapshots it: for every
room folder that received media in a run (and every folder of media archived in the last 7
days that has no summary yet: a run killed before this step, or a room Insights had not
summarised yet), ``{yyyy}/{mm}/{dd}/{RoomSid}/insights-room.json``
(the room summary as Twilio sent it) and ``.../insights-participants.json`` (``{"room_sid":
..., "participants": [...]}``, every participant summary). A summary Insights does not have
(404: the room is still running, ended minutes ago, or is older than 7 days) is counted as
``missing``; any other Insights or sink error as ``failed`` and logged. Neither fails the
archive: the media is what the run is for, and the next run tries again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._logging import logger
from ..errors import NotFoundError, TwilioVideoError
from ._keys import NO_ROOM
from ._ledger import Ledger, State, iter_rows
from ._sink import Sink

if TYPE_CHECKING:
    from .._client import VideoClient

__all__ = ["ROOM_SUMMARY_NAME", "PARTICIPANT_SUMMARIES_NAME", "archive_summaries"]

ROOM_SUMMARY_NAME = "insights-room.json"
PARTICIPANT_SUMMARIES_NAME = "insights-participants.json"
_JSON = "application/json"
_RETENTION = 7 * 86_400  # seconds Insights keeps a summary


def _document(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=2, default=str).encode()


async def archive_summaries(
    client: VideoClient, sink: Sink, ledger: Ledger, touched: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Store the summaries of each ``(folder, room_sid)`` in ``touched`` and of recent folders
    still without one; counts of ``stored`` (rooms whose two documents were written),
    ``missing`` and ``failed``."""
    counts = {"stored": 0, "missing": 0, "failed": 0}
    try:
        folders = await _folders(sink, ledger, set(touched))
    except TwilioVideoError as exc:
        logger.warning("archive: could not list the rooms to summarise: %s", exc)
        counts["failed"] += 1
        return counts
    for folder, room_sid in sorted(folders):
        if room_sid == NO_ROOM:
            continue
        try:
            documents = await _summaries(client, room_sid)
        except NotFoundError:
            logger.info("archive: no Insights summary for %s (yet)", room_sid)
            counts["missing"] += 1
            continue
        except TwilioVideoError as exc:
            logger.warning("archive: Insights summary of %s not stored: %s", room_sid, exc)
            counts["failed"] += 1
            continue
        try:
            for name, body in documents.items():
                await sink.put_bytes(
                    f"{folder}/{name}",
                    _document(body),
                    metadata={"twvideo-sid": room_sid, "twvideo-kind": "insights"},
                    content_type=_JSON,
                )
        except TwilioVideoError as exc:
            logger.warning("archive: Insights summary of %s not written: %s", room_sid, exc)
            counts["failed"] += 1
            continue
        counts["stored"] += 1
    return counts


async def _folders(
    sink: Sink, ledger: Ledger, touched: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """``touched``, plus the folders of media verified in the last 7 days whose room summary
    is not at the destination."""
    since = time.time() - _RETENTION
    recent: set[tuple[str, str]] = set()
    async for row in iter_rows(ledger, states=[State.VERIFIED]):
        when = row.verified_at or row.archived_at
        if when is not None and when >= since:
            recent.add((row.item.folder, row.item.room_sid))
    folders = set(touched)
    for folder, room_sid in sorted(recent - touched):
        if room_sid != NO_ROOM and await sink.head(f"{folder}/{ROOM_SUMMARY_NAME}") is None:
            folders.add((folder, room_sid))
    return folders


async def _summaries(client: VideoClient, room_sid: str) -> Mapping[str, Any]:
    rooms = client.insights.rooms
    summary = await rooms.fetch(room_sid)
    people = [dict(p.raw) async for p in rooms.participants(room_sid).list()]
    return {
        ROOM_SUMMARY_NAME: dict(summary.raw),
        PARTICIPANT_SUMMARIES_NAME: {"room_sid": room_sid, "participants": people},
    }
