"""The models against the OpenAPI spec: every example structures strictly, every property is
modelled with a compatible type, and the tolerant behaviour production relies on."""

from __future__ import annotations

import copy
import enum
import json
import pickle
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import attrs
import cattrs
import pytest

from twvideo_async._decode import converter, values
from twvideo_async.models import (
    ENUM_SCHEMAS,
    SCHEMA_MODELS,
    HttpMethod,
    Model,
    Participant,
    ParticipantStatus,
    Recording,
    RecordingCodec,
    RecordingRules,
    Room,
    RoomStatus,
    SubscribeRules,
    Transcription,
    TranscriptionStatus,
)

SPEC = json.loads((Path(__file__).parent / "fixtures" / "twilio_video_v1.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
STRICT = converter.make_converter(strict=True)
STRICT_SLOW = converter.make_converter(strict=True, fast=False)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _examples() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(test id, schema name, item) for every item of every response example in the spec."""
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    schema = media["schema"]
                    for name, example in media.get("examples", {}).items():
                        value = example["value"]
                        label = f"{method.upper()} {path} {status} {name}"
                        if "$ref" in schema:
                            yield label, _ref_name(schema["$ref"]), value
                            continue
                        key = value["meta"]["key"]
                        item_ref = schema["properties"][key]["items"]["$ref"]
                        for index, item in enumerate(value[key]):
                            yield f"{label}[{index}]", _ref_name(item_ref), item


EXAMPLES = list(_examples())


def test_the_spec_has_examples_for_every_model() -> None:
    covered = {schema for _, schema, _ in EXAMPLES}
    assert covered == set(SCHEMA_MODELS)
    assert len(EXAMPLES) >= 35


@pytest.mark.parametrize(
    ("schema", "item"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_every_spec_example_structures_strictly(schema: str, item: dict[str, Any]) -> None:
    cls = SCHEMA_MODELS[schema]
    model = STRICT.structure(item, cls)
    assert model == STRICT_SLOW.structure(item, cls)  # fast path agrees with cattrs' own
    assert dict(model.raw) == item
    props = SCHEMAS[schema]["properties"]
    for key, value in item.items():
        _assert_same(getattr(model, key), value, props[key])


def _assert_same(model_value: Any, wire: Any, prop: dict[str, Any]) -> None:
    """The model's value carries exactly what the JSON said."""
    if wire is None:
        assert model_value is None
    elif prop.get("format") == "date-time":
        assert model_value == values.parse_datetime(wire)
    elif isinstance(model_value, enum.Enum):
        assert str(model_value.value).lower() == wire.lower()
    elif isinstance(model_value, tuple):
        assert len(model_value) == len(wire)
        item_prop = prop.get("items", {})
        for got, want in zip(model_value, wire, strict=True):
            if isinstance(got, Model):
                for key, value in want.items():
                    _assert_same(getattr(got, key), value, item_prop["properties"][key])
            else:
                _assert_same(got, want, item_prop)
    elif isinstance(model_value, Mapping):
        assert dict(model_value) == wire
    else:
        assert model_value == wire
        assert type(model_value) is type(wire)


# -- the schema walk ---------------------------------------------------------------------------


def _split_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = tuple(a for a in args if a is not type(None))
        return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007
    return tp, False


def _enum_union(enum_cls: type[enum.Enum]) -> Any:
    return typing.Union[enum_cls, str]  # noqa: UP007


def _check_type(where: str, core: Any, prop: dict[str, Any]) -> None:
    """Fail unless ``core`` (the model type without ``None``) can hold the property."""
    if "$ref" in prop:
        enum_cls = ENUM_SCHEMAS[_ref_name(prop["$ref"])]
        assert core == _enum_union(enum_cls), where
        return
    kind = prop.get("type")
    if "enum" in prop:
        assert core == _enum_union(HttpMethod), where
        assert set(prop["enum"]) <= {m.value for m in HttpMethod}, where
    elif kind == "string":
        assert core is (datetime if prop.get("format") == "date-time" else str), where
    elif kind == "integer":
        assert core is int, where
    elif kind == "boolean":
        assert core is bool, where
    elif kind == "array":
        assert typing.get_origin(core) is tuple, where
        item_type, ellipsis = typing.get_args(core)
        assert ellipsis is Ellipsis, where
        items = prop["items"]
        if items.get("type") == "object":
            _check_model(where, item_type, items, item=True)
        else:
            _check_type(f"{where}[]", item_type, items)
    elif kind == "object":
        assert typing.get_origin(core) is Mapping, where
        expected_value = str if prop.get("format") == "uri-map" else Any
        assert typing.get_args(core) == (str, expected_value), where
    else:
        # Untyped in the spec: grouping_sids (an object of SIDs) and video_layout.
        assert typing.get_origin(core) is Mapping, where
        assert typing.get_args(core)[0] is str, where


# The spec marks every property nullable, but a resource always comes back with its identity:
# these fields are required on the models (a payload without one is a parse error), and every
# other nullable property stays ``X | None = None``.
IDENTITY: dict[str, frozenset[str]] = {
    "video.v1.composition": frozenset({"sid"}),
    "video.v1.composition_hook": frozenset({"sid"}),
    "video.v1.composition_settings": frozenset({"account_sid"}),
    "video.v1.recording": frozenset({"sid"}),
    "video.v1.recording_settings": frozenset({"account_sid"}),
    "video.v1.room": frozenset({"sid"}),
    "video.v1.room.room_participant": frozenset({"sid"}),
    "video.v1.room.room_participant.room_participant_anonymize": frozenset({"sid"}),
    "video.v1.room.room_participant.room_participant_published_track": frozenset({"sid"}),
    "video.v1.room.room_participant.room_participant_subscribe_rule": frozenset(
        {"participant_sid", "room_sid"}
    ),
    "video.v1.room.room_participant.room_participant_subscribed_track": frozenset({"sid"}),
    "video.v1.room.room_recording": frozenset({"sid"}),
    "video.v1.room.room_recording_rule": frozenset({"room_sid"}),
    "video.v1.room.room_transcriptions": frozenset({"ttid"}),
}


def test_every_model_requires_exactly_its_identity() -> None:
    for schema, cls in SCHEMA_MODELS.items():
        required = {f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING}
        assert required == IDENTITY[schema], schema


def _check_model(where: str, cls: type[Any], schema: dict[str, Any], *, item: bool = False) -> None:
    assert issubclass(cls, Model), where
    assert attrs.has(cls) and cls.__setattr__ is not object.__setattr__, f"{where}: not frozen"
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls) if f.name != "raw"}
    props = schema["properties"]
    assert set(fields) == set(props), f"{where}: fields differ from the spec's properties"
    for name, prop in props.items():
        field = fields[name]
        assert field.kw_only, f"{where}.{name}"
        core, optional = _split_optional(hints[name])
        # Enum refs cannot carry ``nullable`` in OpenAPI 3.0, and rule items come back with
        # unused filters as null, so both are treated as nullable.
        if name in IDENTITY.get(where, ()):
            # Twilio always sends the resource's identity: required, and never None.
            assert not optional and field.default is attrs.NOTHING, f"{where}.{name} is required"
        elif item or prop.get("nullable") or "$ref" in prop:
            assert optional and field.default is None, f"{where}.{name} must be X | None = None"
        else:
            assert not optional and field.default == prop["default"], f"{where}.{name}"
        _check_type(f"{where}.{name}", core, prop)


