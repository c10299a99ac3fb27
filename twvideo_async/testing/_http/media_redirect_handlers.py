"""``/Media`` endpoints: a 302 to a signed, expiring URL on the storage origin.

Like Twilio, the answer carries the URL twice, in ``Location`` and in a JSON body
``{"redirect_to": url}``, and only ``completed`` recordings and compositions have media (anything
else is a 404). ``Ttl`` (1..3600 s, default 600) sets the URL's lifetime and ``ContentDisposition``
is passed through to the storage response.
"""

from __future__ import annotations

from aiohttp import web

from .._storage.media_objects import media_object, storage_path
from .._twilio_errors import NOT_FOUND, TTL_OUT_OF_RANGE, ApiError, bad_request
from .handler_context import context, query


def _redirect(request: web.Request, sid: str) -> web.Response:
    params = query(request, ("Ttl", "ContentDisposition"))
    ctx = context(request)
    obj = media_object(ctx.state, sid)
    if obj is None:
        raise ApiError(404, NOT_FOUND, f"The requested resource {sid} was not found")
    if not obj.available:
        raise ApiError(
            404,
            NOT_FOUND,
            f"The media for {sid} is not available (status {obj.status}); "
            "media can be fetched once the status is completed",
        )
    ttl = params.number("Ttl", 600, low=1, high=3600, code=TTL_OUT_OF_RANGE)
    disposition = params.get("ContentDisposition")
    if disposition is not None:
        kind = disposition.split(";", 1)[0].strip().lower()
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in disposition):
            # The storage origin sends it back as a header: no CR, LF or other control bytes.
            raise bad_request("ContentDisposition must not contain control characters")
        if kind not in ("attachment", "inline"):
            raise bad_request(
                "ContentDisposition must start with attachment or inline, for example "
                'inline; filename="talk.mp4"'
            )
    path = storage_path(ctx.state, obj)
    expires = int(ctx.state.clock.time()) + ttl
    query_string = ctx.signer.signed_query(path, expires, disposition)
    url = f"{ctx.storage_origin(request)}{path}?{query_string}"
    return web.json_response({"redirect_to": url}, status=302, headers={"Location": url})


async def recording_media(request: web.Request) -> web.Response:
    sid = request.match_info["sid"]
    context(request).state.find_recording(sid)
    return _redirect(request, sid)


async def room_recording_media(request: web.Request) -> web.Response:
    state = context(request).state
    room = state.find_room(request.match_info["room"], by_name=False)
    recording = state.find_recording(request.match_info["sid"], room=room)
    return _redirect(request, recording.sid)


async def composition_media(request: web.Request) -> web.Response:
    sid = request.match_info["sid"]
    state = context(request).state
    state.find_composition(sid)
    # Time-based progress (composition_delay) first, so the media is there once the status says
    # so; a /Media request is not counted as a read.
    state.refresh_compositions()
    return _redirect(request, sid)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v1/Recordings/{sid}/Media", recording_media, allow_head=False),
        web.get("/v1/Rooms/{room}/Recordings/{sid}/Media", room_recording_media, allow_head=False),
        web.get("/v1/Compositions/{sid}/Media", composition_media, allow_head=False),
    ]
