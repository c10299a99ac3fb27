"""``/v1/Rooms``: create, fetch (by SID or in-progress unique name), list, complete."""

from __future__ import annotations

from aiohttp import web

from .._state.account_state import DEFAULT_MAX_PARTICIPANTS, ROOM_TYPES
from .._state.track_rules import parse_rules
from .._twilio_errors import (
    MAX_PARTICIPANTS_OUT_OF_RANGE,
    ROOM_INVALID_PARAMETERS,
    ROOM_STATUS_INVALID,
    ROOM_TIMEOUT_OUT_OF_RANGE,
    ROOM_TYPE_INVALID,
    STATUS_CALLBACK_METHOD_INVALID,
    STATUS_CALLBACK_URL_INVALID,
    ApiError,
    bad_request,
    missing,
)
from .form_params import require_status
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response

CREATE_FIELDS = frozenset(
    {
        "EnableTurn",
        "Type",
        "UniqueName",
        "StatusCallback",
        "StatusCallbackMethod",
        "MaxParticipants",
        "RecordParticipantsOnConnect",
        "TranscribeParticipantsOnConnect",
        "VideoCodecs",
        "MediaRegion",
        "RecordingRules",
        "TranscriptionsConfiguration",
        "AudioOnly",
        "MaxParticipantDuration",
        "EmptyRoomTimeout",
        "UnusedRoomTimeout",
        "LargeRoom",
    }
)
LIST_PARAMS = PAGING_PARAMS | {"Status", "UniqueName", "DateCreatedAfter", "DateCreatedBefore"}
ROOM_STATUSES = ("in-progress", "completed", "failed")
VIDEO_CODECS = ("VP8", "H264")
MEDIA_REGIONS = ("us1", "us2", "ie1", "de1", "au1", "br1", "jp1", "sg1", "in1", "gll")


async def create_room(request: web.Request) -> web.Response:
    params = await body(request, CREATE_FIELDS)
    state = context(request).state
    room_type = params.choice("Type", ROOM_TYPES, "group", code=ROOM_TYPE_INVALID)
    unique_name = params.get("UniqueName") or None
    limit = DEFAULT_MAX_PARTICIPANTS[room_type]
    max_participants = params.number(
        "MaxParticipants", limit, low=1, high=limit, code=MAX_PARTICIPANTS_OUT_OF_RANGE
    )
    codecs = params.values("VideoCodecs")
    for codec in codecs:
        if codec not in VIDEO_CODECS:
            raise bad_request("VideoCodecs entries must be VP8 or H264", ROOM_INVALID_PARAMETERS)
    region = params.choice("MediaRegion", MEDIA_REGIONS, "us1", code=ROOM_INVALID_PARAMETERS)
    rules_text = params.get("RecordingRules")
    recording_rules = parse_rules(rules_text, recording=True) if rules_text else None
    transcribe = params.flag("TranscribeParticipantsOnConnect", False)
    configuration = params.json_doc("TranscriptionsConfiguration")
    if configuration is not None and not isinstance(configuration, dict):
        raise bad_request("TranscriptionsConfiguration must be a JSON object")
    params.flag("EnableTurn", True)  # deprecated and always true, but still a boolean
    room = state.create_room(
        unique_name=unique_name,
        type=room_type,
        status_callback=params.url("StatusCallback", code=STATUS_CALLBACK_URL_INVALID),
        status_callback_method=params.choice(
            "StatusCallbackMethod", ("GET", "POST"), "POST", code=STATUS_CALLBACK_METHOD_INVALID
        ),
        max_participants=max_participants,
        max_participant_duration=params.number(
            "MaxParticipantDuration", 14_400, low=600, high=86_400, code=ROOM_INVALID_PARAMETERS
        ),
        record_participants_on_connect=params.flag("RecordParticipantsOnConnect", False),
        video_codecs=codecs or ["VP8"],
        media_region=region,
        audio_only=params.flag("AudioOnly", False),
        empty_room_timeout=params.number(
            "EmptyRoomTimeout", 5, low=1, high=60, code=ROOM_TIMEOUT_OUT_OF_RANGE
        ),
        unused_room_timeout=params.number(
            "UnusedRoomTimeout", 5, low=1, high=60, code=ROOM_TIMEOUT_OUT_OF_RANGE
        ),
        large_room=params.flag("LargeRoom", False),
        recording_rules=recording_rules,
    )
    if transcribe:
        state.create_transcription(room, configuration or {})
    return web.json_response(renderer(request).room(room), status=201)


async def list_rooms(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    state = context(request).state
    # Without Status the API lists only in-progress rooms.
    status = params.get("Status") or "in-progress"
    require_status(status, ROOM_STATUSES)
    name = params.get("UniqueName")
    created_within = params.created_within()
    rooms = [
        room
        for room in state.rooms.values()
        if room.status == status
        and (name is None or room.unique_name == name)
        and created_within(room.date_created)
    ]
    return page_response(request, params, rooms, key="rooms", render=renderer(request).room)


async def fetch_room(request: web.Request) -> web.Response:
    query(request, ())
    room = context(request).state.find_room(request.match_info["room"])
    return web.json_response(renderer(request).room(room))


async def update_room(request: web.Request) -> web.Response:
    params = await body(request, {"Status"})
    state = context(request).state
    room = state.find_room(request.match_info["room"])
    status = params.get("Status")
    if not status:
        raise missing("Status")
    if status != "completed":
        raise ApiError(400, ROOM_STATUS_INVALID, "Status can only be set to completed")
    state.complete_room(room)
    return web.json_response(renderer(request).room(room), status=202)


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1/Rooms", create_room),
        web.get("/v1/Rooms", list_rooms, allow_head=False),
        web.get("/v1/Rooms/{room}", fetch_room, allow_head=False),
        web.post("/v1/Rooms/{room}", update_room),
    ]
