"""Every operation of the spec, reached on the emulator with its documented success status and a
body that matches the spec's schema (all properties, right types, URLs on the emulator)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.test_emulator_support import (
    OPERATIONS,
    Api,
    api,
    check_response,
    twvideo_emulator,
    twvideo_emulator_options,
)
from twvideo_async.testing import Emulator

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]


@dataclass
class World:
    """A seeded completed room plus a live room with two connected participants."""

    room: str  # completed, seeded
    recording: str  # completed recording of ``room``
    composition: str
    live: str  # in-progress room recording everyone
    spare: str  # in-progress room without transcriptions
    alice: str
    bob: str
    alice_audio: str
    bob_audio: str
    live_recording: str
    hook: str
    ttid: str


def build_world(emu: Emulator) -> World:
    seeded = emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=1)
    state = emu.state
    live = state.create_room(unique_name="live", record_participants_on_connect=True)
    spare = state.create_room(unique_name="spare")
    alice = state.connect_participant(live, "alice")
    bob = state.connect_participant(live, "bob")
    alice_audio = next(t for t in alice.tracks.values() if t.kind == "audio")
    bob_audio = next(t for t in bob.tracks.values() if t.kind == "audio")
    transcription = state.create_transcription(live, {"languageCode": "en-US"})
    live_recording = live.active_recordings[alice_audio.sid]
    hook = state.create_hook("archive", enabled=False, audio_sources=["*"], format="mp4")
    return World(
        room=seeded.rooms[0],
        recording=seeded.recordings[0],
        composition=seeded.compositions[0],
        live=live.sid,
        spare=spare.sid,
        alice=alice.sid,
        bob=bob.sid,
        alice_audio=alice_audio.sid,
        bob_audio=bob_audio.sid,
        live_recording=live_recording,
        hook=hook.sid,
        ttid=transcription.ttid,
    )


Request = tuple[str, dict[str, Any] | list[tuple[str, str]] | None, int]
CALLS: dict[str, Callable[[World], Request]] = {
    "CreateRoom": lambda w: ("/v1/Rooms", {"UniqueName": "new", "Type": "group"}, 201),
    "ListRoom": lambda w: ("/v1/Rooms", {"Status": "completed"}, 200),
    "FetchRoom": lambda w: (f"/v1/Rooms/{w.room}", None, 200),
    "UpdateRoom": lambda w: (f"/v1/Rooms/{w.live}", {"Status": "completed"}, 202),
    "ListRoomParticipant": lambda w: (f"/v1/Rooms/{w.live}/Participants", None, 200),
    "FetchRoomParticipant": lambda w: (f"/v1/Rooms/{w.live}/Participants/{w.alice}", None, 200),
    "UpdateRoomParticipant": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}",
        {"Status": "disconnected"},
        202,
    ),
    "UpdateRoomParticipantAnonymize": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/Anonymize",
        {},
        200,
    ),
    "ListRoomParticipantPublishedTrack": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/PublishedTracks",
        None,
        200,
    ),
    "FetchRoomParticipantPublishedTrack": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/PublishedTracks/{w.alice_audio}",
        None,
        200,
    ),
    "ListRoomParticipantSubscribedTrack": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/SubscribedTracks",
        None,
        200,
    ),
    "FetchRoomParticipantSubscribedTrack": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/SubscribedTracks/{w.bob_audio}",
        None,
        200,
    ),
    "FetchRoomParticipantSubscribeRule": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/SubscribeRules",
        None,
        200,
    ),
    "UpdateRoomParticipantSubscribeRule": lambda w: (
        f"/v1/Rooms/{w.live}/Participants/{w.alice}/SubscribeRules",
        {"Rules": json.dumps([{"type": "include", "kind": "audio"}])},
        200,
    ),
    "ListRoomRecording": lambda w: (f"/v1/Rooms/{w.room}/Recordings", None, 200),
    "FetchRoomRecording": lambda w: (f"/v1/Rooms/{w.room}/Recordings/{w.recording}", None, 200),
    "DeleteRoomRecording": lambda w: (f"/v1/Rooms/{w.room}/Recordings/{w.recording}", None, 204),
    "FetchRoomRecordingRule": lambda w: (f"/v1/Rooms/{w.live}/RecordingRules", None, 200),
    "UpdateRoomRecordingRule": lambda w: (
        f"/v1/Rooms/{w.live}/RecordingRules",
        {"Rules": json.dumps([{"type": "include", "kind": "audio"}])},
        200,
    ),
    "CreateRoomTranscriptions": lambda w: (
        f"/v1/Rooms/{w.spare}/Transcriptions",
        {"Configuration": json.dumps({"languageCode": "en-US"})},
        202,
    ),
    "ListRoomTranscriptions": lambda w: (f"/v1/Rooms/{w.live}/Transcriptions", None, 200),
    "FetchRoomTranscriptions": lambda w: (
        f"/v1/Rooms/{w.live}/Transcriptions/{w.ttid}",
        None,
        200,
    ),
    "UpdateRoomTranscriptions": lambda w: (
        f"/v1/Rooms/{w.live}/Transcriptions/{w.ttid}",
        {"Status": "stopped"},
        202,
    ),
    "ListRecording": lambda w: ("/v1/Recordings", {"GroupingSid": w.room}, 200),
    "FetchRecording": lambda w: (f"/v1/Recordings/{w.live_recording}", None, 200),
    "DeleteRecording": lambda w: (f"/v1/Recordings/{w.recording}", None, 204),
    "FetchRecordingSettings": lambda w: ("/v1/RecordingSettings/Default", None, 200),
    "CreateRecordingSettings": lambda w: (
        "/v1/RecordingSettings/Default",
        {"FriendlyName": "recordings", "AwsStorageEnabled": "false"},
        200,
    ),
    "CreateComposition": lambda w: (
        "/v1/Compositions",
        [
            ("RoomSid", w.room),
            ("AudioSources", "microphone"),
            ("AudioSources", "PA*"),
            ("VideoLayout", json.dumps({"grid": {"video_sources": ["*"]}})),
            ("Format", "mp4"),
        ],
        201,
    ),
    "ListComposition": lambda w: ("/v1/Compositions", {"RoomSid": w.room}, 200),
    "FetchComposition": lambda w: (f"/v1/Compositions/{w.composition}", None, 200),
    "DeleteComposition": lambda w: (f"/v1/Compositions/{w.composition}", None, 204),
    "CreateCompositionHook": lambda w: (
        "/v1/CompositionHooks",
        {"FriendlyName": "every room", "AudioSources": "*"},
        201,
    ),
    "ListCompositionHook": lambda w: ("/v1/CompositionHooks", {"FriendlyName": "arch*"}, 200),
    "FetchCompositionHook": lambda w: (f"/v1/CompositionHooks/{w.hook}", None, 200),
    "UpdateCompositionHook": lambda w: (
        f"/v1/CompositionHooks/{w.hook}",
        {"FriendlyName": "renamed", "AudioSources": "*"},
        200,
    ),
    "DeleteCompositionHook": lambda w: (f"/v1/CompositionHooks/{w.hook}", None, 204),
    "FetchCompositionSettings": lambda w: ("/v1/CompositionSettings/Default", None, 200),
    "CreateCompositionSettings": lambda w: (
        "/v1/CompositionSettings/Default",
        {"FriendlyName": "compositions", "EncryptionEnabled": "false"},
        200,
    ),
}


def test_every_spec_operation_is_exercised() -> None:
    assert set(CALLS) == set(OPERATIONS)
    assert len(CALLS) == 39


@pytest.mark.parametrize("operation_id", sorted(CALLS))
async def test_operation(api: Api, operation_id: str) -> None:
    world = build_world(api.emu)
    method, template, _ = OPERATIONS[operation_id]
    path, payload, status = CALLS[operation_id](world)
    # The call's path must be an instance of the spec's path template.
    pattern = re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template))
    assert re.fullmatch(pattern, path), (path, template)
    if method == "POST":
        reply = await api.post(path, payload)
    else:
        reply = await api.call(method, path, params=payload)
    assert reply.status == status, reply.text
    assert re.fullmatch(r"RQ[0-9a-f]{32}", reply.headers["Twilio-Request-Id"])
    assert int(reply.headers["Twilio-Concurrent-Requests"]) >= 1
    if status == 204:
        assert reply.text == ""
        return
    check_response(operation_id, status, reply.body, origin=api.emu.base_url)
    if "meta" in reply.body:
        key = reply.body["meta"]["key"]
        assert reply.body[key], f"{operation_id} returned an empty page"
