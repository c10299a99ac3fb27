"""twilio_webhook on a real aiohttp server on 127.0.0.1: signatures, proxies, GET, JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from twvideo_async.webhooks import (
    RecordingCompleted,
    RequestValidator,
    RoomEnded,
    VideoEvent,
    aiohttp_public_url,
    twilio_webhook,
)

TOKEN = "aiohttp-test-auth-token"
SIGNER = RequestValidator(TOKEN)
AC = "AC" + "0" * 32
RM = "RM" + "1" * 32
RT = "RT" + "2" * 32
ROOM_ENDED = {
    "StatusCallbackEvent": "room-ended",
    "AccountSid": AC,
    "RoomSid": RM,
    "RoomName": "stand up & co",
    "RoomStatus": "completed",
    "RoomType": "group",
    "RoomDuration": "61",
    "Timestamp": "2026-03-04T05:06:07Z",
    "SequenceNumber": "4",
}
PUBLIC = "https://hooks.example.com"

Client = TestClient[web.Request, web.Application]
EVENTS = web.AppKey("events", list[VideoEvent])


async def _echo(request: web.Request, event: VideoEvent) -> web.Response:
    # The body must still be readable by the handler after validation.
    form = await request.post()
    request.app[EVENTS].append(event)
    return web.json_response({"class": type(event).__name__, "form": len(form)})


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    app = web.Application()
    app[EVENTS] = []
    app.router.add_route("*", "/plain", twilio_webhook(TOKEN)(_echo))
    app.router.add_route("*", "/trusted", twilio_webhook(TOKEN, trust_forwarded=True)(_echo))
    app.router.add_route(
        "*", "/trusted-rfc", twilio_webhook(TOKEN, trust_forwarded="forwarded")(_echo)
    )
    app.router.add_route(
        "*", "/public", twilio_webhook(TOKEN, public_base_url=f"{PUBLIC}/twilio/")(_echo)
    )
    app.router.add_get("/url", _url_handler)
    app.router.add_get("/url-rfc", _url_rfc_handler)
    async with TestServer(app, host="127.0.0.1") as server, TestClient(server) as test_client:
        yield test_client


async def _url_handler(request: web.Request) -> web.Response:
    return web.Response(text=aiohttp_public_url(request, trust_forwarded=True))


async def _url_rfc_handler(request: web.Request) -> web.Response:
    return web.Response(text=aiohttp_public_url(request, trust_forwarded="forwarded"))


def _url(client: Client, path: str) -> str:
    return str(client.make_url(path))


def _events(client: Client) -> list[VideoEvent]:
    assert client.app is not None
    return client.app[EVENTS]


async def _post(
    client: Client,
    path: str,
    data: Any,
    signature: str | None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    all_headers = dict(headers or {})
    if signature is not None:
        all_headers["X-Twilio-Signature"] = signature
    async with client.post(path, data=data, headers=all_headers) as resp:
        return resp.status, await resp.text()


async def test_valid_post_reaches_handler_with_typed_event(client: Client) -> None:
    signature = SIGNER.compute_signature(_url(client, "/plain?tenant=7"), ROOM_ENDED)
    status, text = await _post(client, "/plain?tenant=7", ROOM_ENDED, signature)
    assert status == 200, text
    assert json.loads(text) == {"class": "RoomEnded", "form": len(ROOM_ENDED)}
    (event,) = _events(client)
    assert isinstance(event, RoomEnded)
    assert event.room_duration == 61 and event.room_name == "stand up & co"


async def test_missing_signature_is_403(client: Client) -> None:
    status, text = await _post(client, "/plain", ROOM_ENDED, None)
    assert status == 403 and "invalid Twilio signature" in text
    assert _events(client) == []


async def test_bad_signature_is_403(client: Client) -> None:
    other = RequestValidator("another-token").compute_signature(_url(client, "/plain"), ROOM_ENDED)
    status, _ = await _post(client, "/plain", ROOM_ENDED, other)
    assert status == 403
    assert _events(client) == []


async def test_tampered_parameter_is_403(client: Client) -> None:
    signature = SIGNER.compute_signature(_url(client, "/plain"), ROOM_ENDED)
    status, _ = await _post(client, "/plain", {**ROOM_ENDED, "RoomDuration": "1"}, signature)
    assert status == 403
    status, _ = await _post(client, "/plain", {**ROOM_ENDED, "Extra": "x"}, signature)
    assert status == 403


async def test_tampered_query_is_403(client: Client) -> None:
    signature = SIGNER.compute_signature(_url(client, "/plain?tenant=7"), ROOM_ENDED)
    status, _ = await _post(client, "/plain?tenant=8", ROOM_ENDED, signature)
    assert status == 403


async def test_signature_without_port_is_accepted(client: Client) -> None:
    # The server sees Host 127.0.0.1:<port>; Twilio may have signed the URL without it.
    signature = SIGNER.compute_signature("http://127.0.0.1/plain", ROOM_ENDED)
    status, _ = await _post(client, "/plain", ROOM_ENDED, signature)
    assert status == 200


@pytest.mark.parametrize("signed", [f"{PUBLIC}/twilio/public", f"{PUBLIC}:443/twilio/public"])
async def test_public_base_url_with_and_without_443(client: Client, signed: str) -> None:
    signature = SIGNER.compute_signature(signed, ROOM_ENDED)
    status, _ = await _post(client, "/public", ROOM_ENDED, signature)
    assert status == 200


async def test_trusted_forwarded_headers(client: Client) -> None:
    signature = SIGNER.compute_signature(f"{PUBLIC}/trusted", ROOM_ENDED)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
    status, _ = await _post(client, "/trusted", ROOM_ENDED, signature, headers)
    assert status == 200
    # Proxies that list several hops: the first one is the one Twilio connected to.
    many = {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "hooks.example.com, internal"}
    status, _ = await _post(client, "/trusted", ROOM_ENDED, signature, many)
    assert status == 200


async def test_untrusted_forwarded_headers_are_ignored(client: Client) -> None:
    # The same request to a handler that does not trust the headers: the URL checked is the
    # one the server saw, so a client cannot choose it.
    signature = SIGNER.compute_signature(f"{PUBLIC}/plain", ROOM_ENDED)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
    status, _ = await _post(client, "/plain", ROOM_ENDED, signature, headers)
    assert status == 403


async def test_rfc7239_forwarded_header(client: Client) -> None:
    signature = SIGNER.compute_signature(f"{PUBLIC}/trusted-rfc", ROOM_ENDED)
    headers = {
        "Forwarded": 'for=192.0.2.60;proto=https;host="hooks.example.com", for=10.0.0.1;proto=http',
        "X-Forwarded-Host": "ignored.example.com",
    }
    status, _ = await _post(client, "/trusted-rfc", ROOM_ENDED, signature, headers)
    assert status == 200


async def test_forwarded_port(client: Client) -> None:
    signature = SIGNER.compute_signature("https://hooks.example.com:8443/trusted", ROOM_ENDED)
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "hooks.example.com",
        "X-Forwarded-Port": "8443",
    }
    status, _ = await _post(client, "/trusted", ROOM_ENDED, signature, headers)
    assert status == 200


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/url", {"X-Forwarded-Proto": "https"}, "https://127.0.0.1:{port}/url"),
        ("/url", {"X-Forwarded-Proto": "gopher"}, "http://127.0.0.1:{port}/url"),
        ("/url", {"X-Forwarded-Host": "evil.example/x?"}, "http://127.0.0.1:{port}/url"),
        ("/url", {"X-Forwarded-Host": "user@evil.example"}, "http://127.0.0.1:{port}/url"),
        ("/url", {"X-Forwarded-Host": "[::1]:8443"}, "http://[::1]:8443/url"),
        ("/url", {"Forwarded": "proto=https;host=a.example:444"}, "http://127.0.0.1:{port}/url"),
        (
            "/url-rfc",
            {"Forwarded": "proto=https;host=a.example:444"},
            "https://a.example:444/url-rfc",
        ),
        (
            "/url-rfc",
            {"Forwarded": 'for="[2001:db8::1]";proto=https'},
            "https://127.0.0.1:{port}/url-rfc",
        ),
        ("/url-rfc", {"X-Forwarded-Proto": "https"}, "http://127.0.0.1:{port}/url-rfc"),
    ],
)
async def test_public_url_reconstruction(
    client: Client, path: str, headers: dict[str, str], expected: str
) -> None:
    async with client.get(path, headers=headers) as resp:
        assert await resp.text() == expected.format(port=client.port)


async def test_get_callback(client: Client) -> None:
    query = "&".join(f"{k}={v}" for k, v in ROOM_ENDED.items() if " " not in v)
    path = f"/plain?{query}&RoomName=stand%20up"
    signature = SIGNER.compute_signature(_url(client, path))
    async with client.get(path, headers={"X-Twilio-Signature": signature}) as resp:
        assert resp.status == 200, await resp.text()
    (event,) = _events(client)
    assert isinstance(event, RoomEnded) and event.room_name == "stand up"


async def test_percent_encoding_is_signed_as_sent(client: Client) -> None:
    path = "/plain?next=%2Fhome%3Fa%3D1&x=%7E"
    signature = SIGNER.compute_signature(_url(client, path), ROOM_ENDED)
    status, _ = await _post(client, path, ROOM_ENDED, signature)
    assert status == 200
    decoded = SIGNER.compute_signature(_url(client, "/plain?next=/home?a=1&x=~"), ROOM_ENDED)
    status, _ = await _post(client, path, ROOM_ENDED, decoded)
    assert status == 403


async def test_json_body_with_hash(client: Client) -> None:
    body = json.dumps({**ROOM_ENDED, "RoomDuration": 61}).encode()
    path = f"/plain?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = SIGNER.compute_signature(_url(client, path))
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/json"}
    async with client.post(path, data=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
    (event,) = _events(client)
    assert isinstance(event, RoomEnded) and event.room_duration == 61
    async with client.post(path, data=body.replace(b"61", b"62"), headers=headers) as resp:
        assert resp.status == 403


async def test_json_body_without_hash_is_403(client: Client) -> None:
    body = json.dumps(ROOM_ENDED).encode()
    signature = SIGNER.compute_signature(_url(client, "/plain"))
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/json"}
    async with client.post("/plain", data=body, headers=headers) as resp:
        assert resp.status == 403


async def test_signed_but_malformed_payload_is_400(client: Client) -> None:
    params = {
        "StatusCallbackEvent": "recording-completed",
        "AccountSid": AC,
        "RoomSid": RM,
        "RecordingSid": RT,
        "Timestamp": "2026-03-04T05:06:07Z",
        "Size": "big",
    }
    signature = SIGNER.compute_signature(_url(client, "/plain"), params)
    status, text = await _post(client, "/plain", params, signature)
    assert status == 400 and "'Size'" in text
    status, _ = await _post(client, "/plain", {**params, "Size": "10"}, signature)
    assert status == 403  # a changed value is a signature failure first


async def test_recording_completed_media_url(client: Client) -> None:
    params = {
        "StatusCallbackEvent": "recording-completed",
        "AccountSid": AC,
        "RoomSid": RM,
        "RecordingSid": RT,
        "Timestamp": "2026-03-04T05:06:07Z",
        "MediaUri": f"/v1/Recordings/{RT}/Media",
        "Size": "10",
    }
    signature = SIGNER.compute_signature(_url(client, "/plain"), params)
    status, _ = await _post(client, "/plain", params, signature)
    assert status == 200
    (event,) = _events(client)
    assert isinstance(event, RecordingCompleted)
    assert event.media_url == f"https://video.twilio.com/v1/Recordings/{RT}/Media"


async def test_shared_key_request_without_shared_key_is_403_without_an_error_log(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA256"}
    with caplog.at_level("WARNING", logger="twvideo_async.webhooks"):
        status, _ = await _post(client, "/plain", ROOM_ENDED, "sig", headers)
    assert status == 403
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert _events(client) == []


async def test_shared_key_validator() -> None:
    validator = RequestValidator(TOKEN, shared_key_secret="shared-secret-for-tests")
    app = web.Application()
    app[EVENTS] = []
    app.router.add_post("/hook", twilio_webhook(validator)(_echo))
    settings = "key=KS1,algorithm=HMAC_SHA256"
    async with TestServer(app, host="127.0.0.1") as server, TestClient(server) as test_client:
        url = str(test_client.make_url("/hook"))
        signature = validator.compute_signature(url, ROOM_ENDED, signature_settings=settings)
        headers = {"X-Twilio-Webhooks-Signature-Settings": settings}
        status, _ = await _post(test_client, "/hook", ROOM_ENDED, signature, headers)
        assert status == 200
        sha1 = SIGNER.compute_signature(url, ROOM_ENDED)
        status, _ = await _post(test_client, "/hook", ROOM_ENDED, sha1, headers)
        assert status == 403


async def test_non_utf8_form_is_403(client: Client) -> None:
    headers = {
        "X-Twilio-Signature": "sig",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with client.post("/plain", data=b"RoomName=%FF", headers=headers) as resp:
        assert resp.status == 403


def test_decorator_keeps_handler_name() -> None:
    wrapped = twilio_webhook(TOKEN)(_echo)
    assert wrapped.__name__ == "_echo"


@pytest.mark.parametrize(
    "bad", ["hooks.example.com", "ftp://hooks.example.com", "https://", "https://h/?a=1"]
)
def test_public_base_url_is_checked_at_setup(bad: str) -> None:
    with pytest.raises(ValueError, match="public_base_url"):
        twilio_webhook(TOKEN, public_base_url=bad)