@pytest.mark.parametrize("schema", sorted(SCHEMA_MODELS))
def test_every_spec_property_has_a_compatible_field(schema: str) -> None:
    _check_model(schema, SCHEMA_MODELS[schema], SCHEMAS[schema])


def test_every_response_schema_has_a_model() -> None:
    objects = {name for name, s in SCHEMAS.items() if s.get("type") == "object"}
    assert objects == set(SCHEMA_MODELS)


@pytest.mark.parametrize("name", sorted(n for n in SCHEMAS if "_enum_" in n))
def test_every_spec_enum_has_a_str_enum(name: str) -> None:
    cls = ENUM_SCHEMAS[name]
    assert issubclass(cls, str)
    spec_values = set(SCHEMAS[name]["enum"])
    assert spec_values <= {m.value for m in cls}
    # A shared class holds nothing beyond the spec schemas mapped to it.
    mapped = set().union(*(set(SCHEMAS[n]["enum"]) for n, c in ENUM_SCHEMAS.items() if c is cls))
    assert {m.value for m in cls} == mapped


# -- tolerant behaviour ------------------------------------------------------------------------


def _example(schema: str) -> dict[str, Any]:
    return next(item for _, name, item in EXAMPLES if name == schema)


def test_codec_matches_case_insensitively() -> None:
    rec = converter.structure(_example("video.v1.recording"), Recording)
    assert rec.codec is RecordingCodec.OPUS
    assert rec.codec == "OPUS"


def test_unknown_enum_values_are_kept_as_plain_strings() -> None:
    item = {**_example("video.v1.room.room_transcriptions"), "status": "created"}
    model = converter.structure(item, Transcription)
    assert model.status == "created"
    assert type(model.status) is str
    participant = converter.structure({"sid": "PA1", "status": "RECONNECTING"}, Participant)
    assert participant.status is ParticipantStatus.RECONNECTING
    with pytest.raises(cattrs.ClassValidationError):
        STRICT.structure(item, Transcription)


