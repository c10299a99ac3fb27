"""Methods that make several requests (``composition_hooks.modify``, ``compositions.wait_for``,
``rooms.mute_all``) take the per-call options and pass them to each request they make, and an
unknown keyword is an ``InvalidRequestError`` before anything is sent. A loopback server
records every request (method, path, headers, form)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from aiohttp import web
from multidict import MultiDictProxy

from tests.helpers import ROOM_SID, base_url, make_client, serve
from twvideo_async import Timeout
from twvideo_async.errors import APITimeoutError, InternalServerError, InvalidRequestError

HOOK_SID = "HK" + "0" * 31 + "1"
COMPOSITION_SID = "CJ" + "0" * 31 + "1"
PARTICIPANTS = ["PA" + "0" * 31 + "1", "PA" + "0" * 31 + "2"]


@attrs.define
class Seen:
    """What the server saw, and how it should answer."""

    url: str = ""
    requests: list[tuple[str, str, str | None]] = attrs.Factory(list)  # method, path, X-Trace
    forms: list[MultiDictProxy[Any]] = attrs.Factory(list)
    fail: set[str] = attrs.Factory(set)  # methods answered 503
    hang: set[str] = attrs.Factory(set)  # methods never answered (until the test ends)
    polls: int = 0
    release: asyncio.Event = attrs.Factory(asyncio.Event)


HOOK = {
    "sid": HOOK_SID,
    "friendly_name": "all",
    "enabled": True,
    "audio_sources": ["*"],
    "trim": False,
    "format": "mp4",
    "video_layout": {},
    "resolution": "640x480",
    "status_callback": "https://example.com/cb",
    "status_callback_method": "POST",
}


@pytest.fixture
async def seen() -> AsyncIterator[Seen]:
    state = Seen()

    async def handler(request: web.Request) -> web.StreamResponse:
        state.requests.append((request.method, request.path, request.headers.get("X-Trace")))
        if request.method in state.hang:
            await state.release.wait()  # the test is over: the client has long gone
            return web.Response(status=503)
        if request.method in state.fail:
            return web.json_response({"code": 20500, "message": "down", "status": 503}, status=503)
        if request.method == "POST":
            state.forms.append(await request.post())
        path = request.path
        if path.startswith("/v1/CompositionHooks/"):
            if request.method == "GET":
                return web.json_response(HOOK)
            return web.json_response({**HOOK, "enabled": state.forms[-1].get("Enabled") == "true"})
        if path.startswith("/v1/Compositions/"):
            state.polls += 1
            status = "completed" if state.polls >= 2 else "processing"
            return web.json_response({"sid": COMPOSITION_SID, "status": status})
        if path.endswith("/Participants"):
            return web.json_response(
                {
                    "participants": [{"sid": sid} for sid in PARTICIPANTS],
                    "meta": {"key": "participants", "next_page_url": None},
                }
            )
        participant = path.split("/")[-2]
        return web.json_response({"participant_sid": participant, "room_sid": ROOM_SID})

    async with serve([("*", "/{tail:.*}", handler)]) as server:
        state.url = base_url(server)
        try:
            yield state
        finally:
            state.release.set()


# composition_hooks.modify


async def test_modify_keeps_the_fields_left_out_and_clears_those_passed_as_none(
    seen: Seen,
) -> None:
    async with make_client(seen.url) as client:
        changed = await client.composition_hooks.modify(
            HOOK_SID, enabled=False, status_callback=None
        )
    assert changed.enabled is False
    assert [(m, p) for m, p, _ in seen.requests] == [
        ("GET", f"/v1/CompositionHooks/{HOOK_SID}"),
        ("POST", f"/v1/CompositionHooks/{HOOK_SID}"),
    ]
    (form,) = seen.forms
    assert form["FriendlyName"] == "all" and form["Enabled"] == "false"
    assert form.getall("AudioSources") == ["*"] and form["Trim"] == "false"
    assert form["Format"] == "mp4" and form["StatusCallbackMethod"] == "POST"
    assert "StatusCallback" not in form  # None: cleared (Twilio's default)
    assert "VideoLayout" not in form  # Twilio's {} ("no layout") is not sent back


async def test_modify_refuses_an_unknown_field_before_sending(seen: Seen) -> None:
    async with make_client(seen.url) as client:
        with pytest.raises(InvalidRequestError, match=r"'enabeld'; did you mean 'enabled'\?"):
            await client.composition_hooks.modify(HOOK_SID, enabeld=False)  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match=r"it takes: .*extra_headers"):
            await client.composition_hooks.modify(HOOK_SID, bogus=1)  # type: ignore[call-arg]
    assert seen.requests == []


async def test_modify_refuses_a_bad_option_before_sending(seen: Seen) -> None:
    async with make_client(seen.url) as client:
        with pytest.raises(InvalidRequestError, match="max_retries"):
            await client.composition_hooks.modify(HOOK_SID, enabled=False, max_retries=-1)
    assert seen.requests == []


async def test_modify_sends_extra_headers_on_the_fetch_and_the_update(seen: Seen) -> None:
    async with make_client(seen.url) as client:
        await client.composition_hooks.modify(
            HOOK_SID, enabled=False, timeout=30, extra_headers={"X-Trace": "m1"}
        )
    assert [(m, trace) for m, _, trace in seen.requests] == [("GET", "m1"), ("POST", "m1")]


async def test_modify_applies_max_retries_to_the_fetch(seen: Seen) -> None:
    seen.fail.add("GET")
    async with make_client(seen.url) as client:  # the client's own max_retries is 2
        with pytest.raises(InternalServerError):
            await client.composition_hooks.modify(HOOK_SID, enabled=False, max_retries=0)
    assert [m for m, _, _ in seen.requests] == ["GET"]


async def test_modify_applies_max_retries_to_the_update(seen: Seen) -> None:
    seen.fail.add("POST")
    async with make_client(seen.url) as client:
        with pytest.raises(InternalServerError):
            await client.composition_hooks.modify(HOOK_SID, enabled=False, max_retries=0)
    assert [m for m, _, _ in seen.requests] == ["GET", "POST"]


async def test_modify_applies_a_per_call_timeout_to_the_update(seen: Seen) -> None:
    seen.hang.add("POST")  # never answered: only the per-call timeout can end the call
    async with make_client(seen.url, timeout=Timeout(total=None, read=600)) as client:
        call = client.composition_hooks.modify(HOOK_SID, enabled=False, timeout=2)
        with pytest.raises(APITimeoutError):
            await asyncio.wait_for(call, 60)  # a guard: a lost per-call timeout fails, not hangs
    assert [m for m, _, _ in seen.requests] == ["GET", "POST"]


# compositions.wait_for: its timeout is the whole wait; the other two apply to each poll


async def test_wait_for_sends_extra_headers_on_every_poll(seen: Seen) -> None:
    async with make_client(seen.url) as client:
        done = await client.compositions.wait_for(
            COMPOSITION_SID, poll_interval=0.01, extra_headers={"X-Trace": "w1"}
        )
    assert done.status == "completed"
    assert [(m, trace) for m, _, trace in seen.requests] == [("GET", "w1"), ("GET", "w1")]


async def test_wait_for_applies_max_retries_to_each_poll(seen: Seen) -> None:
    seen.fail.add("GET")
    async with make_client(seen.url) as client:
        with pytest.raises(InternalServerError):
            await client.compositions.wait_for(COMPOSITION_SID, max_retries=0)
    assert len(seen.requests) == 1


async def test_wait_for_refuses_unknown_keywords_and_bad_options_before_sending(
    seen: Seen,
) -> None:
    async with make_client(seen.url) as client:
        with pytest.raises(InvalidRequestError, match="did you mean 'max_retries'"):
            await client.compositions.wait_for(COMPOSITION_SID, max_retires=0)  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match="control characters"):
            await client.compositions.wait_for(COMPOSITION_SID, extra_headers={"X": "a\nb"})
    assert seen.requests == []


# rooms.mute_all: the listing and every update get the options


async def test_mute_all_sends_the_options_on_the_listing_and_every_update(seen: Seen) -> None:
    async with make_client(seen.url) as client:
        count = await client.rooms.mute_all(ROOM_SID, timeout=30, extra_headers={"X-Trace": "a1"})
    assert count == 2
    assert [(m, trace) for m, _, trace in seen.requests] == [
        ("GET", "a1"),
        ("POST", "a1"),
        ("POST", "a1"),
    ]
    assert [path.split("/")[-2] for _, path, _ in seen.requests[1:]] == PARTICIPANTS


async def test_mute_all_applies_max_retries_to_each_update(seen: Seen) -> None:
    seen.fail.add("POST")
    async with make_client(seen.url) as client:
        with pytest.raises(InternalServerError):
            await client.rooms.mute_all(ROOM_SID, identities=PARTICIPANTS, max_retries=0)
    assert [m for m, _, _ in seen.requests] == ["POST"]


async def test_mute_all_refuses_unknown_keywords_and_bad_options_before_sending(
    seen: Seen,
) -> None:
    async with make_client(seen.url) as client:
        with pytest.raises(InvalidRequestError, match="did you mean 'extra_headers'"):
            await client.rooms.mute_all(ROOM_SID, extra_header={})  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match="timeout"):
            await client.rooms.mute_all(ROOM_SID, identities=[], timeout=0)
    assert seen.requests == []
