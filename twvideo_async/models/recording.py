"""Track recordings: account-wide (``/v1/Recordings``) and room-scoped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ._base import Model
from .enums import HttpMethod, RecordingCodec, RecordingFormat, RecordingStatus, RecordingType

__all__ = ["Recording", "RoomRecording"]


@attrs.frozen(kw_only=True)
class Recording(Model):
    """A single-track recording.

    Attributes:
        account_sid: Account that created the recording.
        status: ``processing``, ``completed`` (downloadable), ``deleted`` or ``failed``.
        date_created: When the recording was created (UTC).
        sid: Recording SID (``RT...``).
        source_sid: SID of the recorded track (``MT...``).
        size: Size of the recorded media in bytes.
        url: Absolute URL of the resource.
        type: ``audio``, ``video`` or ``data``.
        duration: Seconds, rounded to the nearest second (sub-second tracks count 1).
        container_format: ``mka`` or ``mkv``.
        codec: ``VP8``, ``H264``, ``OPUS`` or ``PCMU``.
        grouping_sids: Related SIDs, keyed ``room_sid`` and ``participant_sid``.
        track_name: Name of the source track; defaults to ``source_sid``.
        offset: Milliseconds from a common epoch to the start of the source room, for
            aligning recordings of one room.
        media_external_location: URL of the media when stored in your own S3 bucket.
        status_callback: URL Twilio calls on every recording event.
        status_callback_method: ``POST`` or ``GET``.
        links: URLs of related resources (``media``).
    """

    account_sid: str | None = None
    status: RecordingStatus | str | None = None
    date_created: datetime | None = None
    sid: str
    source_sid: str | None = None
    size: int | None = None
    url: str | None = None
    type: RecordingType | str | None = None
    duration: int | None = None
    container_format: RecordingFormat | str | None = None
    codec: RecordingCodec | str | None = None
    grouping_sids: Mapping[str, str] | None = None
    track_name: str | None = None
    offset: int | None = None
    media_external_location: str | None = None
    status_callback: str | None = None
    status_callback_method: HttpMethod | str | None = None
    links: Mapping[str, str] | None = None


@attrs.frozen(kw_only=True)
class RoomRecording(Model):
    """A single-track recording listed under its room.

    Attributes:
        account_sid: Account that created the recording.
        status: ``processing``, ``completed`` (downloadable), ``deleted`` or ``failed``.
        date_created: When the recording was created (UTC).
        sid: Recording SID (``RT...``).
        source_sid: SID of the recorded track (``MT...``).
        size: Size of the recorded media in bytes.
        url: Absolute URL of the resource.
        type: ``audio``, ``video`` or ``data``.
        duration: Seconds, rounded to the nearest second (sub-second tracks count 1).
        container_format: ``mka`` or ``mkv``.
        codec: ``VP8``, ``H264``, ``OPUS`` or ``PCMU``.
        grouping_sids: Related SIDs, keyed ``room_sid`` and ``participant_sid``.
        track_name: Name of the source track; defaults to ``source_sid``.
        offset: Milliseconds from a common epoch to the start of the source room.
        media_external_location: URL of the media when stored in your own S3 bucket.
        room_sid: SID of the room the recording belongs to.
        links: URLs of related resources (``media``).
    """

    account_sid: str | None = None
    status: RecordingStatus | str | None = None
    date_created: datetime | None = None
    sid: str
    source_sid: str | None = None
    size: int | None = None
    url: str | None = None
    type: RecordingType | str | None = None
    duration: int | None = None
    container_format: RecordingFormat | str | None = None
    codec: RecordingCodec | str | None = None
    grouping_sids: Mapping[str, str] | None = None
    track_name: str | None = None
    offset: int | None = None
    media_external_location: str | None = None
    room_sid: str | None = None
    links: Mapping[str, str] | None = None
