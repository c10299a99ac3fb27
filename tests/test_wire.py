"""The msgspec fast path (``_decode.wire``) against the cattrs path: equal models for every spec
example and for randomised payloads, or a fallback, never a different model."""

from __future__ import annotations

import enum
import json
import random
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs
import cattrs
import pytest

from tests.test_models import EXAMPLES, SPEC
from twvideo_async._decode import converter, values, wire
from twvideo_async._decode.parsers import ListParser, Parser, split_envelope
from twvideo_async._response import APIResponse
from twvideo_async.errors import APIResponseValidationError
from twvideo_async.models import (
    SCHEMA_MODELS,
    Model,
    Recording,
    RecordingCodec,
    RecordingRules,
    Room,
    SubscribeRules,
    VideoCodec,
)
from twvideo_async.models._raw import LazyRaw

STRICT_SLOW = converter.make_converter(strict=True, fast=False)
UNIONS = (typing.Union, types.UnionType)
ERROR = "error"


def response(body: bytes) -> APIResponse:
    return APIResponse(
        status=200, headers={}, content=body, method="GET", path="/v1/X", retries_taken=0, elapsed=0
    )


def slow_object(body: bytes, cls: type[Any]) -> Any:
    """What the cattrs path alone makes of ``body``: a model or ``ERROR``."""
    try:
        return converter.structure(json.loads(body), cls)
    except (cattrs.BaseValidationError, TypeError, ValueError):
        return ERROR


def assert_same_model(fast: Any, slow: Any, cls: type[Any], body: bytes) -> None:
    assert type(fast) is cls
    assert fast == slow
    for field in attrs.fields(cls):
        if field.name != "raw":
            got, want = getattr(fast, field.name), getattr(slow, field.name)
            assert type(got) is type(want), (field.name, got, want)
            if isinstance(want, enum.Enum):
                assert got is want
    assert isinstance(fast.raw, LazyRaw)
    assert dict(fast.raw) == json.loads(body)


FAST_CLASSES: set[type[Model]] = {
    c for c in SCHEMA_MODELS.values() if c not in (SubscribeRules, RecordingRules)
}
FAST_BY_NAME = sorted(FAST_CLASSES, key=lambda c: c.__name__)


def test_every_model_but_the_nested_rules_has_a_fast_path() -> None:
    assert {c for c in SCHEMA_MODELS.values() if wire.supports(c)} == FAST_CLASSES


# -- spec examples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "item"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_every_spec_example_decodes_to_the_cattrs_model(schema: str, item: dict[str, Any]) -> None:
    cls = SCHEMA_MODELS[schema]
    body = json.dumps(item).encode()
    fast = wire.decode_object(body, cls)
    if cls not in FAST_CLASSES:
        assert fast is None
        return
    assert fast is not None
    assert_same_model(fast, slow_object(body, cls), cls, body)
    assert fast == STRICT_SLOW.structure(item, cls)  # the strict (spec drift) converter agrees
    assert Parser(cls).from_response(response(body)) == fast


def _list_examples() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, ops in SPEC["paths"].items():
        op = ops.get("get", {})
        for media in op.get("responses", {}).get("200", {}).get("content", {}).values():
            props = media["schema"].get("properties", {})
            for name, example in media.get("examples", {}).items():
                value = example["value"]
                if "meta" in value:
                    key = value["meta"]["key"]
                    ref = props[key]["items"]["$ref"].rsplit("/", 1)[-1]
                    out.append((f"{path} {name}", ref, value))
    return out


LIST_EXAMPLES = _list_examples()


