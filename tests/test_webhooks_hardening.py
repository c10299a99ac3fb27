"""Webhook helpers never answer 500 to what a stranger can send, never buffer an unbounded body,
and trust one proxy header family only (issue 12, items 18-20). The aiohttp helper runs on a
real server on 127.0.0.1; the Starlette helper is driven through its ASGI interface."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twvideo_async.webhooks import (
    RequestValidator,
    TwilioWebhook,
    VideoEvent,
    WebhookConfigurationError,
    twilio_webhook,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "hardening-auth-token"
SIGNER = RequestValidator(TOKEN)
PUBLIC = "https://hooks.example.com"
ROOM_ENDED = {
    "StatusCallbackEvent": "room-ended",
    "AccountSid": "AC" + "0" * 32,
    "RoomSid": "RM" + "1" * 32,
    "RoomName": "daily",
    "RoomDuration": "61",
    "Timestamp": "2026-03-04T05:06:07Z",
}
MALFORMED = [
    ("RoomDuration", "9" * 5000),
    ("RoomDuration", "-" + "1" * 4400),
    ("Timestamp", "9999-12-31T23:59:59-05:00"),
    ("Timestamp", "0001-01-01T00:00:00+01:00"),
]
SETTINGS = {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA256"}


async def _ok(request: Any, event: VideoEvent) -> Any:
    if isinstance(request, web.Request):
        return web.json_response({"class": type(event).__name__})
    return JSONResponse({"class": type(event).__name__})


@pytest.fixture
async def aio() -> AsyncIterator[Callable[..., Awaitable[tuple[int, str]]]]:
    app = web.Application()
    app.router.add_post("/plain", twilio_webhook(TOKEN)(_ok))
    app.router.add_post("/trusted", twilio_webhook(TOKEN, trust_forwarded=True)(_ok))
    app.router.add_post("/trusted-x", twilio_webhook(TOKEN, trust_forwarded="x-forwarded")(_ok))
    app.router.add_post("/trusted-rfc", twilio_webhook(TOKEN, trust_forwarded="forwarded")(_ok))
    async with TestServer(app, host="127.0.0.1") as server, ClientSession() as session:

        async def post(path: str, params: dict[str, str], **headers: str) -> tuple[int, str]:
            body = urlencode(params)
            all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
            async with session.post(server.make_url(path), data=body, headers=all_headers) as r:
                return r.status, await r.text()

        post.base = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
        yield post


plain = TwilioWebhook(TOKEN, max_body_size=64 * 1024)
trusted = TwilioWebhook(TOKEN, trust_forwarded=True)
trusted_x = TwilioWebhook(TOKEN, trust_forwarded="x-forwarded")
trusted_rfc = TwilioWebhook(TOKEN, trust_forwarded="forwarded")
star_app = Starlette(
    routes=[
        Route("/plain", plain.endpoint(_ok), methods=["POST"]),
        Route("/trusted", trusted.endpoint(_ok), methods=["POST"]),
        Route("/trusted-x", trusted_x.endpoint(_ok), methods=["POST"]),
        Route("/trusted-rfc", trusted_rfc.endpoint(_ok), methods=["POST"]),
    ]
)


def star_post(path: str, params: dict[str, str], **headers: str) -> tuple[int, str]:
    with TestClient(star_app) as client:
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        resp = client.post(path, content=urlencode(params), headers=all_headers)
        return resp.status_code, resp.text


# --- item 18: no 500 for a stranger's request, 400 naming the field for malformed values ------


def _no_error_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= 40], caplog.text


async def test_aiohttp_signature_settings_without_a_shared_key_is_403(
    aio: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO"):
        assert (await aio("/plain", ROOM_ENDED, **SETTINGS))[0] == 403
        assert (await aio("/plain", ROOM_ENDED, **{"X-Twilio-Signature": "x"}, **SETTINGS))[
            0
        ] == 403
    _no_error_logs(caplog)


def test_starlette_signature_settings_without_a_shared_key_is_403(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("INFO"):
        assert star_post("/plain", ROOM_ENDED, **SETTINGS)[0] == 403
        assert star_post("/plain", ROOM_ENDED, **{"X-Twilio-Signature": "x"}, **SETTINGS)[0] == 403
    _no_error_logs(caplog)


@pytest.mark.parametrize(("field", "value"), MALFORMED)
async def test_aiohttp_signed_malformed_values_are_400_naming_the_field(
    aio: Any, caplog: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    params = {**ROOM_ENDED, field: value}
    signature = SIGNER.compute_signature(f"{aio.base}/plain", params)
    with caplog.at_level("INFO"):
        status, text = await aio("/plain", params, **{"X-Twilio-Signature": signature})
    assert status == 400 and f"'{field}'" in text
    _no_error_logs(caplog)


@pytest.mark.parametrize(("field", "value"), MALFORMED)
def test_starlette_signed_malformed_values_are_400_naming_the_field(
    caplog: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    params = {**ROOM_ENDED, field: value}
    signature = SIGNER.compute_signature("http://testserver/plain", params)
    with caplog.at_level("INFO"):
        status, text = star_post("/plain", params, **{"X-Twilio-Signature": signature})
    assert status == 400 and f"'{field}'" in text
    _no_error_logs(caplog)


# --- item 19: the Starlette body limit holds while reading ---------------------------------


class ChunkedSender:
    """An ASGI ``receive`` that produces a body of ``total`` bytes lazily, counting what the
    application actually pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.sent = 0

    async def __call__(self) -> dict[str, Any]:
        if self.sent >= self.total:
            return {"type": "http.disconnect"}
        size = min(self.chunk, self.total - self.sent)
        self.sent += size
        return {"type": "http.request", "body": b"a" * size, "more_body": self.sent < self.total}


