"""Room callbacks: the Room, its participants and their published tracks."""

from __future__ import annotations

from typing import Any

import attrs

from ._event_base import EventType, KnownEvent
from ._fields import FieldReader

__all__ = [
    "ParticipantConnected",
    "ParticipantDisconnected",
    "ParticipantEvent",
    "RoomCreated",
    "RoomEnded",
    "RoomEvent",
    "TrackAdded",
    "TrackDisabled",
    "TrackEnabled",
    "TrackEvent",
    "TrackRemoved",
]


@attrs.frozen(kw_only=True)
class RoomEvent(KnownEvent):
    """An event of a Room's life, sent to the Room's ``StatusCallback``.

    ``room_name`` is the Room's UniqueName; ``room_status`` is ``in-progress``/``completed``/...;
    ``room_type`` is ``group``/``go``/``peer-to-peer``/``group-small``.
    """

    room_sid: str
    room_name: str | None = None
    room_status: str | None = None
    room_type: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "room_sid": r.required("RoomSid"),
            "room_name": r.optional("RoomName"),
            "room_status": r.optional("RoomStatus"),
            "room_type": r.optional("RoomType"),
        }


@attrs.frozen(kw_only=True)
class RoomCreated(RoomEvent):
    """``room-created``."""

    EVENT = EventType.ROOM_CREATED


@attrs.frozen(kw_only=True)
class RoomEnded(RoomEvent):
    """``room-ended``; ``room_duration`` in seconds. For REST-created rooms it fires only after
    the empty/unused room timeout."""

    EVENT = EventType.ROOM_ENDED
    room_duration: int | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), "room_duration": r.integer("RoomDuration")}


@attrs.frozen(kw_only=True)
class ParticipantEvent(RoomEvent):
    """A participant or track event; ``participant_status`` is ``connected``/``disconnected``."""

    participant_sid: str
    participant_identity: str | None = None
    participant_status: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "participant_sid": r.required("ParticipantSid"),
            "participant_identity": r.optional("ParticipantIdentity"),
            "participant_status": r.optional("ParticipantStatus"),
        }


@attrs.frozen(kw_only=True)
class ParticipantConnected(ParticipantEvent):
    """``participant-connected``."""

    EVENT = EventType.PARTICIPANT_CONNECTED


@attrs.frozen(kw_only=True)
class ParticipantDisconnected(ParticipantEvent):
    """``participant-disconnected``; ``participant_duration`` in seconds."""

    EVENT = EventType.PARTICIPANT_DISCONNECTED
    participant_duration: int | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), "participant_duration": r.integer("ParticipantDuration")}


@attrs.frozen(kw_only=True)
class TrackEvent(ParticipantEvent):
    """A published track changed; ``track_kind`` is ``audio``/``video``/``data``."""

    track_sid: str
    track_kind: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "track_sid": r.required("TrackSid"),
            "track_kind": r.optional("TrackKind"),
        }


@attrs.frozen(kw_only=True)
class TrackAdded(TrackEvent):
    """``track-added``."""

    EVENT = EventType.TRACK_ADDED


@attrs.frozen(kw_only=True)
class TrackRemoved(TrackEvent):
    """``track-removed``."""

    EVENT = EventType.TRACK_REMOVED


@attrs.frozen(kw_only=True)
class TrackEnabled(TrackEvent):
    """``track-enabled``: the participant unpaused the track."""

    EVENT = EventType.TRACK_ENABLED


@attrs.frozen(kw_only=True)
class TrackDisabled(TrackEvent):
    """``track-disabled``: the participant paused the track."""

    EVENT = EventType.TRACK_DISABLED
