"""Recordings of one room: ``/v1/Rooms/{RoomSid}/Recordings``."""

from __future__ import annotations

import os
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._media.bulk import DownloadSummary, MediaItem, recording_item
from .._media.options import DownloadManyOptions
from .._media.resolve import MediaPath
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import RecordingStatus, RoomRecording
from ._base import SID, raw
from ._media_api import MediaMethods

if TYPE_CHECKING:
    from .._request import Requester

_RECORDING = parser(RoomRecording)
_RECORDING_ITEMS = list_parser(RoomRecording)
_PATTERNS = {"RoomSid": SID["RM"], "Sid": SID["RT"]}


class RoomRecordings(MediaMethods):
    """``client.rooms.recordings(room_sid)``: the track recordings of one room, and their
    media through ``/v1/Rooms/{RM}/Recordings/{RT}/Media``."""

    @cached_property
    def with_raw_response(self) -> RoomRecordingsRaw:
        """The one-request methods, returning the raw response too."""
        return RoomRecordingsRaw(self)

    def __init__(self, requester: Requester, room_sid: str) -> None:
        super().__init__(requester)
        self.room_sid = room_sid

    def _media_path(self, sid: str) -> MediaPath:
        return MediaPath.room_recording(self.room_sid, sid)

    def _media_item(self, value: Any) -> MediaItem:
        return recording_item(value, self._media_path)

    async def download_all(
        self, directory: str | os.PathLike[str], **options: Unpack[DownloadManyOptions]
    ) -> DownloadSummary:
        """Download every completed recording of the room into ``directory``."""
        listing = self.list(status=RecordingStatus.COMPLETED)
        return await self.download_many(listing, directory, **options)

    async def fetch(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> RoomRecording:
        """Fetch one recording (``RT...``) of the room."""
        return await self._call(
            "GET",
            "/v1/Rooms/{RoomSid}/Recordings/{Sid}",
            {"RoomSid": self.room_sid, "Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=_RECORDING,
        )

    async def delete(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> None:
        """Delete the recording's media (204). Its metadata stays 30 days with ``deleted``.

        A retried delete that finds nothing has done its job: when an attempt's answer was lost
        (dropped connection, timeout, 5xx) and the retry gets 404, this returns normally. A
        404 on the first attempt still raises ``NotFoundError``."""
        await self._call(
            "DELETE",
            "/v1/Rooms/{RoomSid}/Recordings/{Sid}",
            {"RoomSid": self.room_sid, "Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=None,
        )

    def list(
        self,
        *,
        status: RecordingStatus | str | None = None,
        source_sid: str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[RoomRecording]:
        """List the room's recordings. Deleted ones are hidden unless ``status="deleted"``."""
        return self._list(
            "/v1/Rooms/{RoomSid}/Recordings",
            {"RoomSid": self.room_sid},
            patterns=_PATTERNS,
            query={
                "Status": status,
                "SourceSid": source_sid,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_RECORDING_ITEMS,
        )


class RoomRecordingsRaw:
    """``RoomRecordings.with_raw_response``: the one-request methods of :class:`RoomRecordings`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: RoomRecordings) -> None:
        self.fetch = raw(resource.fetch)
        self.delete = raw(resource.delete)
