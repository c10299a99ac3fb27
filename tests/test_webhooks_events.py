"""parse_event: every Video status-callback event, typed fields, extras, malformed payloads."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from multidict import MultiDict

from twvideo_async.webhooks import (
    CompositionAvailable,
    CompositionEnqueued,
    CompositionEvent,
    CompositionFailed,
    CompositionHookFailed,
    CompositionProgress,
    CompositionStarted,
    EventType,
    ParticipantConnected,
    ParticipantDisconnected,
    ParticipantEvent,
    RecordingCompleted,
    RecordingEvent,
    RecordingFailed,
    RecordingStarted,
    RoomCreated,
    RoomEnded,
    RoomEvent,
    TrackAdded,
    TrackDisabled,
    TrackEnabled,
    TrackEvent,
    TrackRemoved,
    UnknownEvent,
    VideoEvent,
    WebhookPayloadError,
    parse_event,
)

AC = "AC" + "0" * 32
RM = "RM" + "1" * 32
PA = "PA" + "2" * 32
MT = "MT" + "3" * 32
RT = "RT" + "4" * 32
CJ = "CJ" + "5" * 32
HK = "HK" + "6" * 32
TS = "2026-03-04T05:06:07.890Z"
WHEN = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)

ROOM = {
    "AccountSid": AC,
    "RoomName": "standup",
    "RoomSid": RM,
    "RoomStatus": "in-progress",
    "RoomType": "group",
    "Timestamp": TS,
    "SequenceNumber": "3",
}
PARTICIPANT = {
    **ROOM,
    "ParticipantSid": PA,
    "ParticipantStatus": "connected",
    "ParticipantIdentity": "alice",
}
TRACK = {**PARTICIPANT, "TrackSid": MT, "TrackKind": "audio"}
RECORDING = {
    "AccountSid": AC,
    "RecordingSid": RT,
    "Timestamp": TS,
    "RoomSid": RM,
    "RoomName": "standup",
    "RoomType": "group",
    "ParticipantSid": PA,
    "ParticipantIdentity": "alice",
    "SourceSid": MT,
    "TrackName": "mic",
    "RecordingUri": f"/v1/Recordings/{RT}",
    "Container": "mka",
    "Codec": "OPUS",
    "Type": "audio",
    "OffsetFromTwilioVideoEpoch": "1234567",
}
COMPOSITION = {
    "AccountSid": AC,
    "RoomSid": RM,
    "Timestamp": TS,
    "CompositionSid": CJ,
    "CompositionUri": f"/v1/Compositions/{CJ}",
}
HOOK = {
    "HookSid": HK,
    "HookUri": f"/v1/CompositionHooks/{HK}",
    "HookFriendlyName": "all-rooms",
}


def _event(name: str, base: dict[str, str], **extra: str) -> dict[str, str]:
    return {"StatusCallbackEvent": name, **base, **extra}


CASES: list[tuple[dict[str, str], type[VideoEvent], dict[str, Any]]] = [
    (_event("room-created", ROOM), RoomCreated, {"room_status": "in-progress"}),
    (
        _event("room-ended", ROOM, RoomStatus="completed", RoomDuration="321"),
        RoomEnded,
        {"room_duration": 321, "room_status": "completed"},
    ),
    (
        _event("participant-connected", PARTICIPANT),
        ParticipantConnected,
        {"participant_identity": "alice", "participant_status": "connected"},
    ),
    (
        _event(
            "participant-disconnected",
            PARTICIPANT,
            ParticipantStatus="disconnected",
            ParticipantDuration="42",
        ),
        ParticipantDisconnected,
        {"participant_duration": 42, "participant_status": "disconnected"},
    ),
    (_event("track-added", TRACK), TrackAdded, {"track_sid": MT, "track_kind": "audio"}),
    (_event("track-removed", TRACK), TrackRemoved, {"track_sid": MT}),
    (_event("track-enabled", TRACK, TrackKind="video"), TrackEnabled, {"track_kind": "video"}),
    (_event("track-disabled", TRACK, TrackKind="data"), TrackDisabled, {"track_kind": "data"}),
    (
        _event("recording-started", RECORDING),
        RecordingStarted,
        {
            "recording_sid": RT,
            "source_sid": MT,
            "track_name": "mic",
            "container": "mka",
            "codec": "OPUS",
            "type": "audio",
            "offset_from_twilio_video_epoch": 1234567,
            "recording_uri": f"/v1/Recordings/{RT}",
            "recording_url": f"https://video.twilio.com/v1/Recordings/{RT}",
        },
    ),
    (
        _event(
            "recording-completed",
            RECORDING,
            MediaUri=f"/v1/Recordings/{RT}/Media",
            Duration="60",
            Size="1048576",
            MediaExternalLocation="https://bucket.s3.amazonaws.com/rec.mka",
        ),
        RecordingCompleted,
        {
            "media_uri": f"/v1/Recordings/{RT}/Media",
            "media_url": f"https://video.twilio.com/v1/Recordings/{RT}/Media",
            "duration": 60,
            "size": 1048576,
            "media_external_location": "https://bucket.s3.amazonaws.com/rec.mka",
        },
    ),
    (
        _event("recording-failed", RECORDING, FailedOperation="RecordingUpload"),
        RecordingFailed,
        {"failed_operation": "RecordingUpload"},
    ),
    (
        _event("composition-enqueued", COMPOSITION, **HOOK),
        CompositionEnqueued,
        {
            "composition_sid": CJ,
            "hook_sid": HK,
            "hook_friendly_name": "all-rooms",
            "hook_url": f"https://video.twilio.com/v1/CompositionHooks/{HK}",
        },
    ),
    (
        _event(
            "composition-hook-failed",
            {"AccountSid": AC, "RoomSid": RM, "Timestamp": TS},
            **HOOK,
            FailedOperation="CompositionCreate",
            ErrorMessage="no media",
        ),
        CompositionHookFailed,
        {"hook_sid": HK, "failed_operation": "CompositionCreate", "error_message": "no media"},
    ),
    (
        _event("composition-started", COMPOSITION),
        CompositionStarted,
        {
            "composition_uri": f"/v1/Compositions/{CJ}",
            "composition_url": f"https://video.twilio.com/v1/Compositions/{CJ}",
        },
    ),
    (
        _event("composition-progress", COMPOSITION, PercentageDone="40", SecondsRemaining="12"),
        CompositionProgress,
        {"percentage_done": 40, "seconds_remaining": 12},
    ),
    (
        _event(
            "composition-available",
            COMPOSITION,
            MediaUri=f"/v1/Compositions/{CJ}/Media",
            Duration="90",
            Size="2048",
        ),
        CompositionAvailable,
        {
            "media_url": f"https://video.twilio.com/v1/Compositions/{CJ}/Media",
            "duration": 90,
            "size": 2048,
            "media_external_location": None,
        },
    ),
    (
        _event("composition-failed", COMPOSITION, ErrorMessage="boom"),
        CompositionFailed,
        {"error_message": "boom", "failed_operation": None},
    ),
]


def test_every_modelled_event_has_a_case() -> None:
    assert {params["StatusCallbackEvent"] for params, _, _ in CASES} == {e.value for e in EventType}


@pytest.mark.parametrize(
    ("params", "cls", "expected"), CASES, ids=[p["StatusCallbackEvent"] for p, _, _ in CASES]
)
def test_every_event_parses(
    params: dict[str, str], cls: type[VideoEvent], expected: dict[str, Any]
) -> None:
    event = parse_event(params)
    assert type(event) is cls
    assert event.event == params["StatusCallbackEvent"] == cls.EVENT  # type: ignore[attr-defined]
    assert event.account_sid == AC  # type: ignore[attr-defined]
    assert event.timestamp == WHEN  # type: ignore[attr-defined]
    assert event.room_sid == RM  # type: ignore[attr-defined]
    for name, value in expected.items():
        assert getattr(event, name) == value, name
    assert dict(event.raw) == params


def test_family_base_classes() -> None:
    by_name = {p["StatusCallbackEvent"]: parse_event(p) for p, _, _ in CASES}
    assert isinstance(by_name["room-ended"], RoomEvent)
    assert isinstance(by_name["track-added"], TrackEvent)
    assert isinstance(by_name["track-added"], ParticipantEvent)
    assert isinstance(by_name["recording-failed"], RecordingEvent)
    assert isinstance(by_name["composition-hook-failed"], CompositionEvent)
    assert not isinstance(by_name["recording-started"], RoomEvent)


def test_room_fields() -> None:
    event = parse_event(_event("room-created", ROOM))
    assert event == RoomCreated(
        event="room-created",
        account_sid=AC,
        timestamp=WHEN,
        sequence_number=3,
        room_sid=RM,
        room_name="standup",
        room_status="in-progress",
        room_type="group",
    )


def test_optional_fields_absent_or_empty_are_none() -> None:
    params = _event("room-ended", {"AccountSid": AC, "RoomSid": RM, "Timestamp": TS})
    event = parse_event({**params, "RoomDuration": "", "RoomName": ""})
    assert isinstance(event, RoomEnded)
    assert event.room_duration is None and event.room_name is None
    assert event.sequence_number is None


def test_extra_parameters_are_kept_in_raw() -> None:
    params = _event("track-added", TRACK, TrackName="camera", NewThing="x")
    event = parse_event(params)
    assert event.raw["NewThing"] == "x" and event.raw["TrackName"] == "camera"
    with pytest.raises(TypeError):
        event.raw["NewThing"] = "y"  # type: ignore[index]
    # raw is not part of equality or repr.
    assert event == parse_event(_event("track-added", TRACK))
    assert "NewThing" not in repr(event)


def test_unknown_event_keeps_everything() -> None:
    params = {"StatusCallbackEvent": "room-teleported", "AccountSid": AC, "Timestamp": TS, "X": "1"}
    event = parse_event(params)
    assert type(event) is UnknownEvent
    assert event.event == "room-teleported"
    assert event.account_sid == AC and event.timestamp == WHEN
    assert dict(event.raw) == params
    bare = parse_event({"StatusCallbackEvent": "other"})
    assert bare == UnknownEvent(event="other")


def test_custom_base_url_and_absolute_uris() -> None:
    params = _event("recording-completed", RECORDING, MediaUri=f"/v1/Recordings/{RT}/Media")
    event = parse_event(params, base_url="http://127.0.0.1:8080/emulator/")
    assert isinstance(event, RecordingCompleted)
    assert event.media_url == f"http://127.0.0.1:8080/emulator/v1/Recordings/{RT}/Media"
    already = parse_event({**params, "MediaUri": "https://elsewhere.example/m"})
    assert isinstance(already, RecordingCompleted)
    assert already.media_uri == already.media_url == "https://elsewhere.example/m"
    with pytest.raises(ValueError, match="absolute"):
        parse_event(params, base_url="video.twilio.com")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        ("2026-03-04T05:06:07.5Z", datetime(2026, 3, 4, 5, 6, 7, 500000, tzinfo=timezone.utc)),
        (
            "2026-03-04T05:06:07.123456789Z",
            datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=timezone.utc),
        ),
        ("2026-03-04T07:06:07+02:00", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        ("2026-03-04T00:06:07-0500", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        ("2026-03-04 05:06:07", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
    ],
)
def test_timestamp_formats(raw: str, expected: datetime) -> None:
    event = parse_event(_event("room-created", ROOM, Timestamp=raw))
    assert isinstance(event, RoomCreated)
    assert event.timestamp == expected
    assert event.timestamp.utcoffset() == timedelta(0)


def test_events_sort_by_timestamp_not_sequence_number() -> None:
    late = parse_event(
        _event("room-ended", ROOM, Timestamp="2026-03-04T05:07:00Z", SequenceNumber="1")
    )
    early = parse_event(
        _event("room-created", ROOM, Timestamp="2026-03-04T05:00:00Z", SequenceNumber="9")
    )
    ordered = sorted([late, early], key=lambda e: e.timestamp)  # type: ignore[attr-defined]
    assert [e.event for e in ordered] == ["room-created", "room-ended"]


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({k: v for k, v in ROOM.items()}, "StatusCallbackEvent", "missing"),
        (_event("room-created", ROOM, StatusCallbackEvent=""), "StatusCallbackEvent", "missing"),
        (_event("recording-completed", RECORDING, Size="12kB"), "Size", "integer"),
        (_event("recording-completed", RECORDING, Duration="1.5"), "Duration", "integer"),
        (_event("room-ended", ROOM, RoomDuration="ten"), "RoomDuration", "integer"),
        (_event("room-created", ROOM, Timestamp="yesterday"), "Timestamp", "ISO-8601"),
        (_event("room-created", ROOM, Timestamp="2026-02-30T00:00:00Z"), "Timestamp", "ISO-8601"),
        (_event("room-created", ROOM, Timestamp=""), "Timestamp", "missing"),
        (_event("room-created", ROOM, SequenceNumber="x"), "SequenceNumber", "integer"),
        (_event("room-created", ROOM, RoomSid=""), "RoomSid", "missing"),
        (_event("track-added", PARTICIPANT), "TrackSid", "missing"),
        (_event("recording-started", ROOM), "RecordingSid", "missing"),
        (_event("composition-started", ROOM), "CompositionSid", "missing"),
        (_event("composition-hook-failed", ROOM), "HookSid", "missing"),
        (
            _event("composition-progress", COMPOSITION, PercentageDone="half"),
            "PercentageDone",
            "integer",
        ),
        (_event("room-created", {**ROOM, "AccountSid": ""}), "AccountSid", "missing"),
    ],
)
def test_malformed_payloads_name_the_field(
    params: dict[str, str], field: str, problem: str
) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(params)
    assert info.value.field == field
    assert field in str(info.value) and problem in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_text_value_is_a_payload_error() -> None:
    with pytest.raises(WebhookPayloadError, match=r"'Media'.*text"):
        parse_event({"StatusCallbackEvent": "room-created", "Media": b"bytes"})


def test_multidict_and_pairs_input() -> None:
    params = _event("room-created", ROOM)
    from_multi = parse_event(MultiDict(params))
    from_pairs = parse_event([*params.items(), ("RoomSid", "RMignored")])
    assert from_multi == from_pairs == parse_event(params)


def test_events_are_frozen_and_pickle() -> None:
    event = parse_event(_event("participant-disconnected", PARTICIPANT, ParticipantDuration="5"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event = "x"  # type: ignore[misc]
    error = WebhookPayloadError("Size", "expected an integer")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, str(copy)) == ("Size", str(error))
