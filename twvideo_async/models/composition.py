"""Compositions (``/v1/Compositions``): recordings of a room mixed into one media file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Model
from .enums import CompositionFormat, CompositionStatus, HttpMethod

__all__ = ["Composition"]


@attrs.frozen(kw_only=True)
class Composition(Model):
    """A composition.

    Attributes:
        account_sid: Account that created the composition.
        status: ``enqueued``, ``processing``, ``completed`` (downloadable), ``deleted`` or
            ``failed``.
        date_created: When the composition was created (UTC).
        date_completed: When media processing finished (UTC).
        date_deleted: When the media was deleted (UTC).
        sid: Composition SID (``CJ...``).
        room_sid: SID of the group room whose tracks are composed.
        audio_sources: Audio track names included (``*`` wildcards allowed).
        audio_sources_excluded: Audio track names excluded.
        video_layout: The layout regions, as Twilio echoes them (unused properties as 0).
        resolution: ``{width}x{height}``, e.g. ``640x480``.
        trim: Whether intervals without media are removed.
        format: ``mp4`` or ``webm``.
        bitrate: Average bit rate of the media.
        size: Size of the composed file in bytes.
        duration: Duration of the composed file in seconds.
        media_external_location: URL of the media when stored in your own S3 bucket.
        status_callback: URL Twilio calls on every composition event.
        status_callback_method: ``POST`` or ``GET``.
        url: Absolute URL of the resource.
        links: URLs of related resources (``media``).
    """

    account_sid: str | None = None
    status: CompositionStatus | str | None = None
    date_created: datetime | None = None
    date_completed: datetime | None = None
    date_deleted: datetime | None = None
    sid: str
    room_sid: str | None = None
    audio_sources: tuple[str, ...] | None = None
    audio_sources_excluded: tuple[str, ...] | None = None
    video_layout: Mapping[str, Any] | None = None
    resolution: str | None = None
    trim: bool | None = None
    format: CompositionFormat | str | None = None
    bitrate: int = 0
    size: int | None = None
    duration: int = 0
    media_external_location: str | None = None
    status_callback: str | None = None
    status_callback_method: HttpMethod | str | None = None
    url: str | None = None
    links: Mapping[str, str] | None = None
