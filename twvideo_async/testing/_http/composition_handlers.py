"""``/v1/Compositions``: create, fetch, list and delete compositions.

A composition is ``enqueued`` until its room completes. After that it moves to ``processing`` and
then ``completed`` as clients read it (``composition_reads`` reads, default 2) or, when the
emulator has a ``composition_delay``, once that many seconds have passed on the emulator clock.
A read advances the lifecycle before anything looks at the status: a fetch, a listing (one read of
each composition its ``RoomSid`` and date filters select, on every page, before ``Status`` is
applied) and a ``/Media`` request (time-based progress only), so a status filter and the statuses
returned always agree.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._state.video_layout import parse_layout, parse_resolution
from .._twilio_errors import ApiError, bad_request
from .form_params import Params, require_status
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response

ROOM_NOT_FOUND = 53106
CREATE_FIELDS = frozenset(
    {
        "RoomSid",
        "VideoLayout",
        "AudioSources",
        "AudioSourcesExcluded",
        "Resolution",
        "Format",
        "StatusCallback",
        "StatusCallbackMethod",
        "Trim",
    }
)
LIST_PARAMS = PAGING_PARAMS | {"Status", "DateCreatedAfter", "DateCreatedBefore", "RoomSid"}
COMPOSITION_STATUSES = ("enqueued", "processing", "completed", "deleted", "failed")


def composition_fields(params: Params) -> dict[str, Any]:
    """The composition settings of a request, validated, with the API's defaults applied.

    Used by composition create and by hook create/update (where omitted fields mean defaults).
    """
    resolution, width, height = parse_resolution(params.get("Resolution"))
    layout = parse_layout(params.json_doc("VideoLayout"), width, height)
    audio_sources = params.values("AudioSources")
    if not layout and not audio_sources:
        raise bad_request(
            "Either VideoLayout (with non-empty video_sources) or AudioSources must be provided"
        )
    return {
        "audio_sources": audio_sources,
        "audio_sources_excluded": params.values("AudioSourcesExcluded"),
        "video_layout": layout,
        "resolution": resolution,
        "trim": params.flag("Trim", True),
        "format": params.choice("Format", ("mp4", "webm"), "webm"),
        "status_callback": params.url("StatusCallback"),
        "status_callback_method": params.choice("StatusCallbackMethod", ("GET", "POST"), "POST"),
    }


async def create_composition(request: web.Request) -> web.Response:
    params = await body(request, CREATE_FIELDS)
    state = context(request).state
    params.required("RoomSid")
    room_sid = params.sid("RoomSid", "RM") or ""
    room = state.rooms.get(room_sid)
    if room is None:
        raise ApiError(400, ROOM_NOT_FOUND, f"Room {room_sid} was not found")
    if room.type not in ("group", "group-small"):
        raise bad_request(f"Compositions need a group room; room {room.sid} is {room.type}")
    composition = state.create_composition(room, **composition_fields(params))
    return web.json_response(renderer(request).composition(composition), status=201)


async def list_compositions(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    state = context(request).state
    status = params.get("Status")
    require_status(status, COMPOSITION_STATUSES)
    room_sid = params.sid("RoomSid", "RM")
    created_within = params.created_within()
    # Advance first, filter after: the read counts for every composition the other filters
    # select, so a Status filter sees the statuses this very answer shows.
    state.refresh_compositions()
    selected = [
        c
        for c in state.compositions.values()
        if (room_sid is None or c.room_sid == room_sid) and created_within(c.date_created)
    ]
    for composition in selected:
        state.observe_composition(composition)
    found = [
        c for c in selected if (c.status == status if status is not None else c.status != "deleted")
    ]
    return page_response(
        request,
        params,
        found,
        key="compositions",
        render=renderer(request).composition,
        max_page_size=100,
    )


async def fetch_composition(request: web.Request) -> web.Response:
    query(request, ())
    state = context(request).state
    composition = state.find_composition(request.match_info["sid"])
    state.observe_composition(composition)
    return web.json_response(renderer(request).composition(composition))


async def delete_composition(request: web.Request) -> web.Response:
    query(request, ())
    state = context(request).state
    composition = state.find_composition(request.match_info["sid"])
    if composition.status == "failed":
        raise bad_request("Compositions with status failed cannot be deleted")
    state.delete_composition(composition)
    return web.Response(status=204)


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1/Compositions", create_composition),
        web.get("/v1/Compositions", list_compositions, allow_head=False),
        web.get("/v1/Compositions/{sid}", fetch_composition, allow_head=False),
        web.delete("/v1/Compositions/{sid}", delete_composition),
    ]
