"""Event base classes shared by every status-callback family."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from ._fields import FieldReader

__all__ = ["EventType", "KnownEvent", "UnknownEvent", "VideoEvent"]


class EventType(str, enum.Enum):
    """Every ``StatusCallbackEvent`` value this SDK models."""

    ROOM_CREATED = "room-created"
    ROOM_ENDED = "room-ended"
    PARTICIPANT_CONNECTED = "participant-connected"
    PARTICIPANT_DISCONNECTED = "participant-disconnected"
    TRACK_ADDED = "track-added"
    TRACK_REMOVED = "track-removed"
    TRACK_ENABLED = "track-enabled"
    TRACK_DISABLED = "track-disabled"
    RECORDING_STARTED = "recording-started"
    RECORDING_COMPLETED = "recording-completed"
    RECORDING_FAILED = "recording-failed"
    COMPOSITION_ENQUEUED = "composition-enqueued"
    COMPOSITION_HOOK_FAILED = "composition-hook-failed"
    COMPOSITION_STARTED = "composition-started"
    COMPOSITION_PROGRESS = "composition-progress"
    COMPOSITION_AVAILABLE = "composition-available"
    COMPOSITION_FAILED = "composition-failed"


_EMPTY: Mapping[str, str] = MappingProxyType({})


@attrs.frozen(kw_only=True)
class VideoEvent:
    """Base of every status-callback event.

    Order events by ``timestamp``, never by ``sequence_number``: Twilio documents
    ``SequenceNumber`` as internal and not reflecting the order of events. Callbacks may also
    arrive late or twice.

    Attributes:
        event: the ``StatusCallbackEvent`` value, e.g. ``"room-ended"``.
        raw: every parameter Twilio sent, as text, read-only; use it for parameters this SDK
            does not model. Not part of ``repr`` or equality.
    """

    event: str
    raw: Mapping[str, str] = attrs.field(default=_EMPTY, repr=False, eq=False)

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {"event": r.required("StatusCallbackEvent"), "raw": r.raw}


@attrs.frozen(kw_only=True)
class UnknownEvent(VideoEvent):
    """An event this SDK version does not model; everything Twilio sent is in ``raw``."""

    account_sid: str | None = None
    timestamp: datetime | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "account_sid": r.optional("AccountSid"),
            "timestamp": r.timestamp("Timestamp"),
        }


@attrs.frozen(kw_only=True)
class KnownEvent(VideoEvent):
    """Fields every modelled event carries.

    Attributes:
        account_sid: the account (``AC...``) the event belongs to.
        timestamp: when it happened, aware UTC; the key to order events by.
        sequence_number: Twilio's ``SequenceNumber``; internal, **not** an ordering key.
    """

    EVENT: ClassVar[EventType | None] = None

    account_sid: str
    timestamp: datetime
    sequence_number: int | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "account_sid": r.required("AccountSid"),
            "timestamp": r.required_timestamp("Timestamp"),
            "sequence_number": r.integer("SequenceNumber"),
        }
