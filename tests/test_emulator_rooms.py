"""Rooms, participants, tracks, subscribe/recording rules and transcriptions: the behaviour the
real API has beyond the spec (default filters, error codes, name resolution, rule validation)."""

from __future__ import annotations

import json
import re

import pytest

from tests.test_emulator_support import Api, api, twvideo_emulator, twvideo_emulator_options

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]


async def test_create_room_defaults_unique_name_to_the_sid(api: Api) -> None:
    reply = await api.post("/v1/Rooms", {})
    assert reply.status == 201
    room = reply.body
    assert room["unique_name"] == room["sid"]
    assert room["status"] == "in-progress"
    assert room["type"] == "group"
    assert room["max_participants"] == 50
    assert room["end_time"] is None and room["duration"] is None


async def test_unique_name_collides_only_among_in_progress_rooms(api: Api) -> None:
    first = await api.post("/v1/Rooms", {"UniqueName": "standup"})
    again = await api.post("/v1/Rooms", {"UniqueName": "standup"})
    assert again.status == 400
    assert again.body == {
        "code": 53113,
        "message": again.body["message"],
        "more_info": "https://www.twilio.com/docs/errors/53113",
        "status": 400,
    }
    await api.post(f"/v1/Rooms/{first.body['sid']}", {"Status": "completed"})
    reused = await api.post("/v1/Rooms", {"UniqueName": "standup"})
    assert reused.status == 201
    # The name resolves to the in-progress room only.
    by_name = await api.get("/v1/Rooms/standup")
    assert by_name.body["sid"] == reused.body["sid"]
    await api.post(f"/v1/Rooms/{reused.body['sid']}", {"Status": "completed"})
    gone = await api.get("/v1/Rooms/standup")
    assert gone.status == 404
    assert gone.body["code"] == 20404
    assert (await api.get(f"/v1/Rooms/{first.body['sid']}")).body["status"] == "completed"


async def test_completing_twice_is_53112(api: Api) -> None:
    sid = (await api.post("/v1/Rooms", {})).body["sid"]
    done = await api.post(f"/v1/Rooms/{sid}", {"Status": "completed"})
    assert done.status == 202
    assert done.body["status"] == "completed"
    assert done.body["end_time"] is not None
    again = await api.post(f"/v1/Rooms/{sid}", {"Status": "completed"})
    assert (again.status, again.body["code"]) == (400, 53112)
    other = await api.post(f"/v1/Rooms/{sid}", {"Status": "in-progress"})
    assert other.body["code"] == 53112
    no_status = await api.post(f"/v1/Rooms/{sid}", {})
    assert (no_status.status, no_status.body["code"]) == (400, 20001)
    assert "Status" in no_status.body["message"]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"MaxParticipants": "51"}, 53107),
        ({"MaxParticipants": "0"}, 53107),
        ({"Type": "peer-to-peer", "MaxParticipants": "11"}, 53107),
        ({"Type": "huge"}, 53108),
        ({"EmptyRoomTimeout": "61"}, 53109),
        ({"UnusedRoomTimeout": "0"}, 53109),
        ({"StatusCallbackMethod": "PUT"}, 53110),
        ({"StatusCallback": "not a url"}, 53111),
        ({"UniqueName": "x" * 129}, 53101),
        ({"VideoCodecs": "AV1"}, 53114),
        ({"RecordingRules": "[]"}, 53120),
        ({"AudioOnly": "yes"}, 20001),
        ({"TranscriptionsConfiguration": "[1]"}, 20001),
    ],
)
async def test_create_room_validation(api: Api, form: dict[str, str], code: int) -> None:
    reply = await api.post("/v1/Rooms", form)
    assert reply.status == 400
    assert reply.body["code"] == code
    assert reply.body["more_info"].endswith(str(code))


