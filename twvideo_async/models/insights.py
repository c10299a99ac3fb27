"""Video Insights (Log Analyzer) summaries: ``https://insights.twilio.com/v1/Video/Rooms``.

A room summary and its participant summaries describe a room after it ended (Twilio publishes
them about 10, up to 30, minutes later and keeps them 7 days). Their enums spell values with
underscores (``peer_to_peer``, ``in_progress``), unlike the Video API's (``peer-to-peer``), so
they are classes of their own. Like every model field typed ``Enum | str``, a value Twilio adds
(or drops from the spec, as it did in 2026) arrives as a plain ``str`` instead of failing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Model
from .enums import HttpMethod, _WireEnum

__all__ = [
    "INSIGHTS_ENUM_SCHEMAS",
    "INSIGHTS_SCHEMA_MODELS",
    "EdgeLocation",
    "MediaRealm",
    "ParticipantSummary",
    "ParticipantSummaryStatus",
    "ProcessingState",
    "RoomCreatedMethod",
    "RoomEndReason",
    "RoomSummary",
    "SummaryCodec",
    "SummaryRoomStatus",
    "SummaryRoomType",
]


class SummaryRoomType(_WireEnum):
    """Room type as Insights spells it."""

    GO = "go"
    PEER_TO_PEER = "peer_to_peer"
    GROUP = "group"
    GROUP_SMALL = "group_small"


class SummaryRoomStatus(_WireEnum):
    """Room status as Insights spells it."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ParticipantSummaryStatus(_WireEnum):
    """A participant's status in its summary."""

    IN_PROGRESS = "in_progress"
    CONNECTED = "connected"
    COMPLETED = "completed"
    DISCONNECTED = "disconnected"


class SummaryCodec(_WireEnum):
    """Codecs seen in a room or published by a participant."""

    VP8 = "VP8"
    H264 = "H264"
    VP9 = "VP9"
    OPUS = "opus"


class RoomCreatedMethod(_WireEnum):
    """How the room was created."""

    SDK = "sdk"
    AD_HOC = "ad_hoc"
    API = "api"


class RoomEndReason(_WireEnum):
    """Why the room ended."""

    ROOM_ENDED_VIA_API = "room_ended_via_api"
    TIMEOUT = "timeout"


class ProcessingState(_WireEnum):
    """Whether the summary is final (``complete``) or may still grow (``in_progress``)."""

    COMPLETE = "complete"
    IN_PROGRESS = "in_progress"
    TIMEOUT = "timeout"
    NOT_STARTED = "not_started"


class EdgeLocation(_WireEnum):
    """Twilio edge location the media went through."""

    ASHBURN = "ashburn"
    DUBLIN = "dublin"
    FRANKFURT = "frankfurt"
    SINGAPORE = "singapore"
    SYDNEY = "sydney"
    SAO_PAULO = "sao_paulo"
    ROAMING = "roaming"
    UMATILLA = "umatilla"
    TOKYO = "tokyo"


class MediaRealm(_WireEnum):
    """Twilio media region (``twilio_realm``) of the room or participant."""

    US1 = "us1"
    US2 = "us2"
    AU1 = "au1"
    BR1 = "br1"
    IE1 = "ie1"
    JP1 = "jp1"
    SG1 = "sg1"
    IN1 = "in1"
    DE1 = "de1"
    GLL = "gll"


