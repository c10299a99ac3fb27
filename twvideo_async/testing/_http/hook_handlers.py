"""``/v1/CompositionHooks``: create, fetch, list, update and delete composition hooks.

Hook updates are not partial: as on Twilio, every optional field left out of the POST goes back
to its default, so clients must send the full desired state.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._twilio_errors import bad_request
from .composition_handlers import composition_fields
from .form_params import Params
from .handler_context import body, context, query, renderer
from .paging_envelope import PAGING_PARAMS, page_response

HOOK_FIELDS = frozenset(
    {
        "FriendlyName",
        "Enabled",
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
LIST_PARAMS = PAGING_PARAMS | {"Enabled", "DateCreatedAfter", "DateCreatedBefore", "FriendlyName"}


def _hook_fields(request: web.Request, params: Params, current: str | None) -> dict[str, Any]:
    name = params.required("FriendlyName")
    if len(name) > 100:
        raise bad_request("FriendlyName must be at most 100 characters")
    for other in context(request).state.hooks.values():
        if other.friendly_name == name and other.sid != current:
            raise bad_request(f"FriendlyName {name!r} is already used by hook {other.sid}")
    return {
        "friendly_name": name,
        "enabled": params.flag("Enabled", True),
        **composition_fields(params),
    }


async def create_hook(request: web.Request) -> web.Response:
    params = await body(request, HOOK_FIELDS)
    state = context(request).state
    fields = _hook_fields(request, params, None)
    hook = state.create_hook(fields.pop("friendly_name"), **fields)
    return web.json_response(renderer(request).hook(hook), status=201)


async def update_hook(request: web.Request) -> web.Response:
    params = await body(request, HOOK_FIELDS)
    state = context(request).state
    hook = state.find_hook(request.match_info["sid"])
    # Full replacement: whatever the POST leaves out returns to its default.
    for key, value in _hook_fields(request, params, hook.sid).items():
        setattr(hook, key, value)
    hook.date_updated = state.now()
    return web.json_response(renderer(request).hook(hook))


def name_matches(pattern: str, name: str) -> bool:
    """Whether ``name`` matches a FriendlyName filter with ``*`` wildcards (the spec's example
    filters by ``*Hook*``).

    Matched piece by piece, leftmost first, in linear time: the equivalent regex (``.*`` per
    wildcard) backtracks exponentially, so a filter such as ``*a*a*a*...b`` would stall the
    emulator's event loop for minutes.
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return name == pattern
    head, *middle, tail = pieces
    if len(name) < len(head) + len(tail) or not name.startswith(head) or not name.endswith(tail):
        return False
    position, stop = len(head), len(name) - len(tail)
    for piece in middle:
        found = name.find(piece, position, stop)
        if found < 0:
            return False
        position = found + len(piece)
    return True


async def list_hooks(request: web.Request) -> web.Response:
    params = query(request, LIST_PARAMS)
    state = context(request).state
    enabled = params.flag("Enabled", True) if params.has("Enabled") else None
    name = params.get("FriendlyName")
    created_within = params.created_within()
    found = [
        h
        for h in state.hooks.values()
        if (enabled is None or h.enabled == enabled)
        and (name is None or name_matches(name, h.friendly_name))
        and created_within(h.date_created)
    ]
    return page_response(
        request, params, found, key="composition_hooks", render=renderer(request).hook
    )


async def fetch_hook(request: web.Request) -> web.Response:
    query(request, ())
    hook = context(request).state.find_hook(request.match_info["sid"])
    return web.json_response(renderer(request).hook(hook))


async def delete_hook(request: web.Request) -> web.Response:
    query(request, ())
    state = context(request).state
    del state.hooks[state.find_hook(request.match_info["sid"]).sid]
    return web.Response(status=204)


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1/CompositionHooks", create_hook),
        web.get("/v1/CompositionHooks", list_hooks, allow_head=False),
        web.get("/v1/CompositionHooks/{sid}", fetch_hook, allow_head=False),
        web.post("/v1/CompositionHooks/{sid}", update_hook),
        web.delete("/v1/CompositionHooks/{sid}", delete_hook),
    ]
