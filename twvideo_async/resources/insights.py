"""Video Insights (Log Analyzer): room and participant summaries, ``/v1/Video/Rooms`` on
``https://insights.twilio.com``.

These resources are built on the client's Insights requester: same credentials, transport,
retries and limits as the Video API, another origin. Listings follow ``next_page_url`` only on
that origin. Summaries appear about 10 (up to 30) minutes after a room ends and are kept 7 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property

from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from .._request import Requester
from ..models import ParticipantSummary, RoomSummary, SummaryCodec, SummaryRoomType
from ._base import SID, Resource, raw

_ROOM_SUMMARY = parser(RoomSummary)
_ROOM_SUMMARY_ITEMS = list_parser(RoomSummary)
_PARTICIPANT_SUMMARY = parser(ParticipantSummary)
_PARTICIPANT_SUMMARY_ITEMS = list_parser(ParticipantSummary)
_ROOM_PATTERNS = {"RoomSid": SID["RM"]}
_PARTICIPANT_PATTERNS = {"RoomSid": SID["RM"], "ParticipantSid": SID["PA"]}


def _as_list(value: Sequence[str] | str | None) -> Sequence[str] | None:
    # One value passed as a plain string is one filter value, not a list of characters.
    return [value] if isinstance(value, str) else value


class Insights:
    """``client.insights``: the Video part of Twilio's Insights API."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def rooms(self) -> RoomSummaries:
        """Room summaries, and through a room its participant summaries."""
        return RoomSummaries(self._requester)


class RoomSummaries(Resource):
    """``client.insights.rooms``: summaries of ended (and recent) rooms, by room SID."""

    @cached_property
    def with_raw_response(self) -> RoomSummariesRaw:
        """The one-request methods, returning the raw response too."""
        return RoomSummariesRaw(self)

    async def fetch(self, room_sid: str, **options: Unpack[CallOptions]) -> RoomSummary:
        """The summary of one room (404, ``NotFoundError``, until Insights has it)."""
        return await self._call(
            "GET",
            "/v1/Video/Rooms/{RoomSid}",
            {"RoomSid": room_sid},
            patterns=_ROOM_PATTERNS,
            options=make_options(options),
            parse=_ROOM_SUMMARY,
        )

    def list(
        self,
        *,
        room_type: Sequence[SummaryRoomType | str] | SummaryRoomType | str | None = None,
        codec: Sequence[SummaryCodec | str] | SummaryCodec | str | None = None,
        room_name: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[RoomSummary]:
        """List room summaries. **Without ``created_after``/``created_before`` Twilio lists
        only rooms that completed in the last 24 hours.** ``room_type`` and ``codec`` take one
        value or several (any of them matches). ``page_size`` is capped at 1000; ``limit``
        stops after that many summaries; ``page_url`` resumes from a page's
        ``next_page_url``."""
        return self._list(
            "/v1/Video/Rooms",
            {},
            query={
                "RoomType": _as_list(room_type),
                "Codec": _as_list(codec),
                "RoomName": room_name,
                "CreatedAfter": created_after,
                "CreatedBefore": created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_ROOM_SUMMARY_ITEMS,
        )

    def participants(self, room_sid: str) -> ParticipantSummaries:
        """Participant summaries of ``room_sid`` (a room SID; names are not accepted)."""
        return ParticipantSummaries(self._requester, room_sid)


class ParticipantSummaries(Resource):
    """``client.insights.rooms.participants(room_sid)``: one summary per participant SID."""

    def __init__(self, requester: Requester, room_sid: str) -> None:
        super().__init__(requester)
        self.room_sid = room_sid

    @cached_property
    def with_raw_response(self) -> ParticipantSummariesRaw:
        """The one-request methods, returning the raw response too."""
        return ParticipantSummariesRaw(self)

    async def fetch(
        self, participant_sid: str, **options: Unpack[CallOptions]
    ) -> ParticipantSummary:
        """The summary of one participant (``PA...``) of the room."""
        return await self._call(
            "GET",
            "/v1/Video/Rooms/{RoomSid}/Participants/{ParticipantSid}",
            {"RoomSid": self.room_sid, "ParticipantSid": participant_sid},
            patterns=_PARTICIPANT_PATTERNS,
            options=make_options(options),
            parse=_PARTICIPANT_SUMMARY,
        )

    def list(
        self,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[ParticipantSummary]:
        """List the room's participant summaries (``page_size`` capped at 1000)."""
        return self._list(
            "/v1/Video/Rooms/{RoomSid}/Participants",
            {"RoomSid": self.room_sid},
            patterns=_ROOM_PATTERNS,
            query={},
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_PARTICIPANT_SUMMARY_ITEMS,
        )


class RoomSummariesRaw:
    """``RoomSummaries.with_raw_response``: :meth:`RoomSummaries.fetch` returning a
    :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: RoomSummaries) -> None:
        self.fetch = raw(resource.fetch)


class ParticipantSummariesRaw:
    """``ParticipantSummaries.with_raw_response``: :meth:`ParticipantSummaries.fetch`
    returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: ParticipantSummaries) -> None:
        self.fetch = raw(resource.fetch)
