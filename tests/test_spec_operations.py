"""Walks every operation in the OpenAPI specs (Video, and the Video part of Insights) and proves
the SDK has a method for it that sends the right HTTP method, path, query parameters and form
fields, to the right host."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aioresponses import aioresponses

from tests.helpers import make_client
from twvideo_async import VideoClient

FIXTURES = Path(__file__).parent / "fixtures"
SPEC = json.loads((FIXTURES / "twilio_video_v1.json").read_text())
INSIGHTS_SPEC = json.loads((FIXTURES / "twilio_insights_v1_video.json").read_text())
BASE = "https://video.twilio.com"
INSIGHTS_BASE = "https://insights.twilio.com"
SIDS = {"RM": "RM" + "1" * 32, "RT": "RT" + "2" * 32, "CJ": "CJ" + "3" * 32, "HK": "HK" + "4" * 32}
SIDS["MT"] = "MT" + "5" * 32
PATH = {
    "RoomSid": SIDS["RM"],
    "ParticipantSid": "PA" + "6" * 32,
    "Ttid": "video_transcriptions_1",
}

Call = Callable[[VideoClient, dict[str, str], dict[str, Any]], Awaitable[Any]]

OPS: dict[str, Call] = {
    "FetchComposition": lambda c, p, kw: c.compositions.fetch(p["Sid"], **kw),
    "DeleteComposition": lambda c, p, kw: c.compositions.delete(p["Sid"], **kw),
    "ListComposition": lambda c, p, kw: c.compositions.list(**kw).first_page(),
    "CreateComposition": lambda c, p, kw: c.compositions.create(**kw),
    "FetchCompositionHook": lambda c, p, kw: c.composition_hooks.fetch(p["Sid"], **kw),
    "DeleteCompositionHook": lambda c, p, kw: c.composition_hooks.delete(p["Sid"], **kw),
    "UpdateCompositionHook": lambda c, p, kw: c.composition_hooks.update(p["Sid"], **kw),
    "ListCompositionHook": lambda c, p, kw: c.composition_hooks.list(**kw).first_page(),
    "CreateCompositionHook": lambda c, p, kw: c.composition_hooks.create(**kw),
    "FetchCompositionSettings": lambda c, p, kw: c.composition_settings.fetch(**kw),
    "CreateCompositionSettings": lambda c, p, kw: c.composition_settings.update(**kw),
    "FetchRecording": lambda c, p, kw: c.recordings.fetch(p["Sid"], **kw),
    "DeleteRecording": lambda c, p, kw: c.recordings.delete(p["Sid"], **kw),
    "ListRecording": lambda c, p, kw: c.recordings.list(**kw).first_page(),
    "FetchRecordingSettings": lambda c, p, kw: c.recording_settings.fetch(**kw),
    "CreateRecordingSettings": lambda c, p, kw: c.recording_settings.update(**kw),
    "FetchRoom": lambda c, p, kw: c.rooms.fetch(p["Sid"], **kw),
    "UpdateRoom": lambda c, p, kw: c.rooms.update(p["Sid"], **kw),
    "CreateRoom": lambda c, p, kw: c.rooms.create(**kw),
    "ListRoom": lambda c, p, kw: c.rooms.list(**kw).first_page(),
    "FetchRoomParticipant": lambda c, p, kw: c.rooms.participants(p["RoomSid"]).fetch(
        p["Sid"], **kw
    ),
    "UpdateRoomParticipant": lambda c, p, kw: c.rooms.participants(p["RoomSid"]).update(
        p["Sid"], **kw
    ),
    "ListRoomParticipant": lambda c, p, kw: (
        c.rooms.participants(p["RoomSid"]).list(**kw).first_page()
    ),
    "UpdateRoomParticipantAnonymize": lambda c, p, kw: c.rooms.participants(p["RoomSid"]).anonymize(
        p["Sid"], **kw
    ),
    "FetchRoomParticipantPublishedTrack": lambda c, p, kw: c.rooms.participants(
        p["RoomSid"]
    ).fetch_published_track(p["ParticipantSid"], p["Sid"], **kw),
    "ListRoomParticipantPublishedTrack": lambda c, p, kw: (
        c.rooms.participants(p["RoomSid"])
        .list_published_tracks(p["ParticipantSid"], **kw)
        .first_page()
    ),
    "FetchRoomParticipantSubscribeRule": lambda c, p, kw: c.rooms.participants(
        p["RoomSid"]
    ).fetch_subscribe_rules(p["ParticipantSid"], **kw),
    "UpdateRoomParticipantSubscribeRule": lambda c, p, kw: c.rooms.participants(
        p["RoomSid"]
    ).update_subscribe_rules(p["ParticipantSid"], **kw),
    "FetchRoomParticipantSubscribedTrack": lambda c, p, kw: c.rooms.participants(
        p["RoomSid"]
    ).fetch_subscribed_track(p["ParticipantSid"], p["Sid"], **kw),
    "ListRoomParticipantSubscribedTrack": lambda c, p, kw: (
        c.rooms.participants(p["RoomSid"])
        .list_subscribed_tracks(p["ParticipantSid"], **kw)
        .first_page()
    ),
    "FetchRoomRecording": lambda c, p, kw: c.rooms.recordings(p["RoomSid"]).fetch(p["Sid"], **kw),
    "DeleteRoomRecording": lambda c, p, kw: c.rooms.recordings(p["RoomSid"]).delete(p["Sid"], **kw),
    "ListRoomRecording": lambda c, p, kw: c.rooms.recordings(p["RoomSid"]).list(**kw).first_page(),
    "FetchRoomRecordingRule": lambda c, p, kw: c.rooms.fetch_recording_rules(p["RoomSid"], **kw),
    "UpdateRoomRecordingRule": lambda c, p, kw: c.rooms.update_recording_rules(p["RoomSid"], **kw),
    "FetchRoomTranscriptions": lambda c, p, kw: c.rooms.transcriptions(p["RoomSid"]).fetch(
        p["Ttid"], **kw
    ),
    "UpdateRoomTranscriptions": lambda c, p, kw: c.rooms.transcriptions(p["RoomSid"]).update(
        p["Ttid"], **kw
    ),
    "ListRoomTranscriptions": lambda c, p, kw: (
        c.rooms.transcriptions(p["RoomSid"]).list(**kw).first_page()
    ),
    "CreateRoomTranscriptions": lambda c, p, kw: c.rooms.transcriptions(p["RoomSid"]).create(**kw),
}

INSIGHTS_OPS: dict[str, Call] = {
    "FetchVideoRoomSummary": lambda c, p, kw: c.insights.rooms.fetch(p["RoomSid"], **kw),
    "ListVideoRoomSummary": lambda c, p, kw: c.insights.rooms.list(**kw).first_page(),
    "FetchVideoParticipantSummary": lambda c, p, kw: c.insights.rooms.participants(
        p["RoomSid"]
    ).fetch(p["ParticipantSid"], **kw),
    "ListVideoParticipantSummary": lambda c, p, kw: (
        c.insights.rooms.participants(p["RoomSid"]).list(**kw).first_page()
    ),
}

SPECIAL: dict[str, Any] = {
    "VideoLayout": {"grid": {"video_sources": ["*"]}},
    "Rules": [{"type": "include", "all": True}],
    "RecordingRules": [{"type": "include", "all": True}],
    "Configuration": {"languageCode": "en-US"},
    "TranscriptionsConfiguration": {"languageCode": "en-US"},
    "Resolution": "640x480",
    "RoomSid": SIDS["RM"],
    "GroupingSid": [SIDS["RM"], "PA" + "6" * 32],
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("aws_s3", "aws_s3")


def dummy(name: str, schema: dict[str, Any], spec: dict[str, Any] = SPEC) -> Any:
    if name in SPECIAL:
        return SPECIAL[name]
    if "$ref" in schema:
        enum = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]["enum"]
        return enum[-1]
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "date-time":
        return datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    if fmt == "http-method":
        return "POST"
    if fmt == "uri":
        return "https://example.com/cb"
    if kind == "boolean":
        return True
    if kind == "integer":
        return 5
    if kind == "array":
        items = schema.get("items", {})
        return [dummy(name, items, spec)] if "$ref" in items else ["a*", "b"]
    return "value-1"


def operations(spec: dict[str, Any] = SPEC) -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "delete"):
                out.append((op["operationId"], method.upper(), path, op))
    return out


def test_every_spec_operation_is_covered() -> None:
    assert sorted(OPS) == sorted(op_id for op_id, *_ in operations())
    assert len(OPS) == 39


def test_every_insights_operation_is_covered() -> None:
    assert sorted(INSIGHTS_OPS) == sorted(op_id for op_id, *_ in operations(INSIGHTS_SPEC))
    assert len(INSIGHTS_OPS) == 4
    # The spec says where these operations live; the SDK's default Insights origin agrees.
    hosts = {s["url"] for item in INSIGHTS_SPEC["paths"].values() for s in item["servers"]}
    assert hosts == {INSIGHTS_BASE}


@pytest.mark.parametrize(("op_id", "method", "path", "op"), operations(), ids=lambda v: str(v)[:40])
async def test_operation_sends_the_spec_request(
    op_id: str, method: str, path: str, op: dict[str, Any]
) -> None:
    await _check_operation(OPS[op_id], SPEC, BASE, op_id, method, path, op)


@pytest.mark.parametrize(
    ("op_id", "method", "path", "op"), operations(INSIGHTS_SPEC), ids=lambda v: str(v)[:40]
)
async def test_insights_operation_sends_the_spec_request(
    op_id: str, method: str, path: str, op: dict[str, Any]
) -> None:
    await _check_operation(
        INSIGHTS_OPS[op_id], INSIGHTS_SPEC, INSIGHTS_BASE, op_id, method, path, op
    )


async def _check_operation(
    call_op: Call,
    spec: dict[str, Any],
    host: str,
    op_id: str,
    method: str,
    path: str,
    op: dict[str, Any],
) -> None:
    path_params = {"Sid": SIDS.get(_sid_prefix(op), "value-1"), **PATH}
    if op_id.endswith("PublishedTrack"):
        path_params["Sid"] = "track-name"
    if "Participant" in op_id and "{Sid}" in path and "Track" not in op_id:
        path_params["Sid"] = "alice"
    expected_path = re.sub(r"\{(\w+)\}", lambda m: path_params[m.group(1)], path)

    query_spec = {
        p["name"]: p["schema"]
        for p in op.get("parameters", [])
        if p["in"] == "query" and p["name"] not in ("Page", "PageToken")
    }
    body_spec = (
        op.get("requestBody", {})
        .get("content", {})
        .get("application/x-www-form-urlencoded", {})
        .get("schema", {})
        .get("properties", {})
    )
    kwargs: dict[str, Any] = {}
    for name, schema in {**query_spec, **body_spec}.items():
        kwarg = {"PageSize": "page_size", "Rules": "rules"}.get(name, snake(name))
        kwargs[kwarg] = dummy(name, schema, spec)

    listing = op_id.startswith("List")
    status = int(next(iter(op["responses"])))
    # The fields every model requires (the lenient converter ignores the ones a model lacks).
    required = {k: f"{k}-value" for k in ("sid", "ttid", "account_sid", "url", "room_sid")}
    required["participant_sid"] = "PA-value"
    listing_body = {"meta": {"key": "items", "next_page_url": None}, "items": []}
    payload: Any = listing_body if listing else required
    seen: list[dict[str, Any]] = []

    def record(url: Any, **kw: Any) -> None:
        seen.append({"url": url, **kw})

    with aioresponses() as mocked:
        url_re = re.compile(re.escape(host + expected_path) + r"(\?.*)?$")
        if status == 204:
            mocked.add(url_re, method, status=204, body=b"", callback=record)
        else:
            mocked.add(url_re, method, status=status, payload=payload, callback=record)
        async with make_client(BASE, max_retries=0) as client:
            await call_op(client, path_params, kwargs)

    (call,) = seen
    assert call["url"].path == expected_path
    sent_query = {k for k, _ in (call.get("params") or [])}
    sent_query |= {k for k, _ in parse_qsl(call["url"].query_string)}
    assert sent_query == set(query_spec), op_id
    body = call.get("data")
    sent_form = {k for k, _ in parse_qsl(body.decode())} if body else set()
    assert sent_form == set(body_spec), op_id


def _sid_prefix(op: dict[str, Any]) -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path" and p["name"] == "Sid" and p["schema"].get("pattern"):
            return str(p["schema"]["pattern"][1:3])
    return "RM"
