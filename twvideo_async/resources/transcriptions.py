"""Real-time transcriptions of a room: ``/v1/Rooms/{RoomSid}/Transcriptions``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._encoding import JsonField
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import Transcription, TranscriptionStatus
from ._base import Resource, raw

if TYPE_CHECKING:
    from .._request import Requester

_TRANSCRIPTION = parser(Transcription)
_TRANSCRIPTION_ITEMS = list_parser(Transcription)


class Transcriptions(Resource):
    """``client.rooms.transcriptions(room)``. A room has at most one transcriptions resource.
    ``configuration`` keys are camelCase (``languageCode``, ``partialResults``, ...)."""

    @cached_property
    def with_raw_response(self) -> TranscriptionsRaw:
        """The one-request methods, returning the raw response too."""
        return TranscriptionsRaw(self)

    def __init__(self, requester: Requester, room: str) -> None:
        super().__init__(requester)
        self.room = room

    async def create(
        self,
        *,
        configuration: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> Transcription:
        """Start transcribing the room (202, status ``started``)."""
        return await self._call(
            "POST",
            "/v1/Rooms/{RoomSid}/Transcriptions",
            {"RoomSid": self.room},
            form={"Configuration": None if configuration is None else JsonField(configuration)},
            options=make_options(options),
            parse=_TRANSCRIPTION,
        )

    async def fetch(
        self,
        ttid: str,
        **options: Unpack[CallOptions],
    ) -> Transcription:
        """Fetch the transcriptions resource by its ``ttid``."""
        return await self._call(
            "GET",
            "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
            {"RoomSid": self.room, "Ttid": ttid},
            options=make_options(options),
            parse=_TRANSCRIPTION,
        )

    async def update(
        self,
        ttid: str,
        *,
        status: TranscriptionStatus | str | None = None,
        configuration: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> Transcription:
        """Stop or restart (``status``) and/or merge ``configuration`` (202). ``failed`` is
        final."""
        return await self._call(
            "POST",
            "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
            {"RoomSid": self.room, "Ttid": ttid},
            form={
                "Status": status,
                "Configuration": None if configuration is None else JsonField(configuration),
            },
            idempotent=True,
            options=make_options(options),
            parse=_TRANSCRIPTION,
        )

    def list(
        self,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Transcription]:
        """The room's transcriptions (at most one)."""
        return self._list(
            "/v1/Rooms/{RoomSid}/Transcriptions",
            {"RoomSid": self.room},
            query={},
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_TRANSCRIPTION_ITEMS,
        )


class TranscriptionsRaw:
    """``Transcriptions.with_raw_response``: the one-request methods of :class:`Transcriptions`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: Transcriptions) -> None:
        self.create = raw(resource.create)
        self.fetch = raw(resource.fetch)
        self.update = raw(resource.update)
