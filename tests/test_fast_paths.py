"""The fetch path's fast paths give exactly what the general code gives.

Each shortcut taken on every call (the request built as a tuple, the one-placeholder path,
the single-object msgspec finisher) is checked here against the slower general form it
replaces, on ordinary and odd inputs.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from tests.test_models import EXAMPLES
from tests.test_wire import FAST_CLASSES, assert_same_model, response, slow_object
from twvideo_async import VideoClient
from twvideo_async._decode import wire
from twvideo_async._decode.parsers import Parser, parse_response
from twvideo_async._encoding import build_path, sid_pattern
from twvideo_async._options import NO_OPTIONS, RequestOptions, make_options
from twvideo_async._request import Request
from twvideo_async._response import APIResponse
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