async def test_strict_mode_rejects_unknown_and_repeated_fields(api: Api) -> None:
    typo = await api.post("/v1/Rooms", {"uniqueName": "x"})
    assert typo.status == 400 and "uniqueName" in typo.body["message"]
    twice = await api.post("/v1/Rooms", [("UniqueName", "a"), ("UniqueName", "b")])
    assert twice.status == 400 and "2 times" in twice.body["message"]
    query = await api.call("POST", "/v1/Rooms", params={"UniqueName": "x"})
    assert query.status == 400 and "form body" in query.body["message"]
    as_json = await api.call(
        "POST",
        "/v1/Rooms",
        data=json.dumps({"UniqueName": "x"}),
        headers={"Content-Type": "application/json"},
    )
    assert as_json.status == 400 and "form-urlencoded" in as_json.body["message"]
    bad_filter = await api.get("/v1/Rooms", {"status": "completed"})
    assert bad_filter.status == 400


@pytest.mark.parametrize("twvideo_emulator_options", [{"strict": False}])
async def test_lenient_mode_ignores_unknown_fields(api: Api) -> None:
    reply = await api.post("/v1/Rooms", {"UniqueName": "x", "Colour": "blue"})
    assert reply.status == 201


async def test_room_list_defaults_to_in_progress(api: Api) -> None:
    api.emu.seed(rooms=2)
    live = (await api.post("/v1/Rooms", {"UniqueName": "live"})).body
    default = await api.get("/v1/Rooms")
    assert [r["sid"] for r in default.body["rooms"]] == [live["sid"]]
    completed = await api.get("/v1/Rooms", {"Status": "completed"})
    assert len(completed.body["rooms"]) == 2
    named = await api.get("/v1/Rooms", {"Status": "completed", "UniqueName": "seed-room-2"})
    assert [r["unique_name"] for r in named.body["rooms"]] == ["seed-room-2"]
    window = await api.get(
        "/v1/Rooms",
        {"Status": "completed", "DateCreatedAfter": "2024-01-01T00:30:00Z"},
    )
    assert [r["unique_name"] for r in window.body["rooms"]] == ["seed-room-2"]
    before = await api.get("/v1/Rooms", {"Status": "completed", "DateCreatedBefore": "2024-01-01"})
    assert before.body["rooms"] == []
    bad = await api.get("/v1/Rooms", {"Status": "open"})
    assert bad.status == 400


async def test_participants_default_filter_and_identity_lookup(api: Api) -> None:
    state = api.emu.state
    room = state.create_room(unique_name="class")
    alice = state.connect_participant(room, "alice")
    bob = state.connect_participant(room, "bob")
    state.disconnect_participant(bob)
    base = f"/v1/Rooms/{room.sid}/Participants"
    listed = await api.get(base)
    assert [p["identity"] for p in listed.body["participants"]] == ["alice"]
    gone = await api.get(base, {"Status": "disconnected"})
    assert [p["identity"] for p in gone.body["participants"]] == ["bob"]
    by_identity = await api.get("/v1/Rooms/class/Participants/alice")
    assert by_identity.body["sid"] == alice.sid
    # Identity lookups only see connected participants; the SID always works.
    assert (await api.get(f"{base}/bob")).status == 404
    assert (await api.get(f"{base}/{bob.sid}")).body["status"] == "disconnected"
    assert (await api.get(base, {"Identity": "alice"})).body["participants"][0]["sid"] == alice.sid
    state.complete_room(room)
    after = await api.get(base)
    assert {p["identity"] for p in after.body["participants"]} == {"alice", "bob"}


