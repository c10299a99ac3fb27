"""Real-time transcriptions of a room: ``/v1/Rooms/{RoomSid}/Transcriptions``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._client import make_options as options
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._encoding import JsonField
from .._pagination import AsyncPaginator
from .._request import Timeout
from ..models import Transcription, TranscriptionStatus
from ._base import Resource, list_parser, parser

if TYPE_CHECKING:
    from .._client import VideoClient

_TRANSCRIPTION = parser(Transcription)
_TRANSCRIPTION_ITEMS = list_parser(Transcription)
_Headers = Mapping[str, str] | None


class Transcriptions(Resource):
    """``client.rooms.transcriptions(room)``. A room has at most one transcriptions resource.
    ``configuration`` keys are camelCase (``languageCode``, ``partialResults``, ...)."""

    def __init__(self, client: VideoClient, room: str) -> None:
        super().__init__(client)
        self.room = room

    async def create(
        self,
        *,
        configuration: Mapping[str, Any] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Transcription:
        """Start transcribing the room (202, status ``started``)."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            "/v1/Rooms/{RoomSid}/Transcriptions",
            {"RoomSid": self.room},
            form={"Configuration": None if configuration is None else JsonField(configuration)},
            options=options(timeout, max_retries, extra_headers),
            parse=_TRANSCRIPTION,
        )

    async def fetch(
        self,
        ttid: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Transcription:
        """Fetch the transcriptions resource by its ``ttid``."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
            {"RoomSid": self.room, "Ttid": ttid},
            options=options(timeout, max_retries, extra_headers),
            parse=_TRANSCRIPTION,
        )

    async def update(
        self,
        ttid: str,
        *,
        status: TranscriptionStatus | str | None = None,
        configuration: Mapping[str, Any] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Transcription:
        """Stop or restart (``status``) and/or merge ``configuration`` (202). ``failed`` is
        final."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            "/v1/Rooms/{RoomSid}/Transcriptions/{Ttid}",
            {"RoomSid": self.room, "Ttid": ttid},
            form={
                "Status": status,
                "Configuration": None if configuration is None else JsonField(configuration),
            },
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_TRANSCRIPTION,
        )

    def list(
        self,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
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
            options=options(timeout, max_retries, extra_headers),
            parse=_TRANSCRIPTION_ITEMS,
        )
