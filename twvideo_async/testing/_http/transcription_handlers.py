"""Real-time transcriptions of a room (one resource per room, addressed by ``ttid``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._state.records import Room, Transcription
from .._twilio_errors import ROOM_INVALID_PARAMETERS, ApiError, bad_request, not_found
from .form_params import Params
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response


def _configuration(params: Params) -> dict[str, Any] | None:
    configuration = params.json_doc("Configuration")
    if configuration is not None and not isinstance(configuration, dict):
        raise bad_request("Configuration must be a JSON object")
    return configuration


def _room(request: web.Request) -> Room:
    return context(request).state.find_room(request.match_info["room"])


def _transcription(request: web.Request) -> Transcription:
    ttid = request.match_info["ttid"]
    found = _room(request).transcriptions.get(ttid)
    if found is None:
        raise not_found(f"Transcriptions {ttid}")
    return found


async def create_transcriptions(request: web.Request) -> web.Response:
    params = await body(request, {"Configuration"})
    room = _room(request)
    configuration = _configuration(params)
    if room.transcriptions:
        # The API keeps a single transcriptions resource per room; restart it with an update.
        existing = next(iter(room.transcriptions))
        raise ApiError(
            400,
            ROOM_INVALID_PARAMETERS,
            f"Room {room.sid} already has transcriptions {existing}; update its Status instead",
        )
    transcription = context(request).state.create_transcription(room, configuration or {})
    return web.json_response(renderer(request).transcription(transcription), status=202)


async def update_transcriptions(request: web.Request) -> web.Response:
    params = await body(request, {"Status", "Configuration"})
    state = context(request).state
    transcription = _transcription(request)
    status = params.get("Status")
    if status is not None and status not in ("started", "stopped"):
        raise bad_request("Status must be started or stopped")
    configuration = _configuration(params)
    if transcription.status == "failed" and status is not None:
        raise bad_request("Transcriptions in status failed cannot be restarted")
    if status == "started" and state.rooms[transcription.room_sid].status != "in-progress":
        raise bad_request("Transcriptions can only start in an in-progress room")
    if configuration:
        transcription.configuration.update(configuration)
        transcription.date_updated = state.now()
    if status is not None:
        state.set_transcription_status(transcription, status)
    return web.json_response(renderer(request).transcription(transcription), status=202)


async def list_transcriptions(request: web.Request) -> web.Response:
    params = query(request, PAGING_PARAMS)
    room = _room(request)
    return page_response(
        request,
        params,
        list(room.transcriptions.values()),
        key="transcriptions",
        render=renderer(request).transcription,
    )


async def fetch_transcriptions(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(renderer(request).transcription(_transcription(request)))


def routes() -> list[web.RouteDef]:
    base = "/v1/Rooms/{room}/Transcriptions"
    return [
        web.post(base, create_transcriptions),
        web.get(base, list_transcriptions, allow_head=False),
        web.get(base + "/{ttid}", fetch_transcriptions, allow_head=False),
        web.post(base + "/{ttid}", update_transcriptions),
    ]
