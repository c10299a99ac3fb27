"""Real-time transcriptions of a room (``/v1/Rooms/{RoomSid}/Transcriptions``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Model
from .enums import TranscriptionStatus

__all__ = ["Transcription"]


@attrs.frozen(kw_only=True)
class Transcription(Model):
    """The transcriptions resource of a room (one per room).

    Attributes:
        ttid: Identifier of the transcriptions resource (opaque string).
        account_sid: Account that owns the room.
        room_sid: SID of the room.
        source_sid: SID of the associated call (``CA...``).
        status: ``started``, ``stopped`` or ``failed`` (terminal); other values Twilio
            returns are kept as strings.
        date_created: When the resource was created (UTC); may be ``None``.
        date_updated: When the resource was last updated (UTC).
        start_time: When transcription started (UTC).
        end_time: When transcription stopped (UTC).
        duration: Seconds spent ``started`` with at least one participant.
        url: Absolute URL of the resource.
        configuration: Engine settings as Twilio echoes them. Values may come back as
            strings (``"true"``) and key casing may differ from what was sent
            (``LanguageCode``), so it is kept as a plain mapping.
    """

    ttid: str
    account_sid: str | None = None
    room_sid: str | None = None
    source_sid: str | None = None
    status: TranscriptionStatus | str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    url: str | None = None
    configuration: Mapping[str, Any] | None = None
