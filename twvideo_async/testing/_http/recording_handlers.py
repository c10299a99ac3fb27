"""Recordings (account-wide and per room) and a room's recording rules."""

from __future__ import annotations

from aiohttp import web

from .._state.account_state import is_sid
from .._state.records import Recording
from .._state.track_rules import parse_rules
from .._twilio_errors import bad_request
from .form_params import Params, require_status
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response

RECORDING_STATUSES = ("processing", "completed", "deleted", "failed")
MEDIA_TYPES = ("audio", "video", "data")
_DATE_FILTERS = {"DateCreatedAfter", "DateCreatedBefore"}
LIST_PARAMS = PAGING_PARAMS | _DATE_FILTERS | {"Status", "SourceSid", "GroupingSid", "MediaType"}
ROOM_LIST_PARAMS = PAGING_PARAMS | _DATE_FILTERS | {"Status", "SourceSid"}


def _any_sid(name: str, value: str) -> str:
    if not is_sid(value, value[:2]):
        raise bad_request(f"Parameter {name} must be a SID (2 letters + 32 hex digits)")
    return value


def _filtered(params: Params, recordings: list[Recording]) -> list[Recording]:
    status = params.get("Status")
    require_status(status, RECORDING_STATUSES)
    source = params.get("SourceSid")
    if source is not None:
        _any_sid("SourceSid", source)
    groups = [_any_sid("GroupingSid", g) for g in params.values("GroupingSid")]
    media_type = params.get("MediaType")
    require_status(media_type, MEDIA_TYPES, "MediaType")
    created_within = params.created_within()
    result = []
    for rec in recordings:
        # Deleted recordings stay hidden unless asked for explicitly.
        if status is None and rec.status == "deleted":
            continue
        if status is not None and rec.status != status:
            continue
        if source is not None and rec.source_sid != source:
            continue
        # Several GroupingSid values narrow the list: each must be one of the recording's.
        if any(g not in (rec.room_sid, rec.participant_sid) for g in groups):
            continue
        if media_type is not None and rec.type != media_type:
            continue
        if not created_within(rec.date_created):
            continue
        result.append(rec)
    return result


async def list_recordings(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    found = _filtered(params, list(context(request).state.recordings.values()))
    return page_response(
        request,
        params,
        found,
        key="recordings",
        render=renderer(request).recording,
        max_page_size=100,
    )


async def fetch_recording(request: web.Request) -> web.Response:
    query(request, ())
    recording = context(request).state.find_recording(request.match_info["sid"])
    return web.json_response(renderer(request).recording(recording))


async def delete_recording(request: web.Request) -> web.Response:
    query(request, ())
    state = context(request).state
    state.delete_recording(state.find_recording(request.match_info["sid"]))
    return web.Response(status=204)


async def list_room_recordings(request: web.Request) -> web.Response:
    params = query(request, ROOM_LIST_PARAMS)
    state = context(request).state
    room = state.find_room(request.match_info["room"], by_name=False)
    mine = [rec for rec in state.recordings.values() if rec.room_sid == room.sid]
    return page_response(
        request,
        params,
        _filtered(params, mine),
        key="recordings",
        render=renderer(request).room_recording,
    )


def _room_recording(request: web.Request) -> Recording:
    state = context(request).state
    room = state.find_room(request.match_info["room"], by_name=False)
    return state.find_recording(request.match_info["sid"], room=room)


async def fetch_room_recording(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(renderer(request).room_recording(_room_recording(request)))


async def delete_room_recording(request: web.Request) -> web.Response:
    query(request, ())
    context(request).state.delete_recording(_room_recording(request))
    return web.Response(status=204)


async def fetch_recording_rules(request: web.Request) -> web.Response:
    query(request, ())
    room = context(request).state.find_room(request.match_info["room"])
    return web.json_response(renderer(request).recording_rules(room))


async def update_recording_rules(request: web.Request) -> web.Response:
    params = await body(request, {"Rules"})
    state = context(request).state
    room = state.find_room(request.match_info["room"])
    rules = parse_rules(params.required("Rules"), recording=True)
    state.set_recording_rules(room, rules)
    return web.json_response(renderer(request).recording_rules(room))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v1/Recordings", list_recordings, allow_head=False),
        web.get("/v1/Recordings/{sid}", fetch_recording, allow_head=False),
        web.delete("/v1/Recordings/{sid}", delete_recording),
        web.get("/v1/Rooms/{room}/Recordings", list_room_recordings, allow_head=False),
        web.get("/v1/Rooms/{room}/Recordings/{sid}", fetch_room_recording, allow_head=False),
        web.delete("/v1/Rooms/{room}/Recordings/{sid}", delete_room_recording),
        web.get("/v1/Rooms/{room}/RecordingRules", fetch_recording_rules, allow_head=False),
        web.post("/v1/Rooms/{room}/RecordingRules", update_recording_rules),
    ]