async def _asgi_post(
    app: Any, path: str, receive: Any, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    status = 0
    body = b""

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body


@pytest.mark.parametrize("content_length", [None, "10"])
async def test_a_50_mib_chunked_body_is_refused_after_reading_little_more_than_the_limit(
    content_length: str | None,
) -> None:
    # 50 MiB, unauthenticated, chunked (no Content-Length) or lying about its length.
    sender = ChunkedSender(50 * 1024 * 1024)
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"transfer-encoding", b"chunked"),
    ]
    if content_length is not None:
        headers = [(b"content-type", b"application/x-www-form-urlencoded")]
        headers.append((b"content-length", content_length.encode()))
    status, _ = await _asgi_post(star_app, "/plain", sender, headers)
    assert status == 413
    assert sender.sent <= plain.max_body_size + sender.chunk


@pytest.mark.parametrize("length", ["9" * 5000, "1" * 20, "²", "-1", "1e9"])
async def test_odd_content_length_values_are_413_not_500(length: str) -> None:
    sender = ChunkedSender(10)
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", length.encode()),
    ]
    status, _ = await _asgi_post(star_app, "/plain", sender, headers)
    assert status == 413
    assert sender.sent == 0


async def test_a_body_within_the_limit_is_read_and_stays_readable() -> None:
    seen: list[bytes] = []

    async def endpoint(request: Request, event: VideoEvent) -> Response:
        seen.append(await request.body())
        return Response(status_code=204)

    hook = TwilioWebhook(TOKEN, max_body_size=4096)
    app = Starlette(routes=[Route("/h", hook.endpoint(endpoint), methods=["POST"])])
    body = urlencode(ROOM_ENDED).encode()
    signature = SIGNER.compute_signature("http://testserver/h", ROOM_ENDED)
    sender = ChunkedSender(len(body), chunk=7)
    sender_body = iter([body[i : i + 7] for i in range(0, len(body), 7)])

    async def receive() -> dict[str, Any]:
        msg = await sender()
        if msg["type"] == "http.request":
            msg["body"] = next(sender_body)
        return msg

    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"x-twilio-signature", signature.encode()),
    ]
    status, text = await _asgi_post(app, "/h", receive, headers)
    assert status == 204, text
    assert seen == [body]


# --- item 20: one proxy header family ------------------------------------------------------

PROXY_SET = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
CLIENT_FORWARDED = {"Forwarded": "proto=https;host=other.example.com"}


def _signed_for(url: str) -> dict[str, str]:
    return {"X-Twilio-Signature": SIGNER.compute_signature(url, ROOM_ENDED)}


@pytest.mark.parametrize("path", ["/trusted", "/trusted-x"])
async def test_aiohttp_a_client_forwarded_header_does_not_override_x_forwarded(
    aio: Any, path: str
) -> None:
    # A request signed for another URL of the same account, replayed with its own Forwarded.
    replay = _signed_for(f"https://other.example.com{path}")
    assert (await aio(path, ROOM_ENDED, **PROXY_SET, **CLIENT_FORWARDED, **replay))[0] == 403
    genuine = _signed_for(f"{PUBLIC}{path}")
    assert (await aio(path, ROOM_ENDED, **PROXY_SET, **CLIENT_FORWARDED, **genuine))[0] == 200


@pytest.mark.parametrize("path", ["/trusted", "/trusted-x"])
def test_starlette_a_client_forwarded_header_does_not_override_x_forwarded(path: str) -> None:
    replay = _signed_for(f"https://other.example.com{path}")
    assert star_post(path, ROOM_ENDED, **PROXY_SET, **CLIENT_FORWARDED, **replay)[0] == 403
    genuine = _signed_for(f"{PUBLIC}{path}")
    assert star_post(path, ROOM_ENDED, **PROXY_SET, **CLIENT_FORWARDED, **genuine)[0] == 200


async def test_aiohttp_forwarded_family_ignores_x_forwarded(aio: Any) -> None:
    proxy = {"Forwarded": "proto=https;host=hooks.example.com"}
    client_x = {"X-Forwarded-Host": "other.example.com", "X-Forwarded-Proto": "https"}
    replay = _signed_for("https://other.example.com/trusted-rfc")
    assert (await aio("/trusted-rfc", ROOM_ENDED, **proxy, **client_x, **replay))[0] == 403
    genuine = _signed_for(f"{PUBLIC}/trusted-rfc")
    assert (await aio("/trusted-rfc", ROOM_ENDED, **proxy, **client_x, **genuine))[0] == 200


def test_starlette_forwarded_family_ignores_x_forwarded() -> None:
    proxy = {"Forwarded": "proto=https;host=hooks.example.com"}
    client_x = {"X-Forwarded-Host": "other.example.com", "X-Forwarded-Proto": "https"}
    replay = _signed_for("https://other.example.com/trusted-rfc")
    assert star_post("/trusted-rfc", ROOM_ENDED, **proxy, **client_x, **replay)[0] == 403
    genuine = _signed_for(f"{PUBLIC}/trusted-rfc")
    assert star_post("/trusted-rfc", ROOM_ENDED, **proxy, **client_x, **genuine)[0] == 200


@pytest.mark.parametrize("value", ["X-Forwarded", "both", 1, "yes"])
def test_an_unknown_trust_forwarded_value_is_refused_at_setup(value: Any) -> None:
    with pytest.raises(WebhookConfigurationError, match="trust_forwarded"):
        twilio_webhook(TOKEN, trust_forwarded=value)
    with pytest.raises(WebhookConfigurationError, match="trust_forwarded"):
        TwilioWebhook(TOKEN, trust_forwarded=value)
