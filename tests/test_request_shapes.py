"""Request and error shapes, with aioresponses standing in for Twilio."""

import base64
import re

import pytest
from aioresponses import aioresponses

from tests.helpers import KEY_SECRET, KEY_SID, make_client
from twvideo_async._encoding import encode_pairs
from twvideo_async._options import RequestOptions
from twvideo_async._request import Request
from twvideo_async.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

BASE = "https://video.twilio.com"


async def test_post_is_form_encoded_with_hand_built_auth_and_no_redirects() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/v1/Rooms", status=201, payload={"sid": "RM1"})
        async with make_client(BASE, user_agent_extension="myapp/1.0") as client:
            resp = await client._requester.request(
                Request(
                    method="POST",
                    path_template="/v1/Rooms",
                    path="/v1/Rooms",
                    form=encode_pairs({"UniqueName": "a b", "VideoCodecs": ["VP8", "H264"]}),
                    options=RequestOptions(extra_headers={"X-Trace": "t1"}),
                )
            )
        assert resp.status == 201 and resp.json() == {"sid": "RM1"}
        ((_, calls),) = mocked.requests.items()
        (call,) = calls
        kwargs = call.kwargs
        assert kwargs["allow_redirects"] is False
        assert kwargs["data"] == b"UniqueName=a+b&VideoCodecs=VP8&VideoCodecs=H264"
        headers = kwargs["headers"]
        expected = base64.b64encode(f"{KEY_SID}:{KEY_SECRET}".encode()).decode()
        assert headers["Authorization"] == f"Basic {expected}"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert headers["X-Trace"] == "t1"
        assert re.match(
            r"twvideo_async/\S+ \(Python/.*aiohttp/.*\) myapp/1.0$", headers["User-Agent"]
        )
        assert "auth" not in kwargs or kwargs["auth"] is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
    ],
)
async def test_status_errors_carry_twilio_fields(status: int, cls: type[APIStatusError]) -> None:
    body = {
        "code": 53113,
        "message": "Room exists",
        "more_info": "https://www.twilio.com/docs/errors/53113",
        "status": status,
    }
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v1/Rooms", status=status, payload=body, headers={"Twilio-Request-Id": "RQ9"}
        )
        async with make_client(BASE, max_retries=0, max_rate_limit_retries=0) as client:
            with pytest.raises(cls) as info:
                await client._requester.request(
                    Request(method="POST", path_template="/v1/Rooms", path="/v1/Rooms", form=[])
                )
    err = info.value
    assert (err.status, err.code, err.request_id, err.message) == (
        status,
        53113,
        "RQ9",
        "Room exists",
    )
    assert err.more_info == "https://www.twilio.com/docs/errors/53113"
    assert err.body == body
    assert err.retries_taken == 0


async def test_problem_json_bodies_are_understood() -> None:
    body = {
        "type": "https://www.twilio.com/docs/errors/20001",
        "title": "Missing parameter",
        "status": 400,
        "code": 20001,
        "detail": "Missing required parameter Status in the post body",
        "instance": "/v1/Rooms/RM1",
    }
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/v1/Rooms/RM1", status=400, payload=body)
        async with make_client(BASE) as client:
            with pytest.raises(BadRequestError) as info:
                await client._requester.request(
                    Request(method="POST", path_template="/v1/Rooms/{Sid}", path="/v1/Rooms/RM1")
                )
    assert info.value.code == 20001
    assert info.value.message == "Missing required parameter Status in the post body"
    assert info.value.more_info == "https://www.twilio.com/docs/errors/20001"


async def test_a_bare_404_without_code_still_reads_well() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/v1/Rooms/x", status=404, body="not json", content_type="text/plain")
        async with make_client(BASE) as client:
            with pytest.raises(NotFoundError) as info:
                await client._requester.request(
                    Request(method="GET", path_template="/v1/Rooms/{Sid}", path="/v1/Rooms/x")
                )
    assert info.value.code is None and "HTTP 404" in str(info.value)
