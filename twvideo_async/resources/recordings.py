"""Track recordings of the account: ``/v1/Recordings``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from .._constants import MEDIA_LIST_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._media.bulk import MediaItem, recording_item
from .._media.resolve import MediaPath
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import Recording, RecordingStatus, RecordingType
from ._base import SID, raw
from ._media_api import MediaMethods

_RECORDING = parser(Recording)
_RECORDING_ITEMS = list_parser(Recording)
_PATTERNS = {"Sid": SID["RT"]}


class Recordings(MediaMethods):
    """``client.recordings``: every track recording (``RT...``) of the account, and their
    media (``download``, ``stream``, ``download_many``)."""

    @cached_property
    def with_raw_response(self) -> RecordingsRaw:
        """The one-request methods, returning the raw response too."""
        return RecordingsRaw(self)

    def _media_path(self, sid: str) -> MediaPath:
        return MediaPath.recording(sid)

    def _media_item(self, value: Any) -> MediaItem:
        return recording_item(value)

    async def fetch(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> Recording:
        """Fetch a recording by SID."""
        return await self._call(
            "GET",
            "/v1/Recordings/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=_RECORDING,
        )

    async def delete(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> None:
        """Delete the recording's media (204); metadata stays 30 days with status ``deleted``.

        A retried delete that finds nothing has done its job: when an attempt's answer was lost
        (dropped connection, timeout, 5xx) and the retry gets 404, this returns normally. A
        404 on the first attempt still raises ``NotFoundError``."""
        await self._call(
            "DELETE",
            "/v1/Recordings/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
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
        **options: Unpack[CallOptions],
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
            options=make_options(options),
            parse=_RECORDING_ITEMS,
        )


class RecordingsRaw:
    """``Recordings.with_raw_response``: the one-request methods of :class:`Recordings`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: Recordings) -> None:
        self.fetch = raw(resource.fetch)
        self.delete = raw(resource.delete)
