"""String enums for every ``*_enum_*`` schema of the Video v1 spec.

Members compare equal to their exact wire value (``RoomStatus.COMPLETED == "completed"``,
``RecordingCodec.OPUS == "OPUS"``, not ``"opus"``). Model fields are typed ``Enum | str``: a value
Twilio adds later arrives as a plain ``str`` instead of failing, and known values are matched
case-insensitively when decoded or constructed (``RecordingCodec("opus")`` is ``OPUS``).
Identical spec enums share one class (e.g. recording and room-recording status).
"""

from __future__ import annotations

import enum

__all__ = [
    "ENUM_SCHEMAS",
    "CompositionFormat",
    "CompositionStatus",
    "HttpMethod",
    "ParticipantStatus",
    "RecordingCodec",
    "RecordingFormat",
    "RecordingStatus",
    "RecordingType",
    "RoomStatus",
    "RoomType",
    "TrackKind",
    "TranscriptionStatus",
    "VideoCodec",
]


class _WireEnum(str, enum.Enum):
    # str() gives the wire value, so f-strings and form encoding need no ``.value``.
    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> _WireEnum | None:
        # Construction matches any case (``RecordingCodec("opus") is RecordingCodec.OPUS``), as
        # decoding does. Equality stays exact: a case-insensitive ``__eq__`` could not keep
        # ``hash`` consistent with ``str`` (dict keys and sets would disagree with ``==``).
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded:
                    return member
        return None


class RoomStatus(_WireEnum):
    """Room lifecycle. Only ``completed`` can be requested (to end a room)."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


class RoomType(_WireEnum):
    """Room type. Use ``group``; the others are deprecated."""

    GROUP = "group"
    GO = "go"
    PEER_TO_PEER = "peer-to-peer"
    GROUP_SMALL = "group-small"


class VideoCodec(_WireEnum):
    """Video codecs a room accepts for published tracks."""

    VP8 = "VP8"
    H264 = "H264"


class ParticipantStatus(_WireEnum):
    """Participant connection state."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"


class TrackKind(_WireEnum):
    """Kind of a published or subscribed track."""

    AUDIO = "audio"
    VIDEO = "video"
    DATA = "data"


class RecordingStatus(_WireEnum):
    """Recording state: media is downloadable only when ``completed``."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"


class RecordingType(_WireEnum):
    """A recording's media type."""

    AUDIO = "audio"
    VIDEO = "video"
    DATA = "data"


class RecordingFormat(_WireEnum):
    """Container of a recording: ``mka`` for audio, ``mkv`` for video."""

    MKA = "mka"
    MKV = "mkv"


class RecordingCodec(_WireEnum):
    """Codec of a recorded track."""

    VP8 = "VP8"
    H264 = "H264"
    OPUS = "OPUS"
    PCMU = "PCMU"


class CompositionStatus(_WireEnum):
    """Composition state: media is downloadable only when ``completed``."""

    ENQUEUED = "enqueued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"


class CompositionFormat(_WireEnum):
    """Container format of a composition (and of compositions a hook creates)."""

    MP4 = "mp4"
    WEBM = "webm"


class TranscriptionStatus(_WireEnum):
    """Transcriptions state; ``failed`` is terminal."""

    STARTED = "started"
    STOPPED = "stopped"
    FAILED = "failed"


class HttpMethod(_WireEnum):
    """HTTP method Twilio uses for a status callback."""

    GET = "GET"
    POST = "POST"


# Spec enum schema name -> the class that covers its values (tests check the values match).
ENUM_SCHEMAS: dict[str, type[enum.Enum]] = {
    "composition_enum_status": CompositionStatus,
    "composition_enum_format": CompositionFormat,
    "composition_hook_enum_format": CompositionFormat,
    "recording_enum_status": RecordingStatus,
    "recording_enum_type": RecordingType,
    "recording_enum_format": RecordingFormat,
    "recording_enum_codec": RecordingCodec,
    "room_enum_room_status": RoomStatus,
    "room_enum_room_type": RoomType,
    "room_enum_video_codec": VideoCodec,
    "room_participant_enum_status": ParticipantStatus,
    "room_participant_anonymize_enum_status": ParticipantStatus,
    "room_participant_published_track_enum_kind": TrackKind,
    "room_participant_subscribed_track_enum_kind": TrackKind,
    "room_recording_enum_status": RecordingStatus,
    "room_recording_enum_type": RecordingType,
    "room_recording_enum_format": RecordingFormat,
    "room_recording_enum_codec": RecordingCodec,
    "room_transcriptions_enum_status": TranscriptionStatus,
}
