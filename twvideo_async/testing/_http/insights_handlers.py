"""``/v1/Video/Rooms`` of Twilio's Insights API: room and participant summaries.

The client sends Insights requests to the same base URL as Video ones when that URL is not a
``*.twilio.com`` host, so the emulator's API origin serves both. Summaries are derived from the
emulator's rooms and participants when read, so they always agree with them; a room has a
summary once it has completed (Twilio publishes it minutes later; the emulator at once).
Without ``CreatedAfter``/``CreatedBefore`` the list shows only rooms completed in the last
24 hours, as Twilio's does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .._state.clock import iso
from .._state.records import Participant, Room
from .._twilio_errors import bad_request, not_found
from .form_params import Params
from .handler_context import context, query
from .paging_envelope import PAGING_PARAMS, page_response

LIST_PARAMS = PAGING_PARAMS | {"RoomType", "Codec", "RoomName", "CreatedAfter", "CreatedBefore"}
# The emulator's room types (Video spelling) as Insights spells them.
_ROOM_TYPES = {
    "go": "go",
    "peer-to-peer": "peer_to_peer",
    "group": "group",
    "group-small": "group_small",
}
_CODECS = ("VP8", "H264", "VP9", "opus")
_RECENT = timedelta(hours=24)
Body = dict[str, Any]


def _choices(params: Params, name: str, allowed: tuple[str, ...]) -> set[str]:
    chosen = set(params.values(name))
    unknown = chosen - set(allowed)
    if unknown:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}; got {sorted(unknown)[0]}")
    return chosen


def _room_of(request: web.Request) -> Room:
    sid = request.match_info["room"]
    room = context(request).state.rooms.get(sid)
    if room is None or room.status != "completed":
        raise not_found(f"Room summary {sid}")
    return room


def _participant_codecs(room: Room, participant: Participant) -> list[str]:
    kinds = {track.kind for track in participant.tracks.values()}
    codecs = [room.video_codecs[0]] if "video" in kinds and room.video_codecs else []
    return [*codecs, "opus"] if "audio" in kinds else codecs


def _room_codecs(room: Room) -> list[str]:
    seen: list[str] = []
    for participant in room.participants.values():
        seen += [c for c in _participant_codecs(room, participant) if c not in seen]
    return seen


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _base(request: web.Request) -> str:
    return f"{request.url.origin()}/v1/Video/Rooms"


def room_summary(request: web.Request, room: Room) -> Body:
    state = context(request).state
    participants = list(room.participants.values())
    url = f"{_base(request)}/{room.sid}"
    recorded = [r for r in state.recordings.values() if r.room_sid == room.sid]
    return {
        "account_sid": state.account_sid,
        "room_sid": room.sid,
        "room_name": room.unique_name,
        "create_time": iso(room.date_created),
        "end_time": iso(room.end_time),
        "room_type": _ROOM_TYPES.get(room.type, room.type),
        "room_status": "completed",
        "status_callback": room.status_callback,
        "status_callback_method": room.status_callback_method,
        "created_method": "api",
        "end_reason": "room_ended_via_api",
        "max_participants": room.max_participants,
        "unique_participants": len(participants),
        "unique_participant_identities": len({p.identity for p in participants}),
        "concurrent_participants": _most_at_once(participants),
        "max_concurrent_participants": room.max_participants,
        "codecs": _room_codecs(room),
        "media_region": room.media_region,
        "duration_sec": room.duration,
        "total_participant_duration_sec": sum(
            _seconds(p.start_time, p.end_time) or 0 for p in participants
        ),
        "total_recording_duration_sec": sum(r.duration for r in recorded),
        "processing_state": "complete",
        "recording_enabled": bool(room.recording_rules or room.record_participants_on_connect),
        "edge_location": "ashburn",
        "url": url,
        "links": {"participants": f"{url}/Participants"},
    }


def _most_at_once(participants: list[Participant]) -> int:
    # At equal times a join counts before a leave: the emulator's clock may not have moved.
    events = sorted(
        [(p.start_time, 1) for p in participants]
        + [(p.end_time, -1) for p in participants if p.end_time is not None],
        key=lambda event: (event[0], -event[1]),
    )
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def participant_summary(request: web.Request, room: Room, participant: Participant) -> Body:
    return {
        "participant_sid": participant.sid,
        "participant_identity": participant.identity,
        "join_time": iso(participant.start_time),
        "leave_time": iso(participant.end_time),
        "duration_sec": _seconds(participant.start_time, participant.end_time),
        "account_sid": context(request).state.account_sid,
        "room_sid": room.sid,
        "status": "completed",
        "codecs": _participant_codecs(room, participant),
        "end_reason": "disconnected_via_api",
        "error_code": None,
        "error_code_url": None,
        "media_region": room.media_region,
        "properties": {"start_time": iso(participant.start_time), "end_time": None},
        "edge_location": "ashburn",
        "publisher_info": {"name": "twilio-video.js", "version": "2.28.1"},
        "url": f"{_base(request)}/{room.sid}/Participants/{participant.sid}",
    }


async def list_room_summaries(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    state = context(request).state
    types = _choices(params, "RoomType", tuple(_ROOM_TYPES.values()))
    codecs = _choices(params, "Codec", _CODECS)
    name = params.get("RoomName")
    after = params.instant("CreatedAfter")
    before = params.instant("CreatedBefore")
    recent_since = state.now() - _RECENT if after is None and before is None else None

    def selected(room: Room) -> bool:
        if room.status != "completed" or room.end_time is None:
            return False
        if recent_since is not None and room.end_time < recent_since:
            return False
        if after is not None and room.date_created < after:
            return False
        if before is not None and room.date_created > before:
            return False
        if types and _ROOM_TYPES.get(room.type, room.type) not in types:
            return False
        if codecs and not codecs & set(_room_codecs(room)):
            return False
        return name is None or room.unique_name == name

    rooms = [room for room in state.rooms.values() if selected(room)]
    return page_response(
        request, params, rooms, key="rooms", render=lambda room: room_summary(request, room)
    )


async def fetch_room_summary(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(room_summary(request, _room_of(request)))


async def list_participant_summaries(request: web.Request) -> web.Response:
    params = query(request, PAGING_PARAMS)
    room = _room_of(request)
    return page_response(
        request,
        params,
        list(room.participants.values()),
        key="participants",
        render=lambda participant: participant_summary(request, room, participant),
    )


async def fetch_participant_summary(request: web.Request) -> web.Response:
    query(request, ())
    room = _room_of(request)
    sid = request.match_info["participant"]
    participant = room.participants.get(sid)
    if participant is None:
        raise not_found(f"Participant summary {sid}")
    return web.json_response(participant_summary(request, room, participant))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v1/Video/Rooms", list_room_summaries, allow_head=False),
        web.get("/v1/Video/Rooms/{room}", fetch_room_summary, allow_head=False),
        web.get(
            "/v1/Video/Rooms/{room}/Participants", list_participant_summaries, allow_head=False
        ),
        web.get(
            "/v1/Video/Rooms/{room}/Participants/{participant}",
            fetch_participant_summary,
            allow_head=False,
        ),
    ]
