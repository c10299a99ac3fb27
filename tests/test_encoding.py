from datetime import datetime, timedelta, timezone
from enum import Enum

import pytest

from twvideo_async._encoding import (
    JsonField,
    build_path,
    encode_form,
    encode_pairs,
    format_datetime,
    sid_pattern,
)
from twvideo_async.errors import InvalidRequestError


class Color(str, Enum):
    RED = "red"


def test_pairs_repeat_lists_lowercase_bools_and_skip_none() -> None:
    pairs = encode_pairs(
        {
            "AudioSources": ["user*", "moderator"],
            "Trim": False,
            "RecordParticipantsOnConnect": True,
            "MaxParticipants": 10,
            "StatusCallback": None,
            "Type": Color.RED,
        }
    )
    assert pairs == [
        ("AudioSources", "user*"),
        ("AudioSources", "moderator"),
        ("Trim", "false"),
        ("RecordParticipantsOnConnect", "true"),
        ("MaxParticipants", "10"),
        ("Type", "red"),
    ]


def test_json_fields_are_one_json_string() -> None:
    pairs = encode_pairs({"Rules": JsonField([{"type": "exclude", "all": True}])})
    assert pairs == [("Rules", '[{"type":"exclude","all":true}]')]
    assert encode_form(pairs) == b"Rules=%5B%7B%22type%22%3A%22exclude%22%2C%22all%22%3Atrue%7D%5D"


def test_aware_datetimes_go_out_as_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2024, 5, 1, 12, 0, tzinfo=plus_two)) == "2024-05-01T10:00:00Z"
    pairs = encode_pairs({"DateCreatedAfter": datetime(2024, 5, 1, 12, tzinfo=plus_two)})
    assert pairs == [("DateCreatedAfter", "2024-05-01T10:00:00Z")]


def test_naive_datetimes_are_refused_with_guidance() -> None:
    with pytest.raises(InvalidRequestError, match="aware datetime"):
        encode_pairs({"DateCreatedAfter": datetime(2024, 5, 1)})


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="Foo got dict"):
        encode_pairs({"Foo": {"a": 1}})


def test_path_segments_are_percent_encoded() -> None:
    path = build_path("/v1/Rooms/{Sid}", {"Sid": "my room~ü<1>"})
    assert path == "/v1/Rooms/my%20room~%C3%BC%3C1%3E"


@pytest.mark.parametrize("char", list(":/?#[]@!$&'()*+,;=%"))
def test_names_with_reserved_characters_are_refused_with_a_hint_to_use_the_sid(
    char: str,
) -> None:
    with pytest.raises(InvalidRequestError, match="use the resource's SID"):
        build_path("/v1/Rooms/{Sid}", {"Sid": f"a{char}b"})


def test_traversal_through_an_escaped_slash_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="SID"):
        build_path("/v1/Rooms/{Sid}", {"Sid": "../Recordings"})


@pytest.mark.parametrize("value", ["", "  ", ".", "..", "%2e", "%2E%2e"])
def test_dangerous_or_empty_segments_are_refused(value: str) -> None:
    with pytest.raises(InvalidRequestError):
        build_path("/v1/Rooms/{Sid}", {"Sid": value})


def test_sid_patterns_are_checked_with_a_helpful_message() -> None:
    patterns = {"Sid": sid_pattern("RT")}
    good = "RT" + "a" * 32
    assert build_path("/v1/Recordings/{Sid}", {"Sid": good}, patterns) == f"/v1/Recordings/{good}"
    with pytest.raises(InvalidRequestError, match="'RT' followed by 32 hex digits"):
        build_path("/v1/Recordings/{Sid}", {"Sid": "RM" + "a" * 32}, patterns)


def test_non_string_segment_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="must be a string"):
        build_path("/v1/Rooms/{Sid}", {"Sid": 5})  # type: ignore[dict-item]
