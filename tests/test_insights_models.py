"""The Insights models against the Insights spec: every property has a compatible field, every
example structures strictly (fast path and cattrs agree), every enum covers the spec's values,
and values the spec does not list (one enum lost values in 2026) are kept as plain strings."""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from twvideo_async._decode import converter, wire
from twvideo_async.models import (
    INSIGHTS_ENUM_SCHEMAS,
    INSIGHTS_SCHEMA_MODELS,
    HttpMethod,
    Model,
    ParticipantSummary,
    RoomSummary,
    SummaryRoomType,
)

SPEC = json.loads(
    (Path(__file__).parent / "fixtures" / "twilio_insights_v1_video.json").read_text()
)
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
STRICT = converter.make_converter(strict=True)
STRICT_SLOW = converter.make_converter(strict=True, fast=False)


def _ref(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _examples() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for media in op["responses"]["200"]["content"].values():
                schema = media["schema"]
                for name, example in media.get("examples", {}).items():
                    value = example["value"]
                    label = f"{method.upper()} {path} {name}"
                    if "$ref" in schema:
                        yield label, _ref(schema["$ref"]), value
                        continue
                    key = value["meta"]["key"]
                    item_ref = schema["properties"][key]["items"]["$ref"]
                    for index, item in enumerate(value[key]):
                        yield f"{label}[{index}]", _ref(item_ref), item


EXAMPLES = list(_examples())


def test_the_examples_cover_both_models() -> None:
    assert {schema for _, schema, _ in EXAMPLES} == set(INSIGHTS_SCHEMA_MODELS)
    objects = {name for name, s in SCHEMAS.items() if s.get("type") == "object"}
    assert objects == set(INSIGHTS_SCHEMA_MODELS)


@pytest.mark.parametrize(
    ("schema", "item"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_every_example_structures_strictly(schema: str, item: dict[str, Any]) -> None:
    cls = INSIGHTS_SCHEMA_MODELS[schema]
    model = STRICT.structure(item, cls)
    assert model == STRICT_SLOW.structure(item, cls)
    assert dict(model.raw) == item
    assert wire.supports(cls)
    fast = wire.decode_object(json.dumps(item).encode(), cls)
    assert fast == model


def _core(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = tuple(a for a in args if a is not type(None))
        return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007
    return tp, False


def _check(where: str, core: Any, prop: dict[str, Any]) -> None:
    if "$ref" in prop:
        assert core == typing.Union[INSIGHTS_ENUM_SCHEMAS[_ref(prop["$ref"])], str], where  # noqa: UP007
        return
    kind = prop.get("type")
    if "enum" in prop:
        assert core == typing.Union[HttpMethod, str], where  # noqa: UP007
    elif kind == "string":
        assert core is (datetime if prop.get("format") == "date-time" else str), where
    elif kind in ("integer", "boolean"):
        assert core is {"integer": int, "boolean": bool}[kind], where
    elif kind == "array":
        item, ellipsis = typing.get_args(core)
        assert typing.get_origin(core) is tuple and ellipsis is Ellipsis, where
        _check(f"{where}[]", item, prop["items"])
    elif kind == "object":
        assert typing.get_origin(core) is Mapping and typing.get_args(core) == (str, str), where
    else:  # untyped in the spec: properties, publisher_info (JSON objects)
        assert typing.get_origin(core) is Mapping and typing.get_args(core)[0] is str, where


# Every property is nullable in the spec; the summary's identity is always sent and required.
IDENTITY = {
    "insights.v1.video_room_summary": "room_sid",
    "insights.v1.video_room_summary.video_participant_summary": "participant_sid",
}


@pytest.mark.parametrize("schema", sorted(INSIGHTS_SCHEMA_MODELS))
def test_every_property_has_a_compatible_field(schema: str) -> None:
    cls = INSIGHTS_SCHEMA_MODELS[schema]
    assert issubclass(cls, Model) and attrs.has(cls)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls) if f.name != "raw"}
    props = SCHEMAS[schema]["properties"]
    assert set(fields) == set(props)
    for name, prop in props.items():
        core, optional = _core(hints[name])
        if name == IDENTITY.get(schema):
            assert not optional and fields[name].default is attrs.NOTHING, name
        else:
            assert optional and fields[name].default is None and fields[name].kw_only, name
        _check(f"{schema}.{name}", core, prop)


@pytest.mark.parametrize("name", sorted(n for n in SCHEMAS if "_enum_" in n))
def test_every_enum_matches_the_spec(name: str) -> None:
    cls = INSIGHTS_ENUM_SCHEMAS[name]
    assert issubclass(cls, str) and issubclass(cls, enum.Enum)
    mapped = set().union(
        *(set(SCHEMAS[n]["enum"]) for n, c in INSIGHTS_ENUM_SCHEMAS.items() if c is cls)
    )
    assert set(SCHEMAS[name]["enum"]) <= {m.value for m in cls} == mapped
    assert len(INSIGHTS_ENUM_SCHEMAS) == 12


def test_unknown_values_are_kept_as_strings_on_both_paths() -> None:
    item = {
        "room_sid": "RM1",
        "room_type": "PEER_TO_PEER",
        "codecs": ["VP8", "AV1"],
        "processing_state": "gone",
    }
    for model in (
        converter.structure(item, RoomSummary),
        wire.decode_object(json.dumps(item).encode(), RoomSummary),
    ):
        assert model is not None
        assert model.room_type is SummaryRoomType.PEER_TO_PEER
        assert model.codecs is not None and model.codecs[1] == "AV1"
        assert type(model.codecs[1]) is str and type(model.processing_state) is str
    person = converter.structure(
        {"participant_sid": "PA1", "status": "left", "properties": {"a": 1}}, ParticipantSummary
    )
    assert person.status == "left" and person.properties == {"a": 1}
