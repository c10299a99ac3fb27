"""Subscribe/recording rule and video layout helpers: every documented limit, plain-dict input,
and the exact JSON sent to Twilio."""

from __future__ import annotations

import json
from typing import Any

import pytest

from twvideo_async._decode import converter
from twvideo_async.errors import InvalidRequestError
from twvideo_async.models import RecordingRules, SubscribeRules, TrackKind
from twvideo_async.rules import (
    RECORD_ALL,
    RECORD_AUDIO_ONLY,
    RECORD_NONE,
    SUBSCRIBE_ALL,
    SUBSCRIBE_NONE,
    Region,
    Rule,
    encode_recording_rules,
    encode_subscribe_rules,
    encode_video_layout,
    grid,
    parse_resolution,
    picture_in_picture,
    sequence,
)

# -- rules -------------------------------------------------------------------------------------


def test_constants_encode_to_the_documented_json() -> None:
    assert encode_subscribe_rules(SUBSCRIBE_ALL) == '[{"type":"include","all":true}]'
    assert encode_subscribe_rules(SUBSCRIBE_NONE) == '[{"type":"exclude","all":true}]'
    assert encode_recording_rules(RECORD_ALL) == '[{"type":"include","all":true}]'
    assert encode_recording_rules(RECORD_NONE) == '[{"type":"exclude","all":true}]'
    assert encode_recording_rules(RECORD_AUDIO_ONLY) == '[{"type":"include","kind":"audio"}]'


def test_filters_combine_and_unused_ones_are_omitted() -> None:
    rules = [Rule.include(kind="audio"), Rule.include(publisher="Bob", track="screen")]
    assert json.loads(encode_subscribe_rules(rules)) == [
        {"type": "include", "kind": "audio"},
        {"type": "include", "publisher": "Bob", "track": "screen"},
    ]


def test_plain_dicts_lists_and_json_text_are_accepted() -> None:
    expected = '[{"type":"include","publisher":"Alice"},{"type":"include","kind":"audio"}]'
    dicts = [{"type": "include", "publisher": "Alice"}, {"type": "include", "kind": "audio"}]
    assert encode_recording_rules(dicts) == expected
    assert encode_recording_rules(tuple(dicts)) == expected
    assert encode_recording_rules(json.dumps(dicts)) == expected
    assert encode_recording_rules({"rules": dicts}) == expected
    assert encode_recording_rules([Rule.include(publisher="Alice"), dicts[1]]) == expected
    # A single rule, as an object or a dict, is a one-rule list.
    assert encode_subscribe_rules(Rule.exclude(all=True)) == '[{"type":"exclude","all":true}]'
    assert encode_subscribe_rules({"type": "exclude", "all": True}) == (
        '[{"type":"exclude","all":true}]'
    )


def test_null_filters_in_dicts_are_ignored() -> None:
    rule = {"type": "exclude", "all": True, "publisher": None, "track": None, "kind": None}
    assert encode_subscribe_rules([rule]) == '[{"type":"exclude","all":true}]'


def test_rules_read_back_from_twilio_can_be_sent_again() -> None:
    fetched = converter.structure(
        {
            "participant_sid": "PA1",
            "room_sid": "RM1",
            "rules": [
                {
                    "type": "exclude",
                    "all": True,
                    "publisher": None,
                    "track": None,
                    "kind": None,
                    "priority": None,
                }
            ],
        },
        SubscribeRules,
    )
    assert fetched.rules is not None
    assert encode_subscribe_rules(fetched.rules) == '[{"type":"exclude","all":true}]'
    recorded = converter.structure(
        {"room_sid": "RM1", "rules": [{"type": "include", "kind": "video"}]}, RecordingRules
    )
    assert recorded.rules is not None
    assert encode_recording_rules(recorded.rules) == '[{"type":"include","kind":"video"}]'