@attrs.frozen(kw_only=True)
class RoomSummary(Model):
    """The Log Analyzer summary of one room.

    Attributes:
        account_sid: Account of the room.
        room_sid: The room (``RM...``).
        room_name: The room's unique name.
        create_time: When the room was created (UTC).
        end_time: When the room ended (UTC).
        room_type: ``go``, ``peer_to_peer``, ``group`` or ``group_small``.
        room_status: ``in_progress`` or ``completed``.
        status_callback: The room's status callback URL.
        status_callback_method: ``GET`` or ``POST``.
        created_method: ``sdk``, ``ad_hoc`` or ``api``.
        end_reason: ``room_ended_via_api`` or ``timeout``.
        max_participants: Participants allowed by the application settings.
        unique_participants: Participants, rejoins counted again.
        unique_participant_identities: Distinct identities.
        concurrent_participants: Most participants at the same time.
        max_concurrent_participants: Concurrent participants allowed by the settings.
        codecs: Codecs used in the room.
        media_region: Region of the media servers (``us1``, ...).
        duration_sec: Seconds from creation to end.
        total_participant_duration_sec: Participant seconds, summed.
        total_recording_duration_sec: Recorded seconds, summed.
        processing_state: ``complete`` once nothing more will be added.
        recording_enabled: Whether recording was enabled.
        edge_location: Edge location of the media servers.
        url: Absolute URL of the summary.
        links: ``participants``: the participant summaries.
    """

    account_sid: str | None = None
    room_sid: str
    room_name: str | None = None
    create_time: datetime | None = None
    end_time: datetime | None = None
    room_type: SummaryRoomType | str | None = None
    room_status: SummaryRoomStatus | str | None = None
    status_callback: str | None = None
    status_callback_method: HttpMethod | str | None = None
    created_method: RoomCreatedMethod | str | None = None
    end_reason: RoomEndReason | str | None = None
    max_participants: int | None = None
    unique_participants: int | None = None
    unique_participant_identities: int | None = None
    concurrent_participants: int | None = None
    max_concurrent_participants: int | None = None
    codecs: tuple[SummaryCodec | str, ...] | None = None
    media_region: MediaRealm | str | None = None
    duration_sec: int | None = None
    total_participant_duration_sec: int | None = None
    total_recording_duration_sec: int | None = None
    processing_state: ProcessingState | str | None = None
    recording_enabled: bool | None = None
    edge_location: EdgeLocation | str | None = None
    url: str | None = None
    links: Mapping[str, str] | None = None


@attrs.frozen(kw_only=True)
class ParticipantSummary(Model):
    """The Log Analyzer summary of one participant of a room.

    Attributes:
        participant_sid: The participant (``PA...``).
        participant_identity: The participant's identity.
        join_time: When the participant joined (UTC).
        leave_time: When the participant left (UTC).
        duration_sec: Seconds in the room.
        account_sid: Account of the room.
        room_sid: The room (``RM...``).
        status: ``in_progress``, ``connected``, ``completed`` or ``disconnected``.
        codecs: Codecs the participant published.
        end_reason: Why the participant left (free text at Twilio).
        error_code: Twilio error code the participant met, if any.
        error_code_url: Link to that error's description.
        media_region: Media region the participant connected to.
        properties: Details of the participant's connection (a JSON object).
        edge_location: Edge location the participant connected to.
        publisher_info: SDK name and version (a JSON object).
        url: Absolute URL of the summary.
    """

    participant_sid: str
    participant_identity: str | None = None
    join_time: datetime | None = None
    leave_time: datetime | None = None
    duration_sec: int | None = None
    account_sid: str | None = None
    room_sid: str | None = None
    status: ParticipantSummaryStatus | str | None = None
    codecs: tuple[SummaryCodec | str, ...] | None = None
    end_reason: str | None = None
    error_code: int | None = None
    error_code_url: str | None = None
    media_region: MediaRealm | str | None = None
    properties: Mapping[str, Any] | None = None
    edge_location: EdgeLocation | str | None = None
    publisher_info: Mapping[str, Any] | None = None
    url: str | None = None


# Insights spec enum schema name -> the class covering its values (tests check they match).
INSIGHTS_ENUM_SCHEMAS: dict[str, type[enum.Enum]] = {
    "video_room_summary_enum_codec": SummaryCodec,
    "video_room_summary_enum_created_method": RoomCreatedMethod,
    "video_room_summary_enum_edge_location": EdgeLocation,
    "video_room_summary_enum_end_reason": RoomEndReason,
    "video_room_summary_enum_processing_state": ProcessingState,
    "video_room_summary_enum_room_status": SummaryRoomStatus,
    "video_room_summary_enum_room_type": SummaryRoomType,
    "video_room_summary_enum_twilio_realm": MediaRealm,
    "video_participant_summary_enum_codec": SummaryCodec,
    "video_participant_summary_enum_edge_location": EdgeLocation,
    "video_participant_summary_enum_room_status": ParticipantSummaryStatus,
    "video_participant_summary_enum_twilio_realm": MediaRealm,
}

# Insights spec schema name -> model class.
INSIGHTS_SCHEMA_MODELS: dict[str, type[Model]] = {
    "insights.v1.video_room_summary": RoomSummary,
    "insights.v1.video_room_summary.video_participant_summary": ParticipantSummary,
}
