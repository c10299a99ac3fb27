"""Bad options and arguments fail when given, as typed SDK errors, before any request
(issue 12, item 17). A loopback server counts requests to prove nothing was sent."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.helpers import ROOM_SID, base_url, make_client, room_json, serve
from twvideo_async import Timeout, VideoClient
from twvideo_async.errors import ConfigurationError, InvalidRequestError, TwilioVideoError

COMPOSITION_SID = "CJ" + "0" * 31 + "1"


@pytest.fixture
async def counted() -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.raw_path}")
        return web.json_response(room_json())

    async with serve([("*", "/{tail:.*}", handler)]) as server:
        yield base_url(server), seen


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
async def test_control_characters_in_extra_headers_are_refused_when_given(
    counted: tuple[str, list[str]], value: str
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="control characters"):
            await client.rooms.fetch(ROOM_SID, extra_headers={"X-Trace": value})
        with pytest.raises(ConfigurationError, match="control characters"):
            client.with_options(extra_headers={"X-Trace": value})
    assert seen == []


@pytest.mark.parametrize("name", ["X Trace", "X-Trace\r\n", "", "Bad:Name"])
async def test_invalid_header_names_are_refused(counted: tuple[str, list[str]], name: str) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="invalid header name"):
            await client.rooms.fetch(ROOM_SID, extra_headers={name: "1"})
    assert seen == []


def test_control_characters_in_the_user_agent_extension_are_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="user_agent_extension"):
        make_client("http://127.0.0.1:9", user_agent_extension="app/1\r\nX-Injected: 1")


@pytest.mark.parametrize("option", ["read_rate", "write_rate"])
@pytest.mark.parametrize("value", [0, 0.0, -1, math.inf, math.nan, True, "10"])
def test_bad_rates_are_refused_and_zero_does_not_mean_unlimited(option: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=option):
        make_client("http://127.0.0.1:9", **{option: value})


def test_a_valid_rate_and_no_rate_are_accepted() -> None:
    client = make_client("http://127.0.0.1:9", read_rate=10, write_rate=None)
    assert client._requester.limits.read is not None
    assert client._requester.limits.write is None


@pytest.mark.parametrize("field", ["connect", "read", "total"])
@pytest.mark.parametrize("value", [math.inf, math.nan, 0, -1, "5"])
def test_timeouts_must_be_finite_positive_numbers(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=f"Timeout.{field}"):
        Timeout(**{field: value})


@pytest.mark.parametrize("value", [math.inf, math.nan, 0, "5"])
async def test_a_bad_per_call_timeout_is_an_invalid_request(
    counted: tuple[str, list[str]], value: Any
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="timeout"):
            await client.rooms.fetch(ROOM_SID, timeout=value)
    assert seen == []


@pytest.mark.parametrize("value", [math.nan, math.inf, 0, -2])
async def test_a_download_read_timeout_must_be_finite_and_positive(
    counted: tuple[str, list[str]], tmp_path: Any, value: float
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="read_timeout"):
            await client.compositions.download(COMPOSITION_SID, tmp_path, read_timeout=value)
    assert seen == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"poll_interval": 0},
        {"poll_interval": -1},
        {"poll_interval": math.nan},
        {"max_poll_interval": 0},
        {"timeout": math.inf},
    ],
)
async def test_wait_for_refuses_intervals_that_would_busy_poll(
    counted: tuple[str, list[str]], kwargs: dict[str, Any]
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError):
            await client.compositions.wait_for(COMPOSITION_SID, **kwargs)
    assert seen == []


def test_max_retries_none_is_an_sdk_error_with_guidance() -> None:
    with pytest.raises(TwilioVideoError, match="pass 0 to disable retries"):
        VideoClient("SK" + "a" * 32, "secret", max_retries=None, environ={})  # type: ignore[arg-type]


async def test_per_call_max_retries_of_the_wrong_type_is_an_invalid_request(
    counted: tuple[str, list[str]],
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="max_retries"):
            await client.rooms.fetch(ROOM_SID, max_retries=-1)
    assert seen == []


@pytest.mark.parametrize("status", [None, "", "ended", "COMPLETED", 1])
async def test_room_update_checks_the_status_against_the_spec(
    counted: tuple[str, list[str]], status: Any
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="status must be one of"):
            await client.rooms.update(ROOM_SID, status=status)
    assert seen == []


@pytest.mark.parametrize("status", [None, "", "kicked", "Disconnected"])
async def test_participant_update_checks_the_status_against_the_spec(
    counted: tuple[str, list[str]], status: Any
) -> None:
    url, seen = counted
    async with make_client(url) as client:
        with pytest.raises(InvalidRequestError, match="status must be one of"):
            await client.rooms.participants(ROOM_SID).update("alice", status=status)
    assert seen == []


async def test_valid_statuses_are_sent(counted: tuple[str, list[str]]) -> None:
    url, seen = counted
    async with make_client(url) as client:
        await client.rooms.complete(ROOM_SID)
        await client.rooms.participants(ROOM_SID).disconnect("alice")
    assert seen == [
        f"POST /v1/Rooms/{ROOM_SID}",
        f"POST /v1/Rooms/{ROOM_SID}/Participants/alice",
    ]