async def test_kick_participant(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice")
    path = f"/v1/Rooms/{room.sid}/Participants/{alice.sid}"
    wrong = await api.post(path, {"Status": "connected"})
    assert (wrong.status, wrong.body["code"]) == (400, 53209)
    kicked = await api.post(path, {"Status": "disconnected"})
    assert kicked.status == 202
    assert kicked.body["status"] == "disconnected"
    assert kicked.body["duration"] is not None and kicked.body["end_time"] is not None


async def test_anonymize_replaces_identity(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice")
    reply = await api.post(f"/v1/Rooms/{room.sid}/Participants/{alice.sid}/Anonymize", {})
    assert reply.status == 200
    assert reply.body["identity"] == alice.sid
    fetched = await api.get(f"/v1/Rooms/{room.sid}/Participants/{alice.sid}")
    assert fetched.body["identity"] == alice.sid


async def test_published_tracks_by_name_or_sid(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice", tracks=[("audio", "mic"), ("data", "chat")])
    base = f"/v1/Rooms/{room.sid}/Participants/{alice.sid}/PublishedTracks"
    listed = await api.get(base)
    assert sorted(t["kind"] for t in listed.body["published_tracks"]) == ["audio", "data"]
    mic = await api.get(f"{base}/mic")
    assert mic.body["name"] == "mic"
    assert (await api.get(f"{base}/{mic.body['sid']}")).body["name"] == "mic"
    assert (await api.get(f"{base}/camera")).status == 404


async def test_subscribe_rules_select_subscribed_tracks(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice")
    state.connect_participant(room, "bob", tracks=[("audio", "mic"), ("video", "screen")])
    state.connect_participant(room, "carol", tracks=[("audio", "mic"), ("video", "camera")])
    base = f"/v1/Rooms/{room.sid}/Participants/{alice.sid}"

    async def subscribed() -> set[tuple[str, str]]:
        reply = await api.get(f"{base}/SubscribedTracks")
        names = {p.sid: p.identity for p in room.participants.values()}
        return {(names[t["publisher_sid"]], t["name"]) for t in reply.body["subscribed_tracks"]}

    # Twilio installs include-all on connect; own tracks are never subscribed.
    default = await api.get(f"{base}/SubscribeRules")
    assert default.body["rules"] == [
        {
            "type": "include",
            "all": True,
            "publisher": None,
            "track": None,
            "kind": None,
            "priority": None,
        }
    ]
    assert len(await subscribed()) == 4
    rules = [
        {"type": "include", "kind": "audio"},
        {"type": "include", "publisher": "bob", "track": "screen"},
    ]
    reply = await api.post(f"{base}/SubscribeRules", {"Rules": json.dumps(rules)})
    assert reply.status == 200
    assert reply.body["date_updated"] is not None
    assert await subscribed() == {("bob", "mic"), ("carol", "mic"), ("bob", "screen")}
    # Order matters: include everything, then drop carol.
    rules_all: list[dict[str, object]] = [
        {"type": "include", "all": True},
        {"type": "exclude", "publisher": "carol"},
    ]
    await api.post(f"{base}/SubscribeRules", {"Rules": json.dumps({"rules": rules_all})})
    assert await subscribed() == {("bob", "mic"), ("bob", "screen")}
    only_exclude = [{"type": "exclude", "kind": "video"}]
    await api.post(f"{base}/SubscribeRules", {"Rules": json.dumps(only_exclude)})
    assert await subscribed() == set()
    assert (await api.get(f"{base}/SubscribedTracks/mic")).status == 404


INVALID_RULES = [
    "[]",
    "not json",
    json.dumps({"type": "include", "all": True}),
    json.dumps([{"type": "include", "all": True}] * 21),
    json.dumps([{"type": "maybe", "all": True}]),
    json.dumps([{"type": "include"}]),
    json.dumps([{"type": "include", "all": False}]),
    json.dumps([{"type": "include", "all": True, "kind": "audio"}]),
    json.dumps([{"type": "include", "kind": "screen"}]),
    json.dumps([{"type": "include", "publisher": ""}]),
    json.dumps([{"type": "include", "colour": "red"}]),
    '[{"type": "include", "kind": "audio", "kind": "video"}]',
]


@pytest.mark.parametrize("rules", INVALID_RULES)
async def test_invalid_subscribe_rules_are_53215_and_keep_old_rules(api: Api, rules: str) -> None:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice")
    path = f"/v1/Rooms/{room.sid}/Participants/{alice.sid}/SubscribeRules"
    reply = await api.post(path, {"Rules": rules})
    assert (reply.status, reply.body["code"]) == (400, 53215)
    assert reply.body["message"].startswith("Invalid Subscribe Rule(s)")
    assert alice.subscribe_rules == [{"type": "include", "all": True}]


@pytest.mark.parametrize(
    "rules", [*INVALID_RULES, json.dumps([{"type": "include", "kind": "data"}])]
)
async def test_invalid_recording_rules_are_53120(api: Api, rules: str) -> None:
    room = api.emu.state.create_room()
    reply = await api.post(f"/v1/Rooms/{room.sid}/RecordingRules", {"Rules": rules})
    assert (reply.status, reply.body["code"]) == (400, 53120)


async def test_recording_rules_start_and_stop_recordings(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    state.connect_participant(room, "alice")
    state.connect_participant(room, "bob")
    path = f"/v1/Rooms/{room.sid}/RecordingRules"
    initial = await api.get(path)
    assert initial.body["rules"] == []
    assert state.recordings == {}

    audio_only = [{"type": "include", "kind": "audio"}]
    reply = await api.post(path, {"Rules": json.dumps(audio_only)})
    assert reply.body["rules"] == audio_only
    listed = await api.get(f"/v1/Rooms/{room.sid}/Recordings")
    assert sorted(r["type"] for r in listed.body["recordings"]) == ["audio", "audio"]
    assert {r["status"] for r in listed.body["recordings"]} == {"processing"}

    # A POST replaces all rules: now only alice, so bob's audio recording completes.
    await api.post(path, {"Rules": json.dumps([{"type": "include", "publisher": "alice"}])})
    recordings = (await api.get(f"/v1/Rooms/{room.sid}/Recordings")).body["recordings"]
    by_status = sorted((r["status"], r["type"]) for r in recordings)
    assert by_status == [("completed", "audio"), ("processing", "audio"), ("processing", "video")]

    # Completing the room finishes every recording; rules can no longer change.
    state.complete_room(room)
    recordings = (await api.get(f"/v1/Rooms/{room.sid}/Recordings")).body["recordings"]
    assert {r["status"] for r in recordings} == {"completed"}
    assert all(r["size"] > 0 and r["duration"] >= 1 for r in recordings)
    late = await api.post(path, {"Rules": json.dumps(audio_only)})
    assert (late.status, late.body["code"]) == (400, 53118)


async def test_record_participants_on_connect(api: Api) -> None:
    created = await api.post("/v1/Rooms", {"RecordParticipantsOnConnect": "true"})
    sid = created.body["sid"]
    rules = await api.get(f"/v1/Rooms/{sid}/RecordingRules")
    assert rules.body["rules"] == [{"type": "include", "all": True}]
    api.emu.state.connect_participant(sid, "alice")
    recordings = (await api.get("/v1/Recordings", {"GroupingSid": sid})).body["recordings"]
    assert sorted(r["container_format"] for r in recordings) == ["mka", "mkv"]
    participant = next(iter(api.emu.state.rooms[sid].participants))
    assert all(
        r["grouping_sids"] == {"room_sid": sid, "participant_sid": participant} for r in recordings
    )


async def test_transcriptions_lifecycle(api: Api) -> None:
    room = (await api.post("/v1/Rooms", {"UniqueName": "talk"})).body["sid"]
    base = f"/v1/Rooms/{room}/Transcriptions"
    created = await api.post(base, {"Configuration": json.dumps({"languageCode": "fr-FR"})})
    assert created.status == 202
    assert created.body["status"] == "started"
    ttid = created.body["ttid"]
    assert re.fullmatch(r"video_transcriptions_[0-9a-f-]{36}", ttid)
    second = await api.post(base, {})
    assert second.status == 400
    stopped = await api.post(f"{base}/{ttid}", {"Status": "stopped"})
    assert (stopped.status, stopped.body["status"]) == (202, "stopped")
    assert stopped.body["end_time"] is not None and stopped.body["duration"] is not None
    merged = await api.post(f"{base}/{ttid}", {"Configuration": json.dumps({"hints": "a,b"})})
    assert merged.body["configuration"] == {"languageCode": "fr-FR", "hints": "a,b"}
    assert merged.body["status"] == "stopped"
    restarted = await api.post(f"{base}/{ttid}", {"Status": "started"})
    assert restarted.body["status"] == "started"
    invalid = await api.post(f"{base}/{ttid}", {"Status": "paused"})
    assert invalid.status == 400
    listed = await api.get(base)
    assert [t["ttid"] for t in listed.body["transcriptions"]] == [ttid]
    await api.post(f"/v1/Rooms/{room}", {"Status": "completed"})
    assert (await api.get(f"{base}/{ttid}")).body["status"] == "stopped"
    assert (await api.get(f"{base}/video_transcriptions_nope")).status == 404


async def test_transcribe_on_connect_starts_transcriptions(api: Api) -> None:
    created = await api.post(
        "/v1/Rooms",
        {
            "TranscribeParticipantsOnConnect": "true",
            "TranscriptionsConfiguration": json.dumps({"partialResults": True}),
        },
    )
    listed = await api.get(f"/v1/Rooms/{created.body['sid']}/Transcriptions")
    (transcription,) = listed.body["transcriptions"]
    assert transcription["configuration"] == {"partialResults": True}


async def test_completed_room_refuses_new_transcriptions(api: Api) -> None:
    room = api.emu.state.create_room()
    api.emu.state.complete_room(room)
    reply = await api.post(f"/v1/Rooms/{room.sid}/Transcriptions", {})
    assert (reply.status, reply.body["code"]) == (400, 53118)


async def test_recording_filters_hide_deleted_ones(api: Api) -> None:
    seeded = api.emu.seed(rooms=2, recordings_per_room=4)
    first_room = seeded.rooms[0]
    audio = await api.get("/v1/Recordings", {"GroupingSid": first_room, "MediaType": "audio"})
    assert {r["type"] for r in audio.body["recordings"]} == {"audio"}
    assert len(audio.body["recordings"]) == 2
    one = audio.body["recordings"][0]
    by_source = await api.get("/v1/Recordings", {"SourceSid": one["source_sid"]})
    assert [r["sid"] for r in by_source.body["recordings"]] == [one["sid"]]
    assert (await api.delete(f"/v1/Recordings/{one['sid']}")).status == 204
    fetched = await api.get(f"/v1/Recordings/{one['sid']}")
    assert fetched.body["status"] == "deleted"
    listed = await api.get("/v1/Recordings")
    assert one["sid"] not in {r["sid"] for r in listed.body["recordings"]}
    assert len(listed.body["recordings"]) == 7
    deleted = await api.get("/v1/Recordings", {"Status": "deleted"})
    assert [r["sid"] for r in deleted.body["recordings"]] == [one["sid"]]
    room_scoped = await api.get(f"/v1/Rooms/{first_room}/Recordings")
    assert len(room_scoped.body["recordings"]) == 3
    in_room = await api.get(f"/v1/Rooms/{first_room}/Recordings", {"Status": "deleted"})
    assert [r["sid"] for r in in_room.body["recordings"]] == [one["sid"]]
    bad = await api.get("/v1/Recordings", {"GroupingSid": "room-1"})
    assert bad.status == 400
    old = await api.get("/v1/Recordings", {"DateCreatedBefore": "2023-12-31T23:59:59Z"})
    assert old.body["recordings"] == []
    not_scoped = await api.get(f"/v1/Rooms/{first_room}/Recordings", {"MediaType": "audio"})
    assert not_scoped.status == 400