def test_enum_kinds_are_sent_as_their_value() -> None:
    assert Rule.include(kind=TrackKind.VIDEO).kind == "video"
    assert encode_subscribe_rules([Rule.include(kind=TrackKind.DATA)]) == (
        '[{"type":"include","kind":"data"}]'
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "allow", "all": True}, "'include' or 'exclude'"),
        ({"type": "include"}, "at least one filter"),
        ({"type": "include", "all": False}, "can only be True"),
        ({"type": "include", "all": 1}, "can only be True"),
        ({"type": "include", "all": True, "kind": "audio"}, "cannot be combined"),
        ({"type": "include", "all": True, "publisher": "Bob"}, "cannot be combined"),
        ({"type": "exclude", "all": True, "track": "screen"}, "cannot be combined"),
        ({"type": "include", "kind": "screen"}, "'audio', 'video' or 'data'"),
        ({"type": "include", "kind": "Audio"}, "'audio', 'video' or 'data'"),
        ({"type": "include", "publisher": ""}, "non-empty string"),
        ({"type": "include", "track": 7}, "non-empty string"),
    ],
)
def test_invalid_rules_are_rejected_when_built(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Rule(**kwargs)
    with pytest.raises(InvalidRequestError, match=message):
        encode_subscribe_rules([kwargs])


def test_invalid_rules_are_value_errors() -> None:
    with pytest.raises(ValueError):
        Rule.include()


def test_rule_lists_must_hold_1_to_20_rules() -> None:
    for encode in (encode_subscribe_rules, encode_recording_rules):
        with pytest.raises(InvalidRequestError, match="cannot be empty"):
            encode([])
        with pytest.raises(InvalidRequestError, match="cannot be empty"):
            encode("[]")
        twenty = [Rule.include(publisher=f"user{i}") for i in range(20)]
        assert len(json.loads(encode(twenty))) == 20
        with pytest.raises(InvalidRequestError, match="at most 20"):
            encode([*twenty, Rule.include(kind="audio")])


def test_recording_rules_take_no_data_kind() -> None:
    assert encode_subscribe_rules([Rule.include(kind="data")]) == (
        '[{"type":"include","kind":"data"}]'
    )
    with pytest.raises(InvalidRequestError, match="'audio', 'video'"):
        encode_recording_rules([Rule.include(kind="data")])
    with pytest.raises(InvalidRequestError, match="'audio', 'video'"):
        encode_recording_rules([{"type": "exclude", "kind": "data"}])


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"type": "include", "all": True, "priority": "high"}], "unknown rule key"),
        ([{"all": True}], "needs 'type'"),
        ([{"type": None, "all": True}], "needs 'type'"),
        ([["include", "all"]], "Rule or a dict"),
        ([5], "Rule or a dict"),
        ("not json", "JSON array"),
        (42, "list of Rule objects"),
        (None, "list of Rule objects"),
    ],
)
def test_malformed_rule_input_says_what_to_pass(rules: Any, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        encode_subscribe_rules(rules)


# -- resolutions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("640x480", (640, 480)),
        ("1280x720", (1280, 720)),
        ("16x16", (16, 16)),
        ("1024x768", (1024, 768)),
        ("720x1280", (720, 1280)),
    ],
)
def test_parse_resolution(text: str, size: tuple[int, int]) -> None:
    assert parse_resolution(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1280*720", "look like"),
        ("1280x", "look like"),
        (" 640x480", "look like"),
        ("15x480", "between 16 and 1280"),
        ("1281x100", "between 16 and 1280"),
        ("1280x960", "at most 921600"),
    ],
)
def test_parse_resolution_enforces_twilio_limits(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse_resolution(text)


# -- regions and layouts -----------------------------------------------------------------------


def test_region_serialises_only_what_is_set() -> None:
    region = Region(
        video_sources=["RT1", "teacher*"],
        video_sources_excluded=["MT2"],
        x_pos=0,
        y_pos=10,
        z_pos=-99,
        width=16,
        height=200,
        max_columns=1000,
        max_rows=1,
        cells_excluded=[0, 999_999],
        reuse="show_newest",
    )
    assert json.loads(encode_video_layout({"main": region})) == {
        "main": {
            "video_sources": ["RT1", "teacher*"],
            "video_sources_excluded": ["MT2"],
            "x_pos": 0,
            "y_pos": 10,
            "z_pos": -99,
            "width": 16,
            "height": 200,
            "max_columns": 1000,
            "max_rows": 1,
            "cells_excluded": [0, 999999],
            "reuse": "show_newest",
        }
    }
    assert encode_video_layout({"grid": Region(video_sources=["*"])}) == (
        '{"grid":{"video_sources":["*"]}}'
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"video_sources": []}, "cannot be empty"),
        ({"video_sources": "*"}, r"e\.g\. \['\*'\]"),
        ({"video_sources": ["ok", ""]}, "non-empty strings"),
        ({"video_sources": ["*"], "video_sources_excluded": "MT1"}, "list of track names"),
        ({"video_sources": ["*"], "x_pos": -1}, "x_pos must be >= 0"),
        ({"video_sources": ["*"], "y_pos": 1.5}, "y_pos must be an integer"),
        ({"video_sources": ["*"], "z_pos": 100}, "between -99 and 99"),
        ({"video_sources": ["*"], "z_pos": -100}, "between -99 and 99"),
        ({"video_sources": ["*"], "width": 15}, "width must be >= 16"),
        ({"video_sources": ["*"], "height": True}, "height must be an integer"),
        ({"video_sources": ["*"], "max_columns": 0}, "between 1 and 1000"),
        ({"video_sources": ["*"], "max_rows": 1001}, "between 1 and 1000"),
        ({"video_sources": ["*"], "cells_excluded": [1_000_000]}, "between 0 and 999999"),
        ({"video_sources": ["*"], "cells_excluded": [-1]}, "between 0 and 999999"),
        ({"video_sources": ["*"], "cells_excluded": "12"}, "list of cell indices"),
        ({"video_sources": ["*"], "reuse": "show_all"}, "'none', 'show_oldest'"),
    ],
)
def test_region_limits(props: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Region(**props)
    with pytest.raises(InvalidRequestError, match=message):
        encode_video_layout({"r": props})


def test_layout_dicts_are_checked_like_regions() -> None:
    assert encode_video_layout({"transcode": {"video_sources": ["RT1"], "reuse": None}}) == (
        '{"transcode":{"video_sources":["RT1"]}}'
    )
    with pytest.raises(InvalidRequestError, match="unknown region property 'colour'"):
        encode_video_layout({"r": {"video_sources": ["*"], "colour": "red"}})
    with pytest.raises(InvalidRequestError, match="needs video_sources"):
        encode_video_layout({"r": {"x_pos": 1}})
    with pytest.raises(InvalidRequestError, match="Region or a dict"):
        encode_video_layout({"r": ["*"]})  # type: ignore[dict-item]


@pytest.mark.parametrize("layout", [{}, [], "grid", {"": {"video_sources": ["*"]}}, {1: grid()}])
def test_layout_shape_and_region_names(layout: Any) -> None:
    with pytest.raises(InvalidRequestError):
        encode_video_layout(layout)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (Region(video_sources=["*"], x_pos=1200, width=100), "reduce width to at most 80"),
        (Region(video_sources=["*"], y_pos=700, height=21), "reduce height to at most 20"),
        (Region(video_sources=["*"], x_pos=1270), "leaves 10px"),
        (Region(video_sources=["*"], y_pos=720), "leaves 0px"),
        (Region(video_sources=["*"], x_pos=2000, width=16), "at most 0"),
    ],
)
def test_regions_must_fit_the_canvas(region: Region, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        encode_video_layout({"r": region}, resolution="1280x720")
    # Without a resolution the canvas is unknown, so only the region's own limits apply.
    assert encode_video_layout({"r": region})


def test_regions_that_fit_exactly_are_accepted() -> None:
    region = Region(video_sources=["*"], x_pos=1180, y_pos=620, width=100, height=100)
    assert encode_video_layout({"r": region}, resolution="1280x720")
    with pytest.raises(InvalidRequestError, match="resolution"):
        encode_video_layout({"r": region}, resolution="1280x960")


# -- layout helpers ----------------------------------------------------------------------------


def test_grid_and_sequence_helpers() -> None:
    assert encode_video_layout(grid()) == '{"grid":{"video_sources":["*"]}}'
    assert json.loads(encode_video_layout(grid(["cam*"], max_columns=3, name="g"))) == {
        "g": {"video_sources": ["cam*"], "max_columns": 3}
    }
    assert json.loads(encode_video_layout(sequence(["teacher-video-*"]))) == {
        "sequence": {
            "video_sources": ["teacher-video-*"],
            "max_columns": 1,
            "max_rows": 1,
            "reuse": "show_newest",
        }
    }
    with pytest.raises(InvalidRequestError):
        grid("cam")  # a bare string is not a list of sources


@pytest.mark.parametrize(
    ("corner", "x", "y"),
    [
        ("bottom-right", 930, 510),
        ("top-left", 30, 30),
        ("top-right", 930, 30),
        ("bottom-left", 30, 510),
    ],
)
def test_picture_in_picture_places_the_inset(corner: str, x: int, y: int) -> None:
    layout = picture_in_picture(["screen"], ["MT1"], corner=corner)
    encoded = json.loads(encode_video_layout(layout, resolution="1280x720"))
    assert encoded == {
        "main": {"video_sources": ["screen"], "z_pos": 1},
        "pip": {
            "video_sources": ["MT1"],
            "x_pos": x,
            "y_pos": y,
            "z_pos": 2,
            "width": 320,
            "height": 180,
        },
    }


def test_picture_in_picture_options_and_errors() -> None:
    layout = picture_in_picture(
        ["a"], ["b"], resolution="640x480", pip_width=160, pip_height=120, margin=0
    )
    assert layout["pip"].x_pos == 480 and layout["pip"].y_pos == 360
    with pytest.raises(InvalidRequestError, match="corner"):
        picture_in_picture(["a"], ["b"], corner="middle")
    with pytest.raises(InvalidRequestError, match="does not fit"):
        picture_in_picture(["a"], ["b"], resolution="640x480", pip_width=640, margin=10)
    with pytest.raises(InvalidRequestError, match="margin"):
        picture_in_picture(["a"], ["b"], margin=-1)
    with pytest.raises(InvalidRequestError, match="resolution"):
        picture_in_picture(["a"], ["b"], resolution="4096x2160")