@pytest.mark.parametrize(
    ("schema", "page"), [e[1:] for e in LIST_EXAMPLES], ids=[e[0] for e in LIST_EXAMPLES]
)
def test_every_spec_list_example_decodes_as_a_page(schema: str, page: dict[str, Any]) -> None:
    cls = SCHEMA_MODELS[schema]
    body = json.dumps(page).encode()
    decoded = wire.decode_page(body, cls)
    assert decoded is not None
    items, meta = decoded
    assert meta == page["meta"]
    expected = converter.structure_list(page[page["meta"]["key"]], cls)
    assert len(items) == len(expected)
    for fast, slow, item in zip(items, expected, page[page["meta"]["key"]], strict=True):
        assert_same_model(fast, slow, cls, json.dumps(item).encode())
    assert ListParser(cls)(response(body)) == (items, meta)


# -- randomised payloads -----------------------------------------------------------------------

_ODD: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], ["a"], [1], {}, {"k": "v"}, {"k": 1}]
_DATES = [
    "2015-07-30T20:00:00Z",
    "2024-02-29T23:59:59Z",
    "2015-07-30T20:00:00z",
    "2015-07-30 20:00:00Z",
    "2015-07-30T20:00:00",
    "2015-07-30T22:00:00+02:00",
    "2015-07-30T15:30:00-0430",
    "2015-07-30T20:00:00.5Z",
    "2015-07-30T20:00:00.1234567Z",
    "2015-07-30T20:00:00.9999996Z",
    "2015-07-30T20:00:00.1234567891Z",
    "2015-07-30T20:00:00,5Z",
    "2015-07-30T20:00:00\u0000",
    "2015-W31-4T20:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "2015-02-29T20:00:00Z",
    "2015-07-30",
    "yesterday",
]
_STRINGS = [
    "RM" + "0" * 32,
    "",
    "ünïcødé ✓",
    'quote " and \\ backslash',
    "\u2028\t\n",
    "\x00",
    "😀",
]
_ANY = [{"a": [1, 2.5, None, {"b": "c"}]}, {"big": 2**80, "f": 1e-7}, {}, {"x": -0.0}]


def _typical(tp: Any, rng: random.Random) -> Any:
    """A value of ``tp`` as Twilio could send it (both paths must take it)."""
    parts = [a for a in typing.get_args(tp) if a is not type(None)]
    core = parts[0] if typing.get_origin(tp) in UNIONS and len(parts) == 1 else tp
    args = typing.get_args(core)
    if core is str:
        return rng.choice(_STRINGS)
    if core is int:
        return rng.choice([0, 1, -5, 2**40])
    if core is bool:
        return rng.choice([True, False])
    if core is datetime:
        return rng.choice(_DATES[:8])
    if typing.get_origin(core) is Mapping:
        return rng.choice(_ANY) if args[1] is Any else {"media": "https://x/Media", "é": "ü"}
    if typing.get_origin(core) is tuple:
        return [_typical(args[0], rng) for _ in range(rng.randint(0, 3))]
    enum_cls = next(a for a in parts or args if isinstance(a, type) and issubclass(a, enum.Enum))
    value = rng.choice([*[m.value for m in enum_cls], "added-later"])
    return rng.choice([value, value.lower(), value.upper(), value.title()])


def _odd(tp: Any, rng: random.Random) -> Any:
    """Anything: wrong types, odd datetimes, big numbers. Either path may refuse it."""
    return rng.choice([*_ODD, rng.choice(_DATES), 2**70, 1.0, -0.0, _typical(tp, rng)])


def _payload(cls: type[Any], rng: random.Random, odd: bool) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in attrs.fields(cls) if f.name != "raw"]
    chosen = rng.sample(names, rng.randint(0, len(names)))
    make = _odd if odd else _typical
    data = {name: make(hints[name], rng) for name in chosen}
    # The identity fields (``sid``, ...) Twilio always sends: always there in a typical
    # payload, mostly there (and valid) in an odd one so that the other fields get compared.
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING and (not odd or rng.random() < 0.8):
            data[field.name] = _typical(hints[field.name], rng)
    if rng.random() < 0.3:
        data["field_from_the_future"] = rng.choice([*_ANY, 1.5, "x", None, [1, [2]]])
    if rng.random() < 0.1:
        data["raw"] = rng.choice([1, {"a": 1}])
    return data