def test_known_enum_values_become_members() -> None:
    model = converter.structure({"ttid": "TT1", "status": "stopped"}, Transcription)
    assert model.status is TranscriptionStatus.STOPPED


def test_datetimes_are_aware_utc() -> None:
    room = converter.structure(
        {
            "sid": "RM1",
            "date_created": "2017-04-03T22:21:49Z",
            "end_time": "2017-04-04T00:21:51.5+02:00",
        },
        Room,
    )
    assert room.date_created == datetime(2017, 4, 3, 22, 21, 49, tzinfo=timezone.utc)
    assert room.date_created is not None and room.date_created.tzinfo is timezone.utc
    assert room.end_time == datetime(2017, 4, 3, 22, 21, 51, 500000, tzinfo=timezone.utc)
    assert room.end_time is not None and room.end_time.utcoffset() is not None


def test_grouping_sids_is_a_read_only_mapping() -> None:
    rec = converter.structure(_example("video.v1.recording"), Recording)
    assert rec.grouping_sids is not None
    assert rec.grouping_sids["room_sid"].startswith("RM")
    assert rec.links is not None and rec.links["media"].endswith("/Media")
    with pytest.raises(TypeError):
        rec.grouping_sids["room_sid"] = "x"  # type: ignore[index]


def test_raw_holds_the_payload_including_unknown_keys() -> None:
    item = {**_example("video.v1.room"), "brand_new_field": {"x": 1}}
    room = converter.structure(item, Room)
    assert room.raw["brand_new_field"] == {"x": 1}
    assert dict(room.raw) == item
    assert not hasattr(room, "brand_new_field")
    with pytest.raises(TypeError):
        room.raw["sid"] = "RMx"  # type: ignore[index]
    assert "raw" not in repr(room)
    assert room == converter.structure(_example("video.v1.room"), Room)  # raw not in equality


def test_unknown_keys_are_ignored_by_default_and_rejected_when_strict() -> None:
    item = {**_example("video.v1.room.room_participant"), "new": 1}
    assert converter.structure(item, Participant).sid == item["sid"]
    with pytest.raises(cattrs.ClassValidationError) as info:
        STRICT.structure(item, Participant)
    assert isinstance(info.value.exceptions[0], cattrs.ForbiddenExtraKeysError)
    assert info.value.exceptions[0].extra_fields == {"new"}


def test_strict_rejects_unknown_keys_in_nested_rules() -> None:
    item = _example("video.v1.room.room_participant.room_participant_subscribe_rule")
    bad = {**item, "rules": [{**item["rules"][0], "surprise": True}]}
    assert converter.structure(bad, SubscribeRules).rules is not None
    with pytest.raises(cattrs.ClassValidationError):
        STRICT.structure(bad, SubscribeRules)


def test_nested_rules_are_models_with_raw() -> None:
    item = _example("video.v1.room.room_recording_rule")
    rules = converter.structure(item, RecordingRules)
    assert rules.rules and rules.rules[0].raw == item["rules"][0]
    assert rules.rules[0].type in ("include", "exclude")


def test_models_are_frozen_and_keyword_only() -> None:
    room = Room(sid="RM" + "a" * 32, status=RoomStatus.COMPLETED)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        room.sid = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cast(Any, Room)("RMx")  # deliberate misuse: the fields are keyword-only
    assert room.raw == {}
    assert attrs.evolve(room, unique_name="standup").unique_name == "standup"


def test_missing_keys_take_the_defaults() -> None:
    room = converter.structure({"sid": "RM1"}, Room)
    assert room.sid == "RM1" and room.max_participants == 0 and room.video_codecs is None
    assert room.status is None and room.url is None


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("schema", sorted(SCHEMA_MODELS))
def test_a_payload_without_its_identity_is_a_parse_error(schema: str, fast: bool) -> None:
    cls = SCHEMA_MODELS[schema]
    tolerant = converter.make_converter(fast=fast)
    example = next(item for _, name, item in EXAMPLES if name == schema)
    for key in IDENTITY[schema]:
        for payload in ({k: v for k, v in example.items() if k != key}, {**example, key: None}):
            with pytest.raises(cattrs.ClassValidationError):
                tolerant.structure(payload, cls)


@pytest.mark.parametrize("schema", sorted(SCHEMA_MODELS))
def test_models_pickle_and_deep_copy(schema: str) -> None:
    item = {**_example(schema), "field_from_the_future": {"a": [1]}}
    model = converter.structure(item, SCHEMA_MODELS[schema])
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone == model
        assert dict(clone.raw) == item
        assert isinstance(clone.raw, types.MappingProxyType)
        for field in attrs.fields(type(model)):
            original = getattr(model, field.name)
            if isinstance(original, types.MappingProxyType):
                assert isinstance(getattr(clone, field.name), types.MappingProxyType)
