"""The converter's hooks: strict primitives, datetimes, containers, errors, and the generated
fast path agreeing with cattrs' own checked path."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import attrs
import cattrs
import pytest

from twvideo_async._decode import converter, values
from twvideo_async._encoding import format_datetime
from twvideo_async.errors import InvalidRequestError
from twvideo_async.models import (
    SCHEMA_MODELS,
    Composition,
    Model,
    Recording,
    RecordingStatus,
    Room,
    RoomStatus,
    SubscribeRules,
    VideoCodec,
)

UTC = timezone.utc
CONV = converter.make_converter()
SLOW = converter.make_converter(fast=False)
SPEC = json.loads((Path(__file__).parent / "fixtures" / "twilio_video_v1.json").read_text())
RECORDING = SPEC["paths"]["/v1/Recordings/{Sid}"]["get"]["responses"]["200"]["content"][
    "application/json"
]["examples"]["fetch"]["value"]


# -- strict primitives -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ("false", bool),
        ("true", bool),
        (1, bool),
        (0, bool),
        (None, str),
        (12, str),
        (1.5, int),
        ("1", int),
        (True, int),
        (None, int),
        ("1.5", float),
        (False, float),
        ("2015-07-30", datetime),
        (1438286400, datetime),
    ],
)
def test_primitives_are_not_coerced(value: Any, cls: type[Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        CONV.structure(value, cls)


@pytest.mark.parametrize(
    ("value", "cls", "expected"),
    [(True, bool, True), (False, bool, False), ("x", str, "x"), (3, int, 3), (2, float, 2.0)],
)
def test_primitives_of_the_right_type_pass(value: Any, cls: type[Any], expected: Any) -> None:
    result = CONV.structure(value, cls)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("enable_turn", "false"),
        ("unique_name", 5),
        ("duration", 1.5),
        ("duration", "10"),
        ("max_participants", None),
        ("max_participants", True),
        ("video_codecs", "VP8"),
        ("video_codecs", ["VP8", 1]),
        ("links", ["https://x"]),
        ("links", {"a": 1}),
        ("status", 3),
        ("date_created", "yesterday"),
    ],
)
def test_model_fields_reject_wrong_types_on_both_paths(field: str, value: Any) -> None:
    for conv in (CONV, SLOW):
        with pytest.raises(cattrs.ClassValidationError) as info:
            conv.structure({"sid": "RM1", field: value}, Room)
        messages = cattrs.transform_error(info.value)
        assert any(f"$.{field}" in m for m in messages), messages


def test_errors_name_every_bad_field() -> None:
    bad = {**RECORDING, "size": "12", "duration": 1.5, "status": 3}
    with pytest.raises(cattrs.ClassValidationError) as info:
        converter.structure(bad, Recording)
    paths = sorted(m.rsplit(" @ ", 1)[1] for m in cattrs.transform_error(info.value))
    assert paths == ["$.duration", "$.size", "$.status"]


def test_a_non_object_payload_is_a_cattrs_error() -> None:
    with pytest.raises(Exception) as info:
        converter.structure(["not", "an", "object"], Room)  # type: ignore[arg-type]
    assert not isinstance(info.value, AssertionError)


def test_nested_item_errors_carry_their_index() -> None:
    bad = {
        "participant_sid": "PA1",
        "room_sid": "RM1",
        "rules": [{"type": "include", "all": True}, {"type": "include", "all": "yes"}],
    }
    with pytest.raises(cattrs.ClassValidationError) as info:
        converter.structure(bad, SubscribeRules)
    assert cattrs.transform_error(info.value) == [
        "invalid value for type, expected bool | None @ $.rules[1].all"
    ]


def test_structure_list_notes_the_failing_item() -> None:
    items = [RECORDING, {**RECORDING, "size": "big"}]
    with pytest.raises(cattrs.ClassValidationError) as info:
        converter.structure_list(items, Recording)
    assert "Structuring item 1 of the page" in info.value.__notes__
    recs = converter.structure_list([RECORDING, RECORDING], Recording)
    assert [r.sid for r in recs] == [RECORDING["sid"]] * 2


# -- datetimes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-07-30T20:00:00Z", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-30T20:00:00z", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-30 20:00:00Z", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-30T20:00:00", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-30T20:00:00.5Z", datetime(2015, 7, 30, 20, 0, 0, 500000, tzinfo=UTC)),
        ("2015-07-30T20:00:00.123Z", datetime(2015, 7, 30, 20, 0, 0, 123000, tzinfo=UTC)),
        ("2015-07-30T20:00:00.1234567Z", datetime(2015, 7, 30, 20, 0, 0, 123456, tzinfo=UTC)),
        ("2015-07-30T22:00:00+02:00", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-30T15:30:00-0430", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
        ("2015-07-31T01:00:00.25+05:00", datetime(2015, 7, 30, 20, 0, 0, 250000, tzinfo=UTC)),
        ("2015-07-30T20:00:00+00:00", datetime(2015, 7, 30, 20, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_datetime_shapes(text: str, expected: datetime) -> None:
    parsed = values.parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "2015-07-30", "2015-13-30T20:00:00Z", "2015-07-30T25:00:00Z", "20:00:00", "yesterday"],
)
def test_parse_datetime_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        values.parse_datetime(text)


def test_datetime_objects_are_normalised_to_utc() -> None:
    aware = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert CONV.structure(aware, datetime) == datetime(2020, 1, 1, 10, tzinfo=UTC)
    assert CONV.structure(datetime(2020, 1, 1), datetime).tzinfo is UTC


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC), "2024-01-31T23:59:59Z"),
        (
            datetime(2024, 2, 1, 1, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-31T23:00:00Z",
        ),
        (
            datetime(2024, 1, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2024-02-01T01:00:00Z",
        ),
    ],
)
def test_format_datetime_converts_to_utc(dt: datetime, text: str) -> None:
    assert format_datetime(dt) == text


def test_format_datetime_rejects_naive_and_non_datetimes() -> None:
    with pytest.raises(InvalidRequestError, match=r"tzinfo=timezone\.utc"):
        format_datetime(datetime(2024, 1, 1))
    with pytest.raises(InvalidRequestError, match="expected a datetime"):
        format_datetime("2024-01-01")  # type: ignore[arg-type]


# -- containers and enums ----------------------------------------------------------------------


def test_arrays_become_tuples_and_enums_inside_them_are_tolerant() -> None:
    room = converter.structure({"sid": "RM1", "video_codecs": ["vp8", "AV1"]}, Room)
    assert room.video_codecs == (VideoCodec.VP8, "AV1")
    comp = converter.structure({"sid": "CJ1", "audio_sources": ["user*", "PA1"]}, Composition)
    assert comp.audio_sources == ("user*", "PA1")


def test_free_form_objects_keep_their_content() -> None:
    layout = {"grid": {"video_sources": ["*"], "width": 0}}
    comp = converter.structure({"sid": "CJ1", "video_layout": layout}, Composition)
    assert comp.video_layout == layout
    assert isinstance(comp.video_layout, MappingProxyType)


def test_plain_enum_and_union_hooks() -> None:
    # cattrs' stubs take ``type[T]``; unions and abstract generics are valid targets at run time.
    status_or_str: Any = RoomStatus | str
    assert CONV.structure("Completed", RoomStatus) is RoomStatus.COMPLETED
    with pytest.raises(ValueError):
        CONV.structure("archived", RoomStatus)
    assert CONV.structure("archived", status_or_str) == "archived"
    assert CONV.structure(None, cast(Any, RoomStatus | str | None)) is None
    strict = converter.make_converter(strict=True)
    with pytest.raises(ValueError):
        strict.structure("archived", status_or_str)


def test_generic_mappings_structure_their_values() -> None:
    str_to_int: Any = Mapping[str, int]
    assert CONV.structure({"a": 1}, str_to_int) == {"a": 1}
    with pytest.raises(TypeError):
        CONV.structure({"a": "1"}, str_to_int)
    with pytest.raises(TypeError):
        CONV.structure([("a", 1)], str_to_int)


# -- the fast path agrees with cattrs' checked path ---------------------------------------------

_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "x",
    "COMPLETED",
    "2015-07-30T20:00:00Z",
    "2015-07-30T20:00:00.1+01:00",
    [],
    ["a"],
    [1],
    {},
    {"k": "v"},
    {"k": 1},
    {1: "v"},
]


PAIRS = [
    (converter.make_converter(strict=strict), converter.make_converter(strict=strict, fast=False))
    for strict in (False, True)
]


def _outcome(conv: cattrs.Converter, data: Any, cls: type[Any]) -> Any:
    try:
        model = conv.structure(data, cls)
    except cattrs.BaseValidationError:
        return "error"
    return (model, dict(model.raw))


@pytest.mark.parametrize("schema", sorted(SCHEMA_MODELS))
def test_fast_and_checked_paths_agree_on_random_payloads(schema: str) -> None:
    cls = SCHEMA_MODELS[schema]
    names = [f.name for f in attrs.fields(cls) if f.name != "raw"]
    required = [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]
    rng = random.Random(schema)  # deterministic per schema
    for _ in range(300):
        chosen = rng.sample(names, rng.randint(0, min(5, len(names))))
        data = {name: rng.choice(_ODD_VALUES) for name in chosen}
        for name in required:  # mostly present and valid, so the other fields get compared
            if rng.random() < 0.8:
                data[name] = f"ID{rng.randint(0, 9)}"
        for fast, slow in PAIRS:
            extra = {"unknown_key": 1} if rng.random() < 0.2 else {}
            payload = {**copy.deepcopy(data), **extra}
            assert _outcome(fast, payload, cls) == _outcome(slow, payload, cls), payload


def test_str_subclasses_take_the_checked_path_and_pass() -> None:
    class Name(str):
        pass

    room = converter.structure(
        {"sid": Name("RM1"), "unique_name": Name("standup"), "status": Name("completed")}, Room
    )
    assert room.unique_name == "standup" and room.status is RoomStatus.COMPLETED


def test_models_with_validators_or_factories_are_still_structured() -> None:
    conv = converter.make_converter()

    @attrs.frozen(kw_only=True)
    class Checked(Model):
        size: int | None = attrs.field(
            default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
        )
        tags: tuple[str, ...] = attrs.field(factory=tuple)

    assert conv.structure({"size": 3}, Checked).size == 3
    assert conv.structure({"size": 3, "tags": ["a"]}, Checked).tags == ("a",)
    with pytest.raises(cattrs.ClassValidationError):
        conv.structure({"size": -1}, Checked)

    @attrs.frozen(kw_only=True)
    class Validated(Model):
        size: int | None = attrs.field(
            default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
        )

    assert conv.structure({"size": 3}, Validated).raw == {"size": 3}
    with pytest.raises(cattrs.ClassValidationError):
        conv.structure({"size": -1}, Validated)


def test_status_enum_identity_survives_structure() -> None:
    rec = converter.structure({**RECORDING, "status": "completed"}, Recording)
    assert rec.status is RecordingStatus.COMPLETED
    assert f"{rec.status}" == "completed"
