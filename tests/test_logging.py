"""A canary secret planted everywhere a request carries data must never reach a log record
or an exception's str/repr."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from tests.helpers import KEY_SID, base_url, make_client, no_sleep, serve
from twvideo_async._encoding import encode_pairs
from twvideo_async._options import RequestOptions
from twvideo_async._request import Request
from twvideo_async.errors import APIError

CANARY = "CANARY-7f3e9d"


async def test_canary_never_reaches_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.json_response({"code": 20429}, status=429)
        return web.json_response(
            {"code": 20001, "message": "Missing parameter", "status": 400}, status=400
        )

    caplog.set_level(logging.DEBUG, logger="twvideo_async")
    async with serve([("POST", "/v1/Rooms/{sid}", flaky)]) as server:
        client = make_client(
            base_url(server), api_key_sid=KEY_SID, api_key_secret=CANARY, sleep=no_sleep
        )
        async with client:
            req = Request(
                method="POST",
                path_template="/v1/Rooms/{Sid}",
                path=f"/v1/Rooms/{CANARY}",
                query=[("Token", CANARY)],
                form=encode_pairs({"UniqueName": CANARY}),
                options=RequestOptions(extra_headers={"X-Secret": CANARY}),
            )
            with pytest.raises(APIError) as info:
                await client._requester.request(req)
    assert calls == 2
    messages = [r.getMessage() for r in caplog.records]
    assert any("retrying POST /v1/Rooms/{Sid}" in m for m in messages)
    assert any("-> 400" in m for m in messages)
    for record in caplog.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in repr(record.args)
        assert record.exc_info is None
    err = info.value
    assert CANARY not in str(err) and CANARY not in repr(err)
    assert CANARY not in repr(client)