def _dump(data: Any, rng: random.Random) -> bytes:
    return json.dumps(data, ensure_ascii=rng.random() < 0.5).encode()


@pytest.mark.parametrize("cls", FAST_BY_NAME)
def test_random_objects_decode_equal_or_fall_back(cls: type[Any]) -> None:
    rng = random.Random(cls.__name__)  # deterministic per class
    parse = Parser(cls)
    outcomes: set[tuple[bool, bool, bool]] = set()
    for index in range(300):
        typical = index % 2 == 0
        body = _dump(_payload(cls, rng, odd=not typical), rng)
        fast = wire.decode_object(body, cls)
        slow = slow_object(body, cls)
        outcomes.add((typical, fast is not None, slow is not ERROR))
        if fast is not None:
            assert slow is not ERROR, body
            assert_same_model(fast, slow, cls, body)
        else:
            assert not typical, body  # what Twilio sends always takes the fast path
        if slow is ERROR:
            with pytest.raises(APIResponseValidationError, match="did not match the expected"):
                parse.from_response(response(body))
        else:
            assert parse.from_response(response(body)) == slow
    # Odd payloads were both accepted and refused: the comparison above was exercised.
    assert {(False, True, True), (False, False, False), (True, True, True)} <= outcomes


@pytest.mark.parametrize("cls", FAST_BY_NAME)
def test_random_pages_decode_equal_or_fall_back(cls: type[Any]) -> None:
    rng = random.Random("page " + cls.__name__)
    parse = ListParser(cls)
    key = "things"
    outcomes = set()
    for _ in range(60):
        items = [_payload(cls, rng, odd=rng.random() < 0.2) for _ in range(rng.randint(0, 4))]
        meta = {"key": key, "page": 0, "next_page_url": None, "float": 1.5}
        envelope = {key: items, "meta": meta} if rng.random() < 0.5 else {"meta": meta, key: items}
        body = _dump(envelope, rng)
        try:
            expected: Any = converter.structure_list(items, cls)
        except (cattrs.BaseValidationError, TypeError, ValueError):
            expected = ERROR
        decoded = wire.decode_page(body, cls)
        outcomes.add((decoded is not None, expected is not ERROR))
        if decoded is not None:
            assert expected is not ERROR
            assert decoded[1] == meta
            for fast, slow, item in zip(decoded[0], expected, items, strict=True):
                assert_same_model(fast, slow, cls, json.dumps(item).encode())
        if expected is ERROR:
            with pytest.raises(APIResponseValidationError, match="did not match the expected"):
                parse(response(body))
        else:
            assert parse(response(body)) == (expected, meta)
    assert outcomes == {(True, True), (False, False)}


# -- enums, datetimes, encodings ---------------------------------------------------------------


@pytest.mark.parametrize("enum_cls", [RecordingCodec, VideoCodec])
def test_enum_values_in_any_case_become_the_public_members(enum_cls: type[enum.Enum]) -> None:
    for member in enum_cls:
        for spelling in {member.value, member.value.lower(), member.value.upper(), "Vp8"}:
            if spelling.lower() != member.value.lower():
                continue
            body = json.dumps(
                {"sid": "RT1", "codec": spelling, "video_codecs": [spelling]}
            ).encode()
            if enum_cls is RecordingCodec:
                recording = wire.decode_object(body, Recording)
                assert recording is not None
                value: enum.Enum | str | None = recording.codec
            else:
                room = wire.decode_object(body, Room)
                assert room is not None
                assert room.video_codecs is not None
                value = room.video_codecs[0]
            assert value is member
    room = wire.decode_object(
        b'{"sid": "RM1", "video_codecs": ["Vp8", "AV1"], "status": "Paused"}', Room
    )
    assert room is not None and room.video_codecs == (VideoCodec.VP8, "AV1")
    assert room.status == "Paused" and type(room.status) is str


