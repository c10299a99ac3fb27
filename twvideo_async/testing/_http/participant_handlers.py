"""Participants of a room, their published and subscribed tracks, and subscribe rules."""

from __future__ import annotations

from aiohttp import web

from .._state.account_state import is_sid
from .._state.records import Participant, PublishedTrack
from .._state.track_rules import parse_rules
from .._twilio_errors import PARTICIPANT_STATUS_INVALID, ApiError, not_found
from .form_params import require_status
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response

LIST_PARAMS = PAGING_PARAMS | {"Status", "Identity", "DateCreatedAfter", "DateCreatedBefore"}
PARTICIPANT_STATUSES = ("connected", "disconnected", "reconnecting")


def _participant(request: web.Request) -> Participant:
    state = context(request).state
    room = state.find_room(request.match_info["room"])
    return state.find_participant(room, request.match_info["participant"])


async def list_participants(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    state = context(request).state
    room = state.find_room(request.match_info["room"])
    status = params.get("Status")
    require_status(status, PARTICIPANT_STATUSES)
    if status is None:
        # Twilio's default filter: connected participants of a live room, disconnected ones of
        # a completed room.
        status = "connected" if room.status == "in-progress" else "disconnected"
    identity = params.get("Identity")
    created_within = params.created_within()
    found = [
        p
        for p in room.participants.values()
        if p.status == status
        and (identity is None or (p.identity == identity and not p.anonymized))
        and created_within(p.date_created)
    ]
    return page_response(
        request, params, found, key="participants", render=renderer(request).participant
    )


async def fetch_participant(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(renderer(request).participant(_participant(request)))


async def update_participant(request: web.Request) -> web.Response:
    params = await body(request, {"Status"})
    participant = _participant(request)
    if params.get("Status") != "disconnected":
        raise ApiError(
            400,
            PARTICIPANT_STATUS_INVALID,
            "Participant status invalid: Status can only be set to disconnected",
        )
    context(request).state.disconnect_participant(participant)
    return web.json_response(renderer(request).participant(participant), status=202)


async def anonymize_participant(request: web.Request) -> web.Response:
    await body(request, ())
    participant = _participant(request)
    participant.anonymized = True
    participant.date_updated = context(request).state.now()
    return web.json_response(renderer(request).anonymized_participant(participant))


def _published_track(participant: Participant, key: str) -> PublishedTrack:
    if is_sid(key, "MT"):
        track = participant.tracks.get(key)
    else:
        track = next((t for t in participant.tracks.values() if t.name == key), None)
    if track is None:
        raise not_found(f"PublishedTrack {key}")
    return track


async def list_published_tracks(request: web.Request) -> web.Response:
    params = query(request, PAGING_PARAMS)
    participant = _participant(request)
    return page_response(
        request,
        params,
        list(participant.tracks.values()),
        key="published_tracks",
        render=renderer(request).published_track,
    )


async def fetch_published_track(request: web.Request) -> web.Response:
    query(request, ())
    track = _published_track(_participant(request), request.match_info["track"])
    return web.json_response(renderer(request).published_track(track))


async def list_subscribed_tracks(request: web.Request) -> web.Response:
    params = query(request, PAGING_PARAMS)
    participant = _participant(request)
    pairs = context(request).state.subscribed_tracks(participant)
    owners = {track.sid: owner for track, owner in pairs}
    render = renderer(request)
    return page_response(
        request,
        params,
        [track for track, _ in pairs],
        key="subscribed_tracks",
        render=lambda track: render.subscribed_track(participant, track, owners[track.sid]),
    )


async def fetch_subscribed_track(request: web.Request) -> web.Response:
    query(request, ())
    participant = _participant(request)
    key = request.match_info["track"]
    for track, owner in context(request).state.subscribed_tracks(participant):
        if key in (track.sid, track.name):
            return web.json_response(renderer(request).subscribed_track(participant, track, owner))
    raise not_found(f"SubscribedTrack {key}")


async def fetch_subscribe_rules(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(renderer(request).subscribe_rules(_participant(request)))


async def update_subscribe_rules(request: web.Request) -> web.Response:
    params = await body(request, {"Rules"})
    participant = _participant(request)
    # Validate before touching state: invalid rules leave the previous ones active.
    rules = parse_rules(params.required("Rules"), recording=False)
    now = context(request).state.now()
    participant.subscribe_rules = rules
    if participant.rules_date_created is None:
        participant.rules_date_created = now
    participant.rules_date_updated = now
    return web.json_response(renderer(request).subscribe_rules(participant))


def routes() -> list[web.RouteDef]:
    base = "/v1/Rooms/{room}/Participants"
    one = base + "/{participant}"
    return [
        web.get(base, list_participants, allow_head=False),
        web.get(one, fetch_participant, allow_head=False),
        web.post(one, update_participant),
        web.post(one + "/Anonymize", anonymize_participant),
        web.get(one + "/PublishedTracks", list_published_tracks, allow_head=False),
        web.get(one + "/PublishedTracks/{track}", fetch_published_track, allow_head=False),
        web.get(one + "/SubscribedTracks", list_subscribed_tracks, allow_head=False),
        web.get(one + "/SubscribedTracks/{track}", fetch_subscribed_track, allow_head=False),
        web.get(one + "/SubscribeRules", fetch_subscribe_rules, allow_head=False),
        web.post(one + "/SubscribeRules", update_subscribe_rules),
    ]
