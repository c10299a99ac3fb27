"""Typed, frozen models of every Video v1 response, and their enums.

Every model keeps the JSON object it was built from in ``raw`` (read-only), so fields Twilio
adds later stay reachable before the SDK models them.
"""

from __future__ import annotations

from ._base import Model
from .composition import Composition
from .composition_hook import CompositionHook
from .enums import (
    ENUM_SCHEMAS,
    CompositionFormat,
    CompositionStatus,
    HttpMethod,
    ParticipantStatus,
    RecordingCodec,
    RecordingFormat,
    RecordingStatus,
    RecordingType,
    RoomStatus,
    RoomType,
    TrackKind,
    TranscriptionStatus,
    VideoCodec,
)
from .insights import (
    INSIGHTS_ENUM_SCHEMAS,
    INSIGHTS_SCHEMA_MODELS,
    EdgeLocation,
    MediaRealm,
    ParticipantSummary,
    ParticipantSummaryStatus,
    ProcessingState,
    RoomCreatedMethod,
    RoomEndReason,
    RoomSummary,
    SummaryCodec,
    SummaryRoomStatus,
    SummaryRoomType,
)
from .layout import Region
from .participant import Participant, ParticipantAnonymize
from .recording import Recording, RoomRecording
from .room import Room
from .rules import RecordingRule, RecordingRules, SubscribeRule, SubscribeRules
from .settings import CompositionSettings, RecordingSettings
from .track import PublishedTrack, SubscribedTrack
from .transcription import Transcription

__all__ = [
    "ENUM_SCHEMAS",
    "INSIGHTS_ENUM_SCHEMAS",
    "INSIGHTS_SCHEMA_MODELS",
    "SCHEMA_MODELS",
    "Composition",
    "CompositionFormat",
    "CompositionHook",
    "CompositionSettings",
    "CompositionStatus",
    "EdgeLocation",
    "HttpMethod",
    "MediaRealm",
    "Model",
    "Participant",
    "ParticipantAnonymize",
    "ParticipantStatus",
    "ParticipantSummary",
    "ParticipantSummaryStatus",
    "ProcessingState",
    "PublishedTrack",
    "Recording",
    "RecordingCodec",
    "RecordingFormat",
    "RecordingRule",
    "RecordingRules",
    "RecordingSettings",
    "RecordingStatus",
    "RecordingType",
    "Region",
    "Room",
    "RoomCreatedMethod",
    "RoomEndReason",
    "RoomRecording",
    "RoomStatus",
    "RoomSummary",
    "RoomType",
    "SubscribeRule",
    "SubscribeRules",
    "SubscribedTrack",
    "SummaryCodec",
    "SummaryRoomStatus",
    "SummaryRoomType",
    "TrackKind",
    "Transcription",
    "TranscriptionStatus",
    "VideoCodec",
]

# Spec schema name -> model class. The resource layer and the spec-drift tests use it.
SCHEMA_MODELS: dict[str, type[Model]] = {
    "video.v1.composition": Composition,
    "video.v1.composition_hook": CompositionHook,
    "video.v1.composition_settings": CompositionSettings,
    "video.v1.recording": Recording,
    "video.v1.recording_settings": RecordingSettings,
    "video.v1.room": Room,
    "video.v1.room.room_participant": Participant,
    "video.v1.room.room_participant.room_participant_anonymize": ParticipantAnonymize,
    "video.v1.room.room_participant.room_participant_published_track": PublishedTrack,
    "video.v1.room.room_participant.room_participant_subscribe_rule": SubscribeRules,
    "video.v1.room.room_participant.room_participant_subscribed_track": SubscribedTrack,
    "video.v1.room.room_recording": RoomRecording,
    "video.v1.room.room_recording_rule": RecordingRules,
    "video.v1.room.room_transcriptions": Transcription,
}
