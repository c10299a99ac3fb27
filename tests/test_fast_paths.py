"""The fetch path's fast paths give exactly what the general code gives.

Each shortcut taken on every call (the request built as a tuple, the one-placeholder path,
the single-object msgspec finisher, the limiter's turn taken without a coroutine) is checked
here against the slower general form it replaces, on ordinary and odd inputs.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import re
import time
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from aiohttp import web

from tests.helpers import ROOM_SID as SERVED_ROOM
from tests.helpers import base_url, make_client, room_json, serve
from tests.test_models import EXAMPLES
from tests.test_wire import FAST_CLASSES, assert_same_model, response, slow_object
from twvideo_async import VideoClient
from twvideo_async._decode import wire
from twvideo_async._decode.parsers import Parser, parse_response
from twvideo_async._encoding import build_path, sid_pattern
from twvideo_async._options import NO_OPTIONS, RequestOptions, make_options
from twvideo_async._ratelimit import Limits
from twvideo_async._request import Request
from twvideo_async._response import APIResponse
from twvideo_async._throttle import AdaptiveThrottle
from twvideo_async.errors import InvalidRequestError
from twvideo_async.models import SCHEMA_MODELS, Room, RoomStatus
from twvideo_async.models._raw import LazyRaw

ROOM_SID = "RM" + "a" * 32

# -- the request object ------------------------------------------------------------------------


def test_request_fields_keep_the_order_the_resource_layer_builds_them_in() -> None:
    assert Request._fields == (
        "method",
        "path_template",
        "path",
        "url",
        "query",
        "form",
        "idempotent",
        "expect_redirect",
        "options",
    )
    req = Request(method="GET", path_template="/v1/Rooms/{Sid}")
    assert (req.path, req.url, req.query, req.form) == ("", None, None, None)
    assert req.idempotent is False and req.expect_redirect is False
    assert req.options is NO_OPTIONS
    with pytest.raises(AttributeError):
        req.path = "/v1/Rooms/x"  # type: ignore[misc]


class _Recorder:
    """A requester that records the request and answers with a fixed room body."""

    origin = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.requests: list[Request] = []

    async def request(self, req: Request) -> APIResponse:
        self.requests.append(req)
        body = json.dumps({"sid": ROOM_SID, "status": "completed"}).encode()
        return APIResponse(
            status=200,
            headers={},
            content=body,
            method=req.method,
            path=req.path_template,
            retries_taken=0,
            elapsed=0.0,
        )


@pytest.mark.parametrize(
    ("call", "want"),
    [
        (
            lambda rooms: rooms.fetch(ROOM_SID),
            Request(method="GET", path_template="/v1/Rooms/{Sid}", path=f"/v1/Rooms/{ROOM_SID}"),
        ),
        (
            lambda rooms: rooms.fetch("daily standup", timeout=3),
            Request(
                method="GET",
                path_template="/v1/Rooms/{Sid}",
                path="/v1/Rooms/daily%20standup",
                options=make_options({"timeout": 3}),
            ),
        ),
        (
            lambda rooms: rooms.update(ROOM_SID, status="completed"),
            Request(
                method="POST",
                path_template="/v1/Rooms/{Sid}",
                path=f"/v1/Rooms/{ROOM_SID}",
                form=[("Status", "completed")],
                idempotent=True,
            ),
        ),
    ],
    ids=["fetch", "fetch-with-options", "update-with-form"],
)
async def test_the_resource_layer_builds_the_same_request_as_the_keyword_form(
    call: Any, want: Request
) -> None:
    async with VideoClient(
        api_key_sid="SK" + "0" * 32, api_key_secret="x", base_url="http://127.0.0.1:1"
    ) as client:
        rooms = client.rooms
        recorder = _Recorder()
        rooms._requester = recorder  # type: ignore[assignment]
        room = await call(rooms)
    assert room.status is RoomStatus.COMPLETED
    (got,) = recorder.requests
    assert type(got) is Request
    assert got == want
    assert got._asdict() == want._asdict()


# -- paths -------------------------------------------------------------------------------------


def _general_path(
    template: str, params: Mapping[str, str], patterns: Mapping[str, re.Pattern[str]] | None
) -> str:
    """The path as the general loop builds it: a template with a second placeholder added
    after the first takes the multi-placeholder branch, and its first segment must match."""
    doubled = template + "/{Extra}"
    path = build_path(doubled, {**params, "Extra": "x"}, patterns)
    assert path.endswith("/x")
    return path[: -len("/x")]


@pytest.mark.parametrize(
    "value", [ROOM_SID, "standup", "daily standup", "caf\u00e9", "a-b_c~d", "\u0661\u0662"]
)
def test_one_placeholder_paths_equal_the_general_loop(value: str) -> None:
    for template in ("/v1/Rooms/{Sid}", "/v1/Rooms/{Sid}/RecordingRules"):
        params = {"Sid": value}
        assert build_path(template, params) == _general_path(template, params, None)


@pytest.mark.parametrize("value", ["", " ", ".", "..", "a/b", "a%2Fb", "a;b", 7])
def test_one_placeholder_paths_refuse_what_the_general_loop_refuses(value: Any) -> None:
    with pytest.raises(InvalidRequestError) as single:
        build_path("/v1/Rooms/{Sid}", {"Sid": value})
    with pytest.raises(InvalidRequestError) as general:
        build_path("/v1/Rooms/{Sid}/{Extra}", {"Sid": value, "Extra": "x"})
    assert str(single.value) == str(general.value)


def test_sid_patterns_apply_on_the_one_placeholder_branch() -> None:
    patterns = {"Sid": sid_pattern("RM")}
    assert build_path("/v1/Rooms/{Sid}", {"Sid": ROOM_SID}, patterns) == f"/v1/Rooms/{ROOM_SID}"
    with pytest.raises(InvalidRequestError, match="not a valid SID"):
        build_path("/v1/Rooms/{Sid}", {"Sid": "RM123"}, patterns)
    assert build_path("/v1/Rooms", {}) == "/v1/Rooms"
    assert (
        build_path("/v1/Rooms/{RoomSid}/Participants/{Sid}", {"RoomSid": ROOM_SID, "Sid": "PA1"})
        == f"/v1/Rooms/{ROOM_SID}/Participants/PA1"
    )


# -- options -----------------------------------------------------------------------------------


def test_calls_without_options_share_one_immutable_options_object() -> None:
    assert make_options({}) is NO_OPTIONS
    assert make_options({"timeout": None, "max_retries": None}) is NO_OPTIONS
    assert RequestOptions() == NO_OPTIONS
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        NO_OPTIONS.timeout = None  # type: ignore[misc]
    assert make_options({"max_retries": 2}) is not NO_OPTIONS
    assert RequestOptions() == NO_OPTIONS


# -- the single-object finisher ----------------------------------------------------------------


def _one_item_page(item: dict[str, Any], cls: type[Any]) -> Any:
    body = json.dumps({"items": [item], "meta": {"key": "items"}}).encode()
    decoded = wire.decode_page(body, cls)
    assert decoded is not None
    (model,) = decoded[0]
    return model


@pytest.mark.parametrize(
    ("schema", "item"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_single_objects_finish_exactly_as_page_items_do(schema: str, item: dict[str, Any]) -> None:
    cls = SCHEMA_MODELS[schema]
    if cls not in FAST_CLASSES:
        return
    body = json.dumps(item).encode()
    single = wire.decode_object(body, cls)
    assert single is not None
    assert_same_model(single, _one_item_page(item, cls), cls, body)
    assert_same_model(single, slow_object(body, cls), cls, body)
    assert parse_response(response(body), Parser(cls)) == single


ODD_ROOMS: list[dict[str, Any]] = [
    {"sid": ROOM_SID},  # every other field missing: defaults
    {"sid": ROOM_SID, "date_created": None, "end_time": None, "links": None},
    {"sid": ROOM_SID, "date_created": "2015-07-30T20:00:00.123456789Z"},  # the regex path
    {"sid": ROOM_SID, "date_created": "2015-07-30T22:00:00+02:00"},  # an offset
    {"sid": ROOM_SID, "date_created": "2015-07-30 20:00:00Z"},  # 20 characters, a space
    {"sid": ROOM_SID, "status": "IN-PROGRESS", "type": "some-new-type", "links": {}},
    {"sid": ROOM_SID, "video_codecs": ["vp8", "H264", "AV1"], "unknown": {"x": [1, None]}},
    {"sid": ROOM_SID, "unique_name": "caf\u00e9 \u2603", "url": "http://x/\u00e9"},
]


@pytest.mark.parametrize("item", ODD_ROOMS)
def test_odd_room_bodies_give_the_cattrs_model(item: dict[str, Any]) -> None:
    body = json.dumps(item, ensure_ascii=False).encode()
    fast = wire.decode_object(body, Room)
    slow = slow_object(body, Room)
    assert fast is not None  # each of these is one the fast path accepts
    assert_same_model(fast, slow, Room, body)
    assert_same_model(fast, _one_item_page(item, Room), Room, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"sid": "' + ROOM_SID.encode() + b'", "date_created": "yesterday"}',
        b'{"sid": "' + ROOM_SID.encode() + b'", "date_created": "2015-13-30T20:00:00Z"}',
        b'{"sid": 7}',
        b'{"sid": "RM1", "bad": "\xff"}',
        b"[]",
    ],
)
def test_what_the_single_finisher_refuses_takes_the_cattrs_path(body: bytes) -> None:
    assert wire.decode_object(body, Room) is None


def test_a_single_objects_raw_is_parsed_on_first_use_and_pickles() -> None:
    body = json.dumps({"sid": ROOM_SID, "status": "completed", "extra": [1, 2]}).encode()
    room = wire.decode_object(body, Room)
    assert room is not None and isinstance(room.raw, LazyRaw)
    raw: Any = room.raw
    assert raw._source is body  # the body itself: nothing to share a parse with
    with pytest.raises(AttributeError):
        raw._data  # noqa: B018 - not parsed until someone looks
    assert raw["extra"] == [1, 2]
    assert raw._data == json.loads(body)
    copied = pickle.loads(pickle.dumps(room))
    assert copied == room and dict(copied.raw) == json.loads(body)


# -- the limiter's turn ------------------------------------------------------------------------


def _limits(**changes: Any) -> Limits:
    options: dict[str, Any] = {
        "max_concurrency": None,
        "read_rate": None,
        "write_rate": None,
        "rate_limiter": None,
        "clock": time.monotonic,
        "sleep": asyncio.sleep,
    }
    return Limits(**{**options, **changes})


class _NoLimiter:
    async def acquire(self) -> None:  # pragma: no cover - never awaited: try_turn refuses first
        raise AssertionError("a user limiter is always waited for")


@pytest.mark.parametrize(
    "changes",
    [
        {"max_concurrency": 4},
        {"read_rate": 50.0},
        {"write_rate": 5.0},
        {"rate_limiter": _NoLimiter()},
    ],
    ids=["max_concurrency", "read_rate", "write_rate", "rate_limiter"],
)
def test_any_other_limit_leaves_the_turn_to_wait_turn(changes: dict[str, Any]) -> None:
    limits = _limits(**changes)
    assert limits.try_turn() is False
    assert isinstance(limits.throttle, AdaptiveThrottle)
    assert limits.throttle.in_flight == 0  # nothing taken: wait_turn takes it, once


def test_with_only_the_throttle_the_turn_is_taken_at_once() -> None:
    limits = _limits()
    assert limits.try_turn() is True and limits.try_turn() is True
    assert isinstance(limits.throttle, AdaptiveThrottle)
    assert limits.throttle.in_flight == 2
    limits.throttle.release()
    limits.throttle.release()
    assert limits.throttle.in_flight == 0


def test_try_acquire_takes_a_turn_only_when_acquire_would_not_wait() -> None:
    now = [100.0]
    throttle = AdaptiveThrottle(clock=lambda: now[0], run_length=1)
    assert throttle.try_acquire() and throttle.in_flight == 1
    throttle.release()
    throttle.on_rate_limited(2.0, 0.1)  # a run of 429s: everyone pauses for 2 s
    assert throttle.paused_for == pytest.approx(2.0)
    assert throttle.try_acquire() is False and throttle.in_flight == 0
    now[0] += 2.5
    assert throttle.try_acquire() is True
    # A concurrency window that is full refuses, and takes a turn again once one is free.
    cap = AdaptiveThrottle(clock=lambda: now[0])
    for _ in range(3):
        assert cap.try_acquire()
    cap.release()
    cap.on_rate_limited(None, 0.1)  # refused with two others in flight: a cap of two
    assert cap.mode == "concurrency" and cap.window == 2
    assert cap.try_acquire() is False
    cap.release()
    assert cap.try_acquire() is True and cap.in_flight == 2


async def test_try_acquire_never_jumps_ahead_of_a_waiter() -> None:
    now = [0.0]
    throttle = AdaptiveThrottle(clock=lambda: now[0])
    for _ in range(3):
        assert throttle.try_acquire()
    throttle.release()
    throttle.on_rate_limited(None, 0.1)  # window of two, both in use
    waiter = asyncio.ensure_future(throttle.acquire())
    await asyncio.sleep(0)
    throttle.release()  # a slot is free, but the waiter was first
    assert throttle.try_acquire() is False
    await asyncio.wait_for(waiter, 1)
    assert throttle.in_flight == 2


async def test_the_common_call_takes_its_turn_without_the_acquire_coroutine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[str] = []
    acquire = AdaptiveThrottle.acquire

    async def spy(self: AdaptiveThrottle) -> None:
        waited.append("acquire")
        await acquire(self)

    monkeypatch.setattr(AdaptiveThrottle, "acquire", spy)

    async def ok(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", ok)]) as server:
        async with make_client(base_url(server)) as client:
            rooms = await asyncio.gather(*(client.rooms.fetch(SERVED_ROOM) for _ in range(20)))
            assert {room.sid for room in rooms} == {SERVED_ROOM} and waited == []
            throttle = client._requester.limits.throttle
            assert isinstance(throttle, AdaptiveThrottle) and throttle.in_flight == 0
            # Once the throttle holds calls back, they wait in acquire() as before.
            for _ in range(4):
                throttle.on_rate_limited(0.05, 0.05)
            assert throttle.paused_for > 0
            room = await client.rooms.fetch(SERVED_ROOM)
            assert room.sid == SERVED_ROOM and waited == ["acquire"]
            assert throttle.in_flight == 0
