"""TwilioWebhook with Starlette's TestClient: dependency, endpoint wrapper, proxies, lazy import."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import sys
import warnings
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twvideo_async import webhooks
from twvideo_async.webhooks import (
    ParticipantConnected,
    RequestValidator,
    RoomEnded,
    TwilioWebhook,
    VideoEvent,
)

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2; the httpx-based TestClient still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "starlette-test-auth-token"
SIGNER = RequestValidator(TOKEN)
BASE = "http://testserver"
PUBLIC = "https://hooks.example.com"
AC = "AC" + "0" * 32
RM = "RM" + "1" * 32
PA = "PA" + "2" * 32
ROOM_ENDED = {
    "StatusCallbackEvent": "room-ended",
    "AccountSid": AC,
    "RoomSid": RM,
    "RoomName": "daily",
    "RoomDuration": "61",
    "Timestamp": "2026-03-04T05:06:07Z",
}

received: list[VideoEvent] = []


async def _on_event(request: Request, event: VideoEvent) -> Response:
    received.append(event)
    body = await request.body()  # still readable after validation
    return JSONResponse({"class": type(event).__name__, "bytes": len(body)})


plain = TwilioWebhook(TOKEN)
trusted = TwilioWebhook(TOKEN, trust_forwarded=True)
trusted_rfc = TwilioWebhook(TOKEN, trust_forwarded="forwarded")
public = TwilioWebhook(TOKEN, public_base_url=PUBLIC, max_body_size=2048)


async def _dependency_style(request: Request) -> Response:
    # Raising HTTPException from the dependency must become a response in plain Starlette too.
    event = await plain(request)
    return JSONResponse({"class": type(event).__name__})


app = Starlette(
    routes=[
        Route("/hook", plain.endpoint(_on_event), methods=["GET", "POST"]),
        Route("/trusted", trusted.endpoint(_on_event), methods=["POST"]),
        Route("/trusted-rfc", trusted_rfc.endpoint(_on_event), methods=["POST"]),
        Route("/public", public.endpoint(_on_event), methods=["POST"]),
        Route("/dep", _dependency_style, methods=["POST"]),
    ]
)


@pytest.fixture
def client() -> Iterator[TestClient]:
    received.clear()
    with TestClient(app) as test_client:
        yield test_client


def _post(
    client: TestClient,
    path: str,
    data: dict[str, str] | list[tuple[str, str]],
    signature: str | None,
    **headers: str,
) -> tuple[int, str]:
    all_headers = {k.replace("_", "-"): v for k, v in headers.items()}
    all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if signature is not None:
        all_headers["X-Twilio-Signature"] = signature
    resp = client.post(path, content=urlencode(data), headers=all_headers)
    return resp.status_code, resp.text


def test_valid_post(client: TestClient) -> None:
    signature = SIGNER.compute_signature(f"{BASE}/hook?x=1", ROOM_ENDED)
    status, text = _post(client, "/hook?x=1", ROOM_ENDED, signature)
    assert status == 200, text
    assert json.loads(text)["class"] == "RoomEnded" and json.loads(text)["bytes"] > 0
    (event,) = received
    assert isinstance(event, RoomEnded) and event.room_duration == 61


def test_missing_and_bad_signature(client: TestClient) -> None:
    assert _post(client, "/hook", ROOM_ENDED, None) == (403, "Invalid Twilio signature")
    wrong = RequestValidator("other").compute_signature(f"{BASE}/hook", ROOM_ENDED)
    assert _post(client, "/hook", ROOM_ENDED, wrong)[0] == 403
    assert received == []


def test_tampered_parameter(client: TestClient) -> None:
    signature = SIGNER.compute_signature(f"{BASE}/hook", ROOM_ENDED)
    assert _post(client, "/hook", {**ROOM_ENDED, "RoomName": "x"}, signature)[0] == 403


def test_dependency_raises_http_exception(client: TestClient) -> None:
    assert _post(client, "/dep", ROOM_ENDED, "nope")[0] == 403
    signature = SIGNER.compute_signature(f"{BASE}/dep", ROOM_ENDED)
    status, text = _post(client, "/dep", ROOM_ENDED, signature)
    assert (status, json.loads(text)) == (200, {"class": "RoomEnded"})


def test_repeated_keys(client: TestClient) -> None:
    pairs = [*ROOM_ENDED.items(), ("Tag", "b"), ("Tag", "a"), ("Tag", "b")]
    signature = SIGNER.compute_signature(f"{BASE}/hook", pairs)
    assert _post(client, "/hook", pairs, signature)[0] == 200
    assert _post(client, "/hook", pairs[:-2], signature)[0] == 403


@pytest.mark.parametrize("signed", [f"{PUBLIC}/public", f"{PUBLIC}:443/public"])
def test_public_base_url_port_variants(client: TestClient, signed: str) -> None:
    signature = SIGNER.compute_signature(signed, ROOM_ENDED)
    assert _post(client, "/public", ROOM_ENDED, signature)[0] == 200


def test_trusted_and_untrusted_forwarded_headers(client: TestClient) -> None:
    headers = {"X_Forwarded_Proto": "https", "X_Forwarded_Host": "hooks.example.com"}
    signature = SIGNER.compute_signature(f"{PUBLIC}/trusted", ROOM_ENDED)
    assert _post(client, "/trusted", ROOM_ENDED, signature, **headers)[0] == 200
    spoof = SIGNER.compute_signature(f"{PUBLIC}/hook", ROOM_ENDED)
    assert _post(client, "/hook", ROOM_ENDED, spoof, **headers)[0] == 403
    forwarded = SIGNER.compute_signature(f"{PUBLIC}/trusted-rfc", ROOM_ENDED)
    rfc = {"Forwarded": "proto=https;host=hooks.example.com"}
    assert _post(client, "/trusted-rfc", ROOM_ENDED, forwarded, **rfc)[0] == 200


def test_get_callback(client: TestClient) -> None:
    query = (
        f"StatusCallbackEvent=participant-connected&AccountSid={AC}&RoomSid={RM}"
        f"&ParticipantSid={PA}&ParticipantIdentity=al%20ice&Timestamp=2026-03-04T05%3A06%3A07Z"
    )
    signature = SIGNER.compute_signature(f"{BASE}/hook?{query}")
    resp = client.get(f"/hook?{query}", headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200, resp.text
    (event,) = received
    assert isinstance(event, ParticipantConnected) and event.participant_identity == "al ice"
    # The decoded form of the same URL is not what Twilio signed.
    decoded = SIGNER.compute_signature(f"{BASE}/hook?{query.replace('%20', ' ')}")
    resp = client.get(f"/hook?{query}", headers={"X-Twilio-Signature": decoded})
    assert resp.status_code == 403


def test_json_body(client: TestClient) -> None:
    body = json.dumps(ROOM_ENDED).encode()
    path = f"/hook?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = SIGNER.compute_signature(f"{BASE}{path}")
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/json"}
    assert client.post(path, content=body, headers=headers).status_code == 200
    assert client.post(path, content=body + b" ", headers=headers).status_code == 403


def test_malformed_payload_is_400(client: TestClient) -> None:
    params = {**ROOM_ENDED, "RoomDuration": "long"}
    signature = SIGNER.compute_signature(f"{BASE}/hook", params)
    status, text = _post(client, "/hook", params, signature)
    assert status == 400 and "'RoomDuration'" in text


def test_body_size_limit(client: TestClient) -> None:
    params = {**ROOM_ENDED, "Padding": "x" * 4096}
    signature = SIGNER.compute_signature(f"{PUBLIC}/public", params)
    assert _post(client, "/public", params, signature)[0] == 413


def test_shared_key_header_without_key_is_403(client: TestClient) -> None:
    settings = {"X_Twilio_Webhooks_Signature_Settings": "key=KS1,algorithm=HMAC_SHA256"}
    assert _post(client, "/hook", ROOM_ENDED, "sig", **settings)[0] == 403


def test_call_annotations_are_runtime_objects() -> None:
    # FastAPI injects the Request by reading __call__'s annotation; a string would break it.
    parameter = inspect.signature(TwilioWebhook.__call__).parameters["request"]
    assert parameter.annotation is Request


def test_repr_hides_token() -> None:
    assert TOKEN not in repr(TwilioWebhook(TOKEN))


def test_missing_starlette_gives_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "twvideo_async.webhooks._starlette")
    # A None entry in sys.modules makes "import starlette..." raise ImportError.
    for name in [m for m in sys.modules if m == "starlette" or m.startswith("starlette.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'twvideo_async\[starlette\]'"):
        webhooks.__getattr__("TwilioWebhook")
    with pytest.raises(ImportError, match="needs Starlette"):
        importlib.import_module("twvideo_async.webhooks._starlette")


def test_public_base_url_is_checked_at_setup() -> None:
    with pytest.raises(ValueError, match="public_base_url"):
        TwilioWebhook(TOKEN, public_base_url="hooks.example.com")
