"""Compositions (validation, enqueued -> processing -> completed, deletion), composition hooks
(full-replacement updates, running on room completion) and the storage settings singletons."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.test_emulator_support import Api, api, twvideo_emulator, twvideo_emulator_options
from twvideo_async.testing import EmulatorClock
from twvideo_async.testing.pytest_plugin import twvideo_client

__all__ = ["api", "twvideo_client", "twvideo_emulator", "twvideo_emulator_options"]

GRID = json.dumps({"grid": {"video_sources": ["*"]}})


async def _completed_room(api: Api) -> str:
    room = api.emu.state.create_room()
    api.emu.state.connect_participant(room, "alice")
    api.emu.state.complete_room(room)
    return room.sid


async def test_create_applies_defaults_and_fills_layout_regions(api: Api) -> None:
    room = await _completed_room(api)
    reply = await api.post("/v1/Compositions", {"RoomSid": room, "VideoLayout": GRID})
    assert reply.status == 201
    body = reply.body
    assert body["status"] == "enqueued"
    assert (body["resolution"], body["format"], body["trim"]) == ("640x480", "webm", True)
    assert body["audio_sources"] == [] and body["size"] == 0 and body["date_completed"] is None
    assert body["video_layout"] == {
        "grid": {
            "video_sources": ["*"],
            "video_sources_excluded": [],
            "reuse": "show_oldest",
            "x_pos": 0,
            "y_pos": 0,
            "z_pos": 0,
            "width": 0,
            "height": 0,
            "max_columns": 0,
            "max_rows": 0,
            "cells_excluded": [],
        }
    }
    assert body["links"]["media"] == f"{api.emu.base_url}/v1/Compositions/{body['sid']}/Media"


@pytest.mark.parametrize(
    ("form", "code", "words"),
    [
        ({}, 20001, "RoomSid"),
        ({"RoomSid": "RM123"}, 20001, "RM SID"),
        ({"RoomSid": "RM" + "0" * 32, "AudioSources": "*"}, 53106, "not found"),
        ({"AudioSources": ""}, 20001, "VideoLayout"),
        ({"VideoLayout": "{}"}, 20001, "VideoLayout"),
        ({"VideoLayout": "not json"}, 20001, "JSON"),
        ({"VideoLayout": json.dumps({"grid": {"video_sources": []}})}, 20001, "empty"),
        (
            {"VideoLayout": json.dumps({"g": {"video_sources": ["*"], "reuse": "x"}})},
            20001,
            "reuse",
        ),
        (
            {"VideoLayout": json.dumps({"g": {"video_sources": ["*"], "z_pos": 100}})},
            20001,
            "z_pos",
        ),
        (
            {"VideoLayout": json.dumps({"g": {"video_sources": ["*"], "colour": 1}})},
            20001,
            "colour",
        ),
        (
            {"VideoLayout": json.dumps({"g": {"video_sources": ["*"], "x_pos": 630}})},
            20001,
            "x_pos",
        ),
        ({"AudioSources": "*", "Resolution": "1281x720"}, 20001, "Resolution"),
        ({"AudioSources": "*", "Resolution": "1280x721"}, 20001, "Resolution"),
        ({"AudioSources": "*", "Resolution": "big"}, 20001, "Resolution"),
        ({"AudioSources": "*", "Format": "avi"}, 20001, "Format"),
        ({"AudioSources": "*", "Trim": "maybe"}, 20001, "Trim"),
    ],
)
async def test_create_validation(api: Api, form: dict[str, str], code: int, words: str) -> None:
    room = await _completed_room(api)
    data = {"RoomSid": room, **form} if form and "RoomSid" not in form else form
    reply = await api.post("/v1/Compositions", data)
    assert reply.status == 400, reply.text
    assert reply.body["code"] == code
    assert words in reply.body["message"]


async def test_compositions_need_a_group_room(api: Api) -> None:
    room = api.emu.state.create_room(type="peer-to-peer")
    reply = await api.post("/v1/Compositions", {"RoomSid": room.sid, "AudioSources": "*"})
    assert reply.status == 400
    assert "group room" in reply.body["message"]


async def test_status_progresses_over_reads_once_the_room_completed(api: Api) -> None:
    state = api.emu.state
    room = state.create_room()
    state.connect_participant(room, "alice")
    created = await api.post("/v1/Compositions", {"RoomSid": room.sid, "AudioSources": "*"})
    path = f"/v1/Compositions/{created.body['sid']}"
    # Processing waits for the room to end, however often the composition is read.
    for _ in range(3):
        assert (await api.get(path)).body["status"] == "enqueued"
    assert (await api.get(f"{path}/Media")).status == 404
    state.complete_room(room)
    processing = await api.get(path)
    assert processing.body["status"] == "processing"
    assert (await api.get(f"{path}/Media")).status == 404
    completed = await api.get(path)
    body = completed.body
    assert body["status"] == "completed"
    assert body["size"] == api.emu.state.media_size
    assert body["duration"] >= 1 and body["bitrate"] >= 1
    assert body["date_completed"] is not None
    assert (await api.get(f"{path}/Media")).status == 302


async def test_list_reads_advance_compositions_too(api: Api) -> None:
    room = await _completed_room(api)
    created = await api.post("/v1/Compositions", {"RoomSid": room, "AudioSources": "*"})
    statuses = []
    for _ in range(2):
        listed = await api.get("/v1/Compositions", {"RoomSid": room})
        statuses.append(listed.body["compositions"][0]["status"])
    assert statuses == ["processing", "completed"]
    assert created.body["status"] == "enqueued"


START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "twvideo_emulator_options",
    [{"composition_delay": 30, "clock": EmulatorClock(START, frozen=True)}],
)
async def test_status_progresses_with_time_when_a_delay_is_set(api: Api) -> None:
    room = await _completed_room(api)
    created = await api.post("/v1/Compositions", {"RoomSid": room, "AudioSources": "*"})
    path = f"/v1/Compositions/{created.body['sid']}"
    for _ in range(3):
        assert (await api.get(path)).body["status"] == "processing"
    api.emu.clock.advance(30)
    done = await api.get(path)
    assert done.body["status"] == "completed"
    assert done.body["date_completed"] == "2025-03-01T12:00:30Z"


@pytest.mark.parametrize("twvideo_emulator_options", [{"composition_reads": 0}])
async def test_zero_reads_completes_at_once(api: Api) -> None:
    room = await _completed_room(api)
    created = await api.post("/v1/Compositions", {"RoomSid": room, "AudioSources": "*"})
    assert created.body["status"] == "completed"


async def test_status_filter_agrees_with_the_statuses_returned(api: Api) -> None:
    room = await _completed_room(api)
    created = await api.post("/v1/Compositions", {"RoomSid": room, "AudioSources": "*"})
    assert created.body["status"] == "enqueued"
    seen: dict[str, list[str]] = {}
    for status in ("enqueued", "processing", "completed", "enqueued"):
        listed = await api.get("/v1/Compositions", {"Status": status})
        statuses = [c["status"] for c in listed.body["compositions"]]
        # Every item answered under a Status filter has that status (the read that advances the
        # composition happens before the filter, not after it).
        assert set(statuses) <= {status}
        seen.setdefault(status, []).extend(statuses)
    assert seen == {"enqueued": [], "processing": [], "completed": ["completed"]}


async def test_status_filter_of_a_live_room_keeps_its_compositions_enqueued(api: Api) -> None:
    room = api.emu.state.create_room()
    api.emu.state.connect_participant(room, "alice")
    created = await api.post("/v1/Compositions", {"RoomSid": room.sid, "AudioSources": "*"})
    for _ in range(3):
        listed = await api.get("/v1/Compositions", {"Status": "enqueued"})
        assert [(c["sid"], c["status"]) for c in listed.body["compositions"]] == [
            (created.body["sid"], "enqueued")
        ]


async def test_sdk_list_with_status_returns_only_that_status(twvideo_client: Any, api: Api) -> None:
    room = await _completed_room(api)
    await twvideo_client.compositions.create(room_sid=room, audio_sources=["*"])
    for status in ("enqueued", "processing", "completed"):
        found = [c async for c in twvideo_client.compositions.list(status=status)]
        assert all(c.status == status for c in found), (status, [c.status for c in found])


@pytest.mark.parametrize(
    "twvideo_emulator_options",
    [{"composition_delay": 30, "clock": EmulatorClock(START, frozen=True)}],
)
async def test_media_follows_time_based_progress_without_a_fetch(api: Api) -> None:
    room = await _completed_room(api)
    created = await api.post("/v1/Compositions", {"RoomSid": room, "AudioSources": "*"})
    path = f"/v1/Compositions/{created.body['sid']}/Media"
    assert (await api.get(path)).status == 404
    api.emu.clock.advance(30)
    # The delay has passed: the media is there even though nothing fetched the composition.
    assert (await api.get(path)).status == 302


async def test_delete_and_list_filters(api: Api) -> None:
    seeded = api.emu.seed(rooms=1, compositions_per_room=3)
    first, second, third = seeded.compositions
    deleted = await api.delete(f"/v1/Compositions/{first}")
    assert deleted.status == 204 and deleted.text == ""
    fetched = await api.get(f"/v1/Compositions/{first}")
    assert fetched.body["status"] == "deleted"
    assert fetched.body["date_deleted"] is not None
    listed = await api.get("/v1/Compositions")
    assert [c["sid"] for c in listed.body["compositions"]] == [third, second]
    only_deleted = await api.get("/v1/Compositions", {"Status": "deleted"})
    assert [c["sid"] for c in only_deleted.body["compositions"]] == [first]
    assert (await api.get(f"/v1/Compositions/{first}/Media")).status == 404
    api.emu.state.fail_composition(api.emu.state.compositions[second])
    refused = await api.delete(f"/v1/Compositions/{second}")
    assert refused.status == 400
    assert (await api.get("/v1/Compositions/CJ" + "0" * 32)).status == 404


async def test_hook_update_resets_omitted_fields(api: Api) -> None:
    full = [
        ("FriendlyName", "archive"),
        ("Enabled", "false"),
        ("AudioSources", "user*"),
        ("AudioSources", "moderator"),
        ("AudioSourcesExcluded", "admin"),
        ("VideoLayout", GRID),
        ("Resolution", "1280x720"),
        ("Format", "mp4"),
        ("Trim", "false"),
        ("StatusCallback", "https://example.com/hooks"),
        ("StatusCallbackMethod", "GET"),
    ]
    created = await api.post("/v1/CompositionHooks", full)
    assert created.status == 201
    hook = created.body
    assert hook["audio_sources"] == ["user*", "moderator"]
    assert (hook["enabled"], hook["format"], hook["trim"]) == (False, "mp4", False)
    assert hook["date_updated"] is None
    path = f"/v1/CompositionHooks/{hook['sid']}"
    updated = await api.post(path, {"FriendlyName": "archive", "AudioSources": "*"})
    assert updated.status == 200
    body = updated.body
    assert body["audio_sources"] == ["*"]
    assert body["audio_sources_excluded"] == []
    assert body["video_layout"] == {}
    assert body["enabled"] is True
    assert (body["resolution"], body["format"], body["trim"]) == ("640x480", "webm", True)
    assert (body["status_callback"], body["status_callback_method"]) == (None, "POST")
    assert body["date_updated"] is not None
    assert (await api.get(path)).body == body


async def test_hook_validation(api: Api) -> None:
    nameless = await api.post("/v1/CompositionHooks", {"AudioSources": "*"})
    assert (nameless.status, nameless.body["code"]) == (400, 20001)
    assert "FriendlyName" in nameless.body["message"]
    created = await api.post("/v1/CompositionHooks", {"FriendlyName": "a", "AudioSources": "*"})
    path = f"/v1/CompositionHooks/{created.body['sid']}"
    unnamed_update = await api.post(path, {"AudioSources": "*"})
    assert (unnamed_update.status, unnamed_update.body["code"]) == (400, 20001)
    other = await api.post("/v1/CompositionHooks", {"FriendlyName": "b", "AudioSources": "*"})
    clash = await api.post(path, {"FriendlyName": "b", "AudioSources": "*"})
    assert clash.status == 400
    too_long = await api.post(
        "/v1/CompositionHooks", {"FriendlyName": "x" * 101, "AudioSources": "*"}
    )
    assert too_long.status == 400
    assert (await api.delete(f"/v1/CompositionHooks/{other.body['sid']}")).status == 204
    assert (await api.get(f"/v1/CompositionHooks/{other.body['sid']}")).status == 404


async def test_hook_list_filters(api: Api) -> None:
    for name, enabled in (("My Hook 1", "true"), ("My Hook 2", "false"), ("Other", "true")):
        await api.post(
            "/v1/CompositionHooks", {"FriendlyName": name, "Enabled": enabled, "AudioSources": "*"}
        )
    hooks = await api.get("/v1/CompositionHooks", {"FriendlyName": "*Hook*"})
    assert [h["friendly_name"] for h in hooks.body["composition_hooks"]] == [
        "My Hook 2",
        "My Hook 1",
    ]
    only_enabled = await api.get("/v1/CompositionHooks", {"Enabled": "true"})
    assert {h["friendly_name"] for h in only_enabled.body["composition_hooks"]} == {
        "My Hook 1",
        "Other",
    }


async def test_enabled_hooks_compose_every_completed_group_room(api: Api) -> None:
    await api.post(
        "/v1/CompositionHooks",
        {"FriendlyName": "on", "AudioSources": "*", "Format": "mp4"},
    )
    await api.post(
        "/v1/CompositionHooks", {"FriendlyName": "off", "Enabled": "false", "AudioSources": "*"}
    )
    room = (await api.post("/v1/Rooms", {})).body["sid"]
    assert (await api.get("/v1/Compositions")).body["compositions"] == []
    await api.post(f"/v1/Rooms/{room}", {"Status": "completed"})
    listed = (await api.get("/v1/Compositions")).body["compositions"]
    assert [(c["room_sid"], c["format"]) for c in listed] == [(room, "mp4")]


@pytest.mark.parametrize("kind", ["CompositionSettings", "RecordingSettings"])
async def test_settings_singletons(api: Api, kind: str) -> None:
    path = f"/v1/{kind}/Default"
    initial = await api.get(path)
    assert initial.body["friendly_name"] is None
    assert initial.body["url"] == f"{api.emu.base_url}{path}"
    nameless = await api.post(path, {"AwsStorageEnabled": "true"})
    assert (nameless.status, nameless.body["code"]) == (400, 20001)
    bad_sid = await api.post(path, {"FriendlyName": "x", "AwsCredentialsSid": "AC123"})
    assert bad_sid.status == 400
    full = {
        "FriendlyName": "storage",
        "AwsCredentialsSid": "CR" + "a" * 32,
        "EncryptionKeySid": "CR" + "b" * 32,
        "AwsS3Url": "https://bucket.s3.amazonaws.com/path/",
        "AwsStorageEnabled": "true",
        "EncryptionEnabled": "true",
    }
    saved = await api.post(path, full)
    assert saved.status == 200
    assert saved.body["aws_storage_enabled"] is True
    assert saved.body["aws_credentials_sid"] == "CR" + "a" * 32
    assert (await api.get(path)).body == saved.body
    # POST replaces the whole singleton.
    replaced = await api.post(path, {"FriendlyName": "plain"})
    assert replaced.body["aws_credentials_sid"] is None
    assert replaced.body["aws_storage_enabled"] is False
