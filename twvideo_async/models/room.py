"""The Room resource (``/v1/Rooms``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ._base import Model
from .enums import HttpMethod, RoomStatus, RoomType, VideoCodec

__all__ = ["Room"]


@attrs.frozen(kw_only=True)
class Room(Model):
    """A video room.

    Attributes:
        sid: Room SID (``RM...``).
        status: ``in-progress``, ``completed`` or ``failed``.
        date_created: When the room was created (UTC).
        date_updated: When the room was last updated (UTC).
        account_sid: Account that created the room.
        enable_turn: Deprecated; always true.
        unique_name: Application-defined name; defaults to the SID. Usable in place of the
            SID in URLs while the room is in progress.
        status_callback: URL Twilio calls on every room event.
        status_callback_method: ``POST`` or ``GET``.
        end_time: When the room ended (UTC); ``None`` while in progress.
        duration: Room duration in seconds; meaningful once completed.
        type: Room type; ``group`` for new rooms.
        max_participants: Maximum concurrent participants.
        max_participant_duration: Maximum seconds a participant may stay connected.
        max_concurrent_published_tracks: Maximum tracks published at once (0 = no limit).
        record_participants_on_connect: Whether recording starts when participants connect.
        video_codecs: Video codecs accepted for published tracks.
        media_region: Region of the room's media server (e.g. ``us1``).
        audio_only: Whether only audio tracks may be published.
        empty_room_timeout: Minutes the room stays open after the last participant leaves.
        unused_room_timeout: Minutes the room stays open if nobody joins.
        large_room: Whether this is a large room.
        url: Absolute URL of the resource.
        links: URLs of related resources (``participants``, ``recordings``, ...).
    """

    sid: str
    status: RoomStatus | str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    account_sid: str | None = None
    enable_turn: bool | None = None
    unique_name: str | None = None
    status_callback: str | None = None
    status_callback_method: HttpMethod | str | None = None
    end_time: datetime | None = None
    duration: int | None = None
    type: RoomType | str | None = None
    max_participants: int = 0
    max_participant_duration: int = 0
    max_concurrent_published_tracks: int | None = None
    record_participants_on_connect: bool | None = None
    video_codecs: tuple[VideoCodec | str, ...] | None = None
    media_region: str | None = None
    audio_only: bool | None = None
    empty_room_timeout: int = 0
    unused_room_timeout: int = 0
    large_room: bool | None = None
    url: str | None = None
    links: Mapping[str, str] | None = None
