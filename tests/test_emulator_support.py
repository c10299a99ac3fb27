"""Shared helpers for the emulator tests: a checker for the spec's response schemas, a small
authenticated HTTP helper, and the fixtures (imported by the other ``test_emulator_*`` modules,
since the emulator's pytest plugin is not registered as an entry point yet).

The tests at the bottom check the checker itself against the spec's own examples.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers import basic_auth
from twvideo_async.testing import Emulator
from twvideo_async.testing.pytest_plugin import twvideo_emulator, twvideo_emulator_options

__all__ = [
    "Api",
    "Reply",
    "api",
    "check_response",
    "check_schema",
    "twvideo_emulator",
    "twvideo_emulator_options",
]

SPEC_PATH = Path(__file__).parent / "fixtures" / "twilio_video_v1.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_RULE_FORMATS = ("subscribe-rule", "recording-rule")


def _operations() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "delete"):
                yield operation["operationId"], method.upper(), path, operation


OPERATIONS = {op_id: (method, path, op) for op_id, method, path, op in _operations()}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def check_schema(
    value: Any, schema: dict[str, Any], *, where: str = "$", origin: str | None = None
) -> None:
    """Assert ``value`` matches ``schema``: every property present (objects with ``properties``
    have exactly those keys), JSON types right, null only where ``nullable``, enums (compared
    case-insensitively, as the spec's own examples return ``"opus"`` for ``OPUS``), SID patterns,
    ISO dates and absolute URLs. Rule objects inside ``rules`` arrays may omit keys and hold
    nulls, as the spec's examples do. With ``origin``, every ``url``, ``links`` entry and page
    URL must be on that origin.
    """
    resolved = _resolve(schema)
    if value is None:
        assert resolved.get("nullable") or schema.get("nullable"), f"{where} is null"
        return
    kind = resolved.get("type")
    if kind == "object" or "properties" in resolved:
        assert isinstance(value, dict), f"{where} should be an object, got {value!r}"
        properties = resolved.get("properties", {})
        lenient = resolved.get("format") in _RULE_FORMATS
        if properties and not lenient:
            assert set(value) == set(properties), (
                f"{where} keys differ: missing {sorted(set(properties) - set(value))}, "
                f"extra {sorted(set(value) - set(properties))}"
            )
        for key, item in value.items():
            if key not in properties:
                continue
            if lenient and item is None:
                continue
            check_schema(item, properties[key], where=f"{where}.{key}", origin=origin)
            if origin is not None and (key == "url" or key.endswith("_page_url")) and item:
                assert item.startswith(origin + "/"), f"{where}.{key} not on {origin}: {item}"
        if resolved.get("format") == "uri-map":
            for key, url in value.items():
                assert isinstance(url, str), f"{where}.{key} should be a URL"
                assert re.match(r"^https?://", url), f"{where}.{key} not absolute: {url}"
                if origin is not None:
                    assert url.startswith(origin + "/"), f"{where}.{key} not on {origin}"
        return
    if kind == "array":
        assert isinstance(value, list), f"{where} should be an array, got {value!r}"
        for index, item in enumerate(value):
            check_schema(item, resolved.get("items", {}), where=f"{where}[{index}]", origin=origin)
        return
    if kind == "string":
        assert isinstance(value, str), f"{where} should be a string, got {value!r}"
        enum = resolved.get("enum")
        if enum:
            assert value.lower() in {e.lower() for e in enum}, f"{where}={value!r} not in {enum}"
        pattern = resolved.get("pattern")
        if pattern:
            assert re.match(pattern, value), f"{where}={value!r} does not match {pattern}"
        fmt = resolved.get("format")
        if fmt == "date-time":
            assert _DATE_TIME.match(value), f"{where}={value!r} is not an ISO 8601 UTC date"
        if fmt == "uri":
            assert re.match(r"^https?://", value), f"{where}={value!r} is not an absolute URL"
        return
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where} not an integer"
        return
    if kind == "boolean":
        assert isinstance(value, bool), f"{where} should be a boolean, got {value!r}"
        return
    # No type (video_layout, grouping_sids): any JSON value.


def check_response(operation_id: str, status: int, body: Any, *, origin: str | None = None) -> None:
    """Check a response body against the schema the spec gives ``operation_id`` for ``status``."""
    _, _, operation = OPERATIONS[operation_id]
    response = operation["responses"][str(status)]
    content = response.get("content")
    if content is None:
        assert body is None, f"{operation_id} {status} should have no body"
        return
    schema = content["application/json"]["schema"]
    check_schema(body, schema, where=operation_id, origin=origin)


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any
    text: str


class Api:
    """Plain aiohttp requests to the emulator with its credentials (no SDK involved)."""

    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session
        self.auth = basic_auth(*emu.credentials)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Reply:
        url = path if path.startswith("http") else self.emu.base_url + path
        sent = dict(headers or {})
        if auth:
            sent.setdefault("Authorization", self.auth)
        async with self.session.request(
            method, url, params=params, data=data, headers=sent, allow_redirects=False
        ) as response:
            text = await response.text()
            is_json = response.content_type == "application/json"
            body = json.loads(text) if text and is_json else None
            return Reply(response.status, response.headers, body, text)

    async def get(self, path: str, params: Any = None, **options: Any) -> Reply:
        return await self.call("GET", path, params=params, **options)

    async def post(self, path: str, data: Any = None, **options: Any) -> Reply:
        return await self.call("POST", path, data=data, **options)

    async def delete(self, path: str, **options: Any) -> Reply:
        return await self.call("DELETE", path, **options)


@pytest.fixture
async def api(twvideo_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(twvideo_emulator, session)


# -- the checker checks -------------------------------------------------------------------------


def _examples() -> Iterator[tuple[str, int, Any]]:
    for op_id, (_, _, operation) in OPERATIONS.items():
        for status, response in operation["responses"].items():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            for example in examples.values():
                yield op_id, int(status), example["value"]


@pytest.mark.parametrize(("op_id", "status", "body"), list(_examples()))
def test_checker_accepts_the_spec_examples(op_id: str, status: int, body: Any) -> None:
    check_response(op_id, status, body)


def _room_example() -> dict[str, Any]:
    _, _, operation = OPERATIONS["FetchRoom"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    return dict(next(iter(examples.values()))["value"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda room: room.pop("links"), "keys differ"),
        (lambda room: room.update(extra=1), "keys differ"),
        (lambda room: room.update(max_participants="10"), "not an integer"),
        (lambda room: room.update(max_participants=None), "is null"),
        (lambda room: room.update(enable_turn="true"), "should be a boolean"),
        (lambda room: room.update(sid="RM123"), "does not match"),
        (lambda room: room.update(status="open"), "not in"),
        (lambda room: room.update(date_created="2015-07-30 20:00:00"), "ISO 8601"),
        (lambda room: room.update(url="/v1/Rooms/RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "absolute"),
    ],
)
def test_checker_rejects_wrong_shapes(change: Any, message: str) -> None:
    room = _room_example()
    change(room)
    with pytest.raises(AssertionError, match=message):
        check_response("FetchRoom", 200, room)


def test_checker_enforces_the_origin() -> None:
    room = _room_example()
    check_response("FetchRoom", 200, room, origin="https://video.twilio.com")
    with pytest.raises(AssertionError, match="not on"):
        check_response("FetchRoom", 200, room, origin="http://127.0.0.1:1")
