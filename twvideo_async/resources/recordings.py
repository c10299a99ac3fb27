"""Track recordings of the account: ``/v1/Recordings``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .._bulk import MediaItem, recording_item
from .._client import make_options as options
from .._constants import MEDIA_LIST_MAX_PAGE_SIZE
from .._media import MediaPath
from .._pagination import AsyncPaginator
from .._request import Timeout
from ..models import Recording, RecordingStatus, RecordingType
from ._base import SID, list_parser, parser
from ._media_api import MediaMethods

_RECORDING = parser(Recording)
_RECORDING_ITEMS = list_parser(Recording)
_Headers = Mapping[str, str] | None
_PATTERNS = {"Sid": SID["RT"]}


class Recordings(MediaMethods):
    """``client.recordings``: every track recording (``RT...``) of the account, and their
    media (``download``, ``stream``, ``download_many``)."""

    def _media_path(self, sid: str) -> MediaPath:
        return MediaPath.recording(sid)

    def _media_item(self, value: Any) -> MediaItem:
        return recording_item(value)

    async def fetch(
        self,
        sid: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Recording:
        """Fetch a recording by SID."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            "/v1/Recordings/{Sid}",
            {"Sid": sid},
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
        """Delete the recording's media (204); metadata stays 30 days with status ``deleted``."""
        await self._call(
            "DELETE",
            "/v1/Recordings/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=options(timeout, max_retries, extra_headers),
            parse=None,
        )

    def list(
        self,
        *,
        status: RecordingStatus | str | None = None,
        source_sid: str | None = None,
        grouping_sid: Sequence[str] | None = None,
        media_type: RecordingType | str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> AsyncPaginator[Recording]:
        """List recordings, newest first. ``grouping_sid`` takes room and/or participant SIDs.
        Deleted recordings are hidden unless ``status="deleted"``. ``page_size`` is capped at
        100 on this endpoint."""
        if isinstance(grouping_sid, str):
            grouping_sid = [grouping_sid]
        return self._list(
            "/v1/Recordings",
            {},
            query={
                "Status": status,
                "SourceSid": source_sid,
                "GroupingSid": grouping_sid,
                "MediaType": media_type,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=MEDIA_LIST_MAX_PAGE_SIZE,
            options=options(timeout, max_retries, extra_headers),
            parse=_RECORDING_ITEMS,
        )
