"""What every API handler needs (:class:`ApiContext`, stored on the aiohttp application) and the
helpers handlers use to read a request through it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection
from dataclasses import dataclass, field

from aiohttp import web

from .._faults.controls import Faults
from .._state.account_state import State
from .._storage.url_signing import MediaSigner
from .form_params import Params
from .resource_json import Renderer


@dataclass(eq=False)
class ApiContext:
    """The API app's view of one emulator; state, faults, signer, request ids and the closing
    event are the same objects the storage origin's context holds."""

    state: State
    faults: Faults
    signer: MediaSigner
    credentials: list[tuple[str, str]] = field(repr=False)
    strict: bool
    request_ids: random.Random
    closing: asyncio.Event
    storage_port: int = 0
    in_flight: int = 0

    def storage_origin(self, request: web.Request) -> str:
        """The storage origin on the host name the client used to reach the API, so a client
        that talks to ``localhost`` (or to a wildcard-bound emulator) is sent somewhere it can
        reach."""
        host = request.url.host or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.storage_port}"

    def new_request_id(self) -> str:
        return f"RQ{self.request_ids.getrandbits(128):032x}"


CONTEXT = web.AppKey("twvideo_emulator_context", ApiContext)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]


def renderer(request: web.Request) -> Renderer:
    """A renderer producing absolute URLs on the origin this request was sent to."""
    return Renderer(context(request).state, str(request.url.origin()))


async def body(request: web.Request, allowed: Collection[str]) -> Params:
    """The request's form body, validated against the endpoint's field names."""
    return await Params.from_body(request, allowed, strict=context(request).strict)


def query(request: web.Request, allowed: Collection[str]) -> Params:
    """The request's query string, validated against the endpoint's parameters."""
    return Params.from_query(request, allowed, strict=context(request).strict)