@pytest.mark.parametrize("text", _DATES)
def test_datetimes_are_parsed_exactly_as_the_cattrs_path_does(text: str) -> None:
    body = json.dumps({"sid": "RT1", "date_created": text}).encode()
    fast = wire.decode_object(body, Recording)
    slow = slow_object(body, Recording)
    if slow is ERROR:
        assert fast is None
    else:
        assert fast is not None
        assert fast.date_created == slow.date_created
        assert fast.date_created.tzinfo is slow.date_created.tzinfo


def test_invalid_utf8_in_an_unknown_key_is_left_to_json_loads() -> None:
    body = b'{"sid": "RT1", "junk": "\xff"}'
    assert wire.decode_object(body, Recording) is None
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        Parser(Recording).from_response(response(body))
    good = '{"sid": "RT1", "track_name": "caméra ✓"}'.encode()
    model = wire.decode_object(good, Recording)
    assert model is not None and model.track_name == "caméra ✓"


def test_json_that_only_json_loads_reads_falls_back() -> None:
    for body in (
        b'{"sid": "RT1", "x": NaN}',
        b'{"sid": "RT1", "x": "\\ud800"}',
        b'\xef\xbb\xbf{"sid": "RT1"}',
    ):
        assert wire.decode_object(body, Recording) is None
        assert Parser(Recording).from_response(response(body)) == slow_object(body, Recording)


def test_duplicate_keys_take_the_last_value_or_fall_back() -> None:
    body = b'{"sid": "RT1", "status": 3, "status": "completed"}'
    assert Parser(Recording).from_response(response(body)).status == "completed"
    body = b'{"sid": "RT1", "sid": "RT2"}'
    assert wire.decode_object(body, Recording) == slow_object(body, Recording)


def test_mappings_are_read_only() -> None:
    model = wire.decode_object(
        b'{"sid": "RT1", "links": {"media": "u"}, "grouping_sids": {}}', Recording
    )
    assert model is not None
    assert isinstance(model.links, MappingProxyType)
    assert isinstance(model.grouping_sids, MappingProxyType)
    with pytest.raises(TypeError):
        model.links["media"] = "x"  # type: ignore[index]


def test_split_envelope_errors() -> None:
    bodies: tuple[Any, ...] = (
        {},
        [],
        {"meta": {"key": "meta"}},
        {"meta": {"key": 1}},
        {"meta": {"key": "x"}},
    )
    for body in bodies:
        with pytest.raises(APIResponseValidationError, match=r"no `meta\.key` array"):
            split_envelope(body)


def test_a_model_is_a_plain_instance_of_its_class() -> None:
    model = wire.decode_object(b'{"sid": "RM1"}', Room)
    assert type(model) is Room and isinstance(model, Model)
    assert model == Room(sid="RM1")
    assert attrs.evolve(model, sid="RM2").sid == "RM2"


def test_the_zulu_shortcut_agrees_with_the_respelled_offset() -> None:
    # ``parse_datetime`` (both paths) reads ``...Z`` with ``fromisoformat`` directly on 3.11+;
    # it must treat every 20-character string ending in Z as 3.10's respelling does.
    def outcome(parse: Any, text: str) -> Any:
        try:
            parsed = parse(text)
        except ValueError as exc:
            return type(exc)
        return parsed, parsed.tzinfo

    rng = random.Random(20)
    for index in range(20000):
        if index % 2:
            prefix = "".join(rng.choice("0123456789-:+TZWz .,é\x00") for _ in range(19))
        else:
            chars = list("2015-07-30T20:00:00")
            for _ in range(rng.randint(1, 3)):
                chars[rng.randrange(19)] = rng.choice("0123456789-:+TZWz .,é\x00")
            prefix = "".join(chars)
        text = prefix + "Z"
        respelled = outcome(lambda t: datetime.fromisoformat(t[:19] + "+00:00"), text)
        assert outcome(values.from_zulu, text) == respelled, text
