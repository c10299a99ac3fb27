"""Recordings of one room: ``/v1/Rooms/{RoomSid}/Recordings``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._bulk import DownloadSummary, MediaItem, recording_item
from .._client import make_options as options
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._media import MediaPath
from .._pagination import AsyncPaginator
from .._request import Timeout
from ..models import RecordingStatus, RoomRecording
from ._base import SID, list_parser, parser
from ._media_api import MediaMethods

if TYPE_CHECKING:
    from .._client import VideoClient

_RECORDING = parser(RoomRecording)
_RECORDING_ITEMS = list_parser(RoomRecording)
_Headers = Mapping[str, str] | None
_PATTERNS = {"RoomSid": SID["RM"], "Sid": SID["RT"]}


class RoomRecordings(MediaMethods):
    """``client.rooms.recordings(room_sid)``: the track recordings of one room, and their
    media through ``/v1/Rooms/{RM}/Recordings/{RT}/Media``."""

    def __init__(self, client: VideoClient, room_sid: str) -> None:
        super().__init__(client)
        self.room_sid = room_sid

    def _media_path(self, sid: str) -> MediaPath:
        return MediaPath.room_recording(self.room_sid, sid)

    def _media_item(self, value: Any) -> MediaItem:
        return recording_item(value, self._media_path)

    async def download_all(
        self, directory: str | os.PathLike[str], **options: Any
    ) -> DownloadSummary:
        """Download every completed recording of the room into ``directory``."""
        listing = self.list(status=RecordingStatus.COMPLETED)
        return await self.download_many(listing, directory, **options)

    async def fetch(
        self,
        sid: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> RoomRecording:
        """Fetch one recording (``RT...``) of the room."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            "/v1/Rooms/{RoomSid}/Recordings/{Sid}",
            {"RoomSid": self.room_sid, "Sid": sid},
            patterns=_PATTERNS,
            options=options(timeout, max_retries, extra_headers),
            parse=_RECORDING,
        )

    async def delete(
        self,
        sid: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> None:
        """Delete the recording's media (204). Its metadata stays 30 days with ``deleted``."""
        await self._call(
            "DELETE",
            "/v1/Rooms/{RoomSid}/Recordings/{Sid}",
            {"RoomSid": self.room_sid, "Sid": sid},
            patterns=_PATTERNS,
            options=options(timeout, max_retries, extra_headers),
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
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
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
            options=options(timeout, max_retries, extra_headers),
            parse=_RECORDING_ITEMS,
        )
