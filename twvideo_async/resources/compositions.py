"""Compositions: ``/v1/Compositions``, plus waiting for one to finish."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, cast

from .._checks import check_seconds
from .._constants import MEDIA_LIST_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._media.bulk import DownloadSummary, MediaItem, composition_item
from .._media.options import DownloadManyOptions
from .._media.resolve import MediaPath
from .._options import CallOptions, PollOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..errors import APITimeoutError, InvalidRequestError
from ..models import Composition, CompositionFormat, CompositionStatus
from ..models.layout import parse_resolution
from ..rules import encode_video_layout
from ._base import SID, raw
from ._media_api import MediaMethods

_COMPOSITION = parser(Composition)
_COMPOSITION_ITEMS = list_parser(Composition)
_PATTERNS = {"Sid": SID["CJ"]}
_FINAL = frozenset({"completed", "failed", "deleted"})


def layout_field(video_layout: Any, resolution: str | None) -> str | None:
    """``VideoLayout`` as Twilio's JSON string, validated (regions fit the canvas)."""
    if resolution is not None:
        parse_resolution(resolution)
    if video_layout is None:
        return None
    if isinstance(video_layout, str):
        return video_layout
    return encode_video_layout(video_layout, resolution)


class Compositions(MediaMethods):
    """``client.compositions``: compose a room's recordings into one playable file, and fetch
    it (``download``, ``stream``, ``download_many``, ``download_all``)."""

    @cached_property
    def with_raw_response(self) -> CompositionsRaw:
        """The one-request methods, returning the raw response too."""
        return CompositionsRaw(self)

    def _media_path(self, sid: str) -> MediaPath:
        return MediaPath.composition(sid)

    def _media_item(self, value: Any) -> MediaItem:
        return composition_item(value)

    async def download_all(
        self,
        room_sid: str,
        directory: str | os.PathLike[str],
        **options: Unpack[DownloadManyOptions],
    ) -> DownloadSummary:
        """Download every completed composition of a room into ``directory``."""
        listing = self.list(room_sid=_room_sid(room_sid), status=CompositionStatus.COMPLETED)
        return await self.download_many(listing, directory, **options)

    async def create(
        self,
        *,
        room_sid: str,
        video_layout: Mapping[str, Any] | str | None = None,
        audio_sources: Sequence[str] | None = None,
        audio_sources_excluded: Sequence[str] | None = None,
        resolution: str | None = None,
        format: CompositionFormat | str | None = None,
        status_callback: str | None = None,
        status_callback_method: str | None = None,
        trim: bool | None = None,
        **options: Unpack[CallOptions],
    ) -> Composition:
        """Start a composition of a completed group room (201). Give ``audio_sources`` (track
        names, ``*`` wildcards) and/or ``video_layout`` (regions, see ``twvideo_async.rules``).
        ``resolution`` is ``"{w}x{h}"`` (16..1280 each, at most 921,600 pixels; default
        ``640x480``); ``format`` ``mp4`` or ``webm`` (send it: the docs state no default)."""
        if video_layout is None and not audio_sources:
            raise InvalidRequestError(
                "a composition needs audio_sources (e.g. ['*']) and/or video_layout "
                "(e.g. rules.grid())"
            )
        return await self._call(
            "POST",
            "/v1/Compositions",
            {},
            form={
                "RoomSid": _room_sid(room_sid),
                "VideoLayout": layout_field(video_layout, resolution),
                "AudioSources": audio_sources,
                "AudioSourcesExcluded": audio_sources_excluded,
                "Resolution": resolution,
                "Format": format,
                "StatusCallback": status_callback,
                "StatusCallbackMethod": status_callback_method,
                "Trim": trim,
            },
            options=make_options(options),
            parse=_COMPOSITION,
        )

    async def fetch(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> Composition:
        """Fetch a composition by SID (``CJ...``)."""
        return await self._call(
            "GET",
            "/v1/Compositions/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=_COMPOSITION,
        )

    async def delete(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> None:
        """Delete the composition's media (204); failed compositions cannot be deleted.

        A retried delete that finds nothing has done its job: when an attempt's answer was lost
        (dropped connection, timeout, 5xx) and the retry gets 404, this returns normally. A
        404 on the first attempt still raises ``NotFoundError``."""
        await self._call(
            "DELETE",
            "/v1/Compositions/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=None,
        )

    def list(
        self,
        *,
        status: CompositionStatus | str | None = None,
        room_sid: str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Composition]:
        """List compositions; deleted ones are hidden unless ``status="deleted"``.
        ``page_size`` is capped at 100 on this endpoint."""
        return self._list(
            "/v1/Compositions",
            {},
            query={
                "Status": status,
                "RoomSid": room_sid,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=MEDIA_LIST_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_COMPOSITION_ITEMS,
        )

    async def wait_for(
        self,
        sid: str,
        *,
        timeout: float = 3600.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 30.0,
        **options: Unpack[PollOptions],
    ) -> Composition:
        """Poll until the composition is ``completed``, ``failed`` or ``deleted`` and return it.

        Polls back off from ``poll_interval`` to ``max_poll_interval``; raises
        ``APITimeoutError`` after ``timeout`` seconds. Processing starts only once the room
        has ended and its duration is not guaranteed.

        ``timeout`` here is the budget of the whole wait, not of one request: each poll has
        the client's own time limits. ``max_retries`` and ``extra_headers`` apply to each poll.
        """
        # A zero or negative interval would busy-poll Twilio thousands of times a second.
        check_seconds("timeout", timeout, error=InvalidRequestError)
        check_seconds("poll_interval", poll_interval, error=InvalidRequestError)
        check_seconds("max_poll_interval", max_poll_interval, error=InvalidRequestError)
        # PollOptions are CallOptions without the one key wait_for uses for itself.
        per_poll = cast(CallOptions, options)
        make_options(per_poll)  # refuse a bad option now, not at the first poll
        clock, sleep = self._requester.clock, self._requester.sleep
        deadline = clock() + timeout
        delay = poll_interval
        while True:
            composition = await self.fetch(sid, **per_poll)
            if str(_value(composition.status)) in _FINAL:
                return composition
            remaining = deadline - clock()
            if remaining <= 0:
                raise APITimeoutError(
                    f"composition {sid} is still {_value(composition.status)} after {timeout:g}s",
                    method="GET",
                    path="/v1/Compositions/{Sid}",
                )
            await sleep(min(delay, remaining))
            delay = min(delay * 1.5, max_poll_interval)


def _value(status: Any) -> Any:
    return getattr(status, "value", status)


def _room_sid(room_sid: str) -> str:
    if isinstance(room_sid, str) and SID["RM"].fullmatch(room_sid):
        return room_sid
    raise InvalidRequestError(
        f"room_sid={room_sid!r} is not a room SID: expected 'RM' followed by 32 hex digits"
    )


class CompositionsRaw:
    """``Compositions.with_raw_response``: the one-request methods of :class:`Compositions`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: Compositions) -> None:
        self.create = raw(resource.create)
        self.fetch = raw(resource.fetch)
        self.delete = raw(resource.delete)
