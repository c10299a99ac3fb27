"""Hostile or garbled input gets a clear 4xx from the emulator, never a 500 with a traceback.

Each case goes through a raw aiohttp client (or a raw socket, for bytes no client would send)
against a running emulator and checks the status, the Twilio error body (S3's XML on the storage
origin) and that nothing was logged at ERROR. Real bugs stay visible: an exception that is not a
symptom of bad input is still a logged 500 (the last tests).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.test_emulator_support import Api, Reply, api, twvideo_emulator, twvideo_emulator_options
from twvideo_async.testing._http.hook_handlers import name_matches

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def assert_twilio_4xx(
    reply: Reply, caplog: pytest.LogCaptureFixture, status: int = 400, code: int | None = None
) -> None:
    assert reply.status == status, reply.text
    body = reply.body
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    if code is not None:
        assert body["code"] == code
    assert _errors(caplog) == []


async def _raw(port: int, request: bytes) -> tuple[int, str]:
    """Send ``request`` verbatim on a fresh connection; return the status and the body text."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode("utf-8", "replace")


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _token(stamp: str) -> str:
    raw = f"a:{stamp}:1".encode()
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- API origin ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Basic é€", "Bäsic abc", "Basic " + "é" * 40])
async def test_non_ascii_authorization_is_a_401(
    api: Api, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    reply = await api.get("/v1/Rooms", headers={"Authorization": value})
    assert_twilio_4xx(reply, caplog, 401, 20003)


async def test_non_utf8_authorization_bytes_are_a_401(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    request = (
        b"GET /v1/Rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic \xff\xfe\r\n"
        b"Connection: close\r\n\r\n"
    )
    status, body = await _raw(_port(api.emu.base_url), request)
    assert (status, '"code": 20003' in body) == (401, True)
    assert _errors(caplog) == []


@pytest.mark.parametrize("host", [b"a:b", b"a:99999", b"a:-1", b""])
@pytest.mark.parametrize("path", ["/v1/Rooms", "/v1/Recordings/{sid}/Media"])
async def test_a_host_header_with_a_bad_port_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, host: bytes, path: str
) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0).recordings[0]
    target = path.format(sid=sid).encode()
    request = (
        b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
        b"Authorization: " + api.auth.encode() + b"\r\nConnection: close\r\n\r\n"
    )
    status, body = await _raw(_port(api.emu.base_url), request)
    assert (status, '"code": 20001' in body, "Host header" in body) == (400, True, True)
    assert _errors(caplog) == []


@pytest.mark.parametrize("stamp", ["inf", "-inf", "1e300", "-1e300", "9" * 400, "nan"])
async def test_page_token_with_an_absurd_timestamp_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, stamp: str
) -> None:
    reply = await api.get("/v1/Rooms", {"PageToken": _token(stamp)})
    assert_twilio_4xx(reply, caplog, 400, 20001)
    assert "PageToken" in reply.body["message"]


@pytest.mark.parametrize(
    "path", ["/v1/Rooms", "/v1/Recordings", "/v1/Compositions", "/v1/CompositionHooks"]
)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DateCreatedAfter", "9999-12-31T23:59:59-23:00"),
        ("DateCreatedBefore", "0001-01-01T00:00:00+23:00"),
    ],
)
async def test_date_filter_past_the_calendar_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, path: str, name: str, value: str
) -> None:
    reply = await api.get(path, {name: value})
    assert_twilio_4xx(reply, caplog, 400, 20001)
    assert name in reply.body["message"]


async def test_date_filter_on_participants_past_the_calendar_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    room = api.emu.state.create_room()
    reply = await api.get(
        f"/v1/Rooms/{room.sid}/Participants", {"DateCreatedAfter": "9999-12-31T23:59:59-23:00"}
    )
    assert_twilio_4xx(reply, caplog, 400, 20001)


def _nested_cases(api: Api) -> list[tuple[str, dict[str, str], int]]:
    state = api.emu.state
    room = state.create_room()
    alice = state.connect_participant(room, "alice")
    base = f"/v1/Rooms/{room.sid}"
    return [
        (f"{base}/RecordingRules", {"Rules": DEEP}, 53120),
        (f"{base}/Participants/{alice.sid}/SubscribeRules", {"Rules": DEEP}, 53215),
        ("/v1/Compositions", {"RoomSid": room.sid, "VideoLayout": DEEP}, 20001),
        ("/v1/CompositionHooks", {"FriendlyName": "deep", "VideoLayout": DEEP}, 20001),
        (f"{base}/Transcriptions", {"Configuration": DEEP_OBJECT}, 20001),
        ("/v1/Rooms", {"TranscriptionsConfiguration": DEEP_OBJECT}, 20001),
    ]


async def test_deeply_nested_json_is_a_400(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    for path, form, code in _nested_cases(api):
        reply = await api.post(path, form)
        assert_twilio_4xx(reply, caplog, 400, code)


async def test_json_documents_are_bounded_in_depth_and_finite(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    room = api.emu.state.create_room()
    path = f"/v1/Rooms/{room.sid}/Transcriptions"
    # Decodable, but deeper than any configuration: refused before it is stored and echoed.
    nested = '{"a":' * 40 + "1" + "}" * 40
    for document, words in ((nested, "nested more than 32"), ('{"a": NaN}', "JSON string")):
        reply = await api.post(path, {"Configuration": document})
        assert_twilio_4xx(reply, caplog, 400, 20001)
        assert words in reply.body["message"]
    accepted = await api.post(path, {"Configuration": '{"a": {"b": [1, 2]}}'})
    assert accepted.status == 202
    assert accepted.body["configuration"] == {"a": {"b": [1, 2]}}


@pytest.mark.parametrize(
    "rule", ['{"type": "include", "kind": []}', '{"type": "include", "all": true, "priority": {}}']
)
async def test_rules_with_list_or_object_values_are_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, rule: str
) -> None:
    room = api.emu.state.create_room()
    alice = api.emu.state.connect_participant(room, "alice")
    path = f"/v1/Rooms/{room.sid}/Participants/{alice.sid}/SubscribeRules"
    reply = await api.post(path, {"Rules": f"[{rule}]"})
    assert_twilio_4xx(reply, caplog, 400, 53215)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", b"UniqueName=\xff\xfe"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"UniqueName=a"),
        ("multipart/form-data", b"UniqueName=a"),
    ],
)
async def test_unreadable_form_bodies_are_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, content_type: str, data: bytes
) -> None:
    reply = await api.post("/v1/Rooms", data, headers={"Content-Type": content_type})
    assert_twilio_4xx(reply, caplog, 400, 20001)
    assert "could not be read as a form" in reply.body["message"]
    assert api.emu.state.rooms == {}


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_its_content_encoding_cannot_decode_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Encoding": encoding,
    }
    reply = await api.post("/v1/Rooms", b"\x1f\x8b not compressed", headers=headers)
    assert_twilio_4xx(reply, caplog, 400, 20001)
    # aiohttp fails the body again while draining it after the answer: a warning, no traceback.
    await asyncio.sleep(0)
    assert _errors(caplog) == []


@pytest.mark.parametrize("url", ["http://[::1", "http://example.test:port/cb", "http://a:99999/"])
async def test_malformed_callback_urls_are_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    reply = await api.post("/v1/Rooms", {"StatusCallback": url})
    assert_twilio_4xx(reply, caplog, 400, 53111)


@pytest.mark.parametrize(
    "value", ['inline; filename="a\r\nX-Injected: 1"', 'attachment; filename="a\x00b"']
)
async def test_content_disposition_with_control_characters_is_a_400(
    api: Api, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0).recordings[0]
    reply = await api.get(f"/v1/Recordings/{sid}/Media", {"ContentDisposition": value})
    assert_twilio_4xx(reply, caplog, 400, 20001)
    assert api.emu.storage_requests == []


async def test_malformed_http_gets_a_400_without_an_error_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    request = b"GET /v1/Rooms/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    for origin in (api.emu.base_url, api.emu.storage_url):
        status, _ = await _raw(_port(origin), request)
        assert status == 400
    assert _errors(caplog) == []
    assert any("malformed HTTP request" in r.getMessage() for r in caplog.records)


def test_wildcard_name_filter_matches_like_the_glob_it_stands_for() -> None:
    cases = {
        ("*Hook*", "MyHook1"): True,
        ("*Hook*", "hook"): False,
        ("a*", "abc"): True,
        ("*c", "abc"): True,
        ("a*c", "ac"): True,
        ("a*a", "a"): False,
        ("*", ""): True,
        ("", ""): True,
        ("abc", "abc"): True,
        ("a*b*c", "aXbYc"): True,
        ("a*b*c", "aXcYb"): False,
        ("**", "x"): True,
    }
    for (pattern, name), expected in cases.items():
        regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
        assert name_matches(pattern, name) is expected is bool(re.match(regex, name, re.S))


async def test_wildcard_name_filter_does_not_backtrack(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # As a regex (".*" per wildcard) this filter backtracks for minutes over a 100-character
    # name, blocking the emulator's event loop; matched piece by piece it answers at once.
    api.emu.state.create_hook("a" * 100, audio_sources=["*"])
    api.emu.state.create_hook("ab", audio_sources=["*"])
    reply = await api.get("/v1/CompositionHooks", {"FriendlyName": "*a" * 12 + "b"})
    assert reply.status == 200
    assert [hook["friendly_name"] for hook in reply.body["composition_hooks"]] == []
    matched = await api.get("/v1/CompositionHooks", {"FriendlyName": "*a*b"})
    assert [hook["friendly_name"] for hook in matched.body["composition_hooks"]] == ["ab"]
    assert _errors(caplog) == []


# -- storage origin ------------------------------------------------------------------------------


async def _signed(api: Api) -> tuple[str, dict[str, str]]:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0).recordings[0]
    reply = await api.get(f"/v1/Recordings/{sid}/Media")
    parts = urlsplit(reply.headers["Location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(parse_qsl(parts.query))


async def _storage_get(api: Api, url: str, **headers: str) -> tuple[int, str, bytes]:
    async with api.session.get(url, headers=headers) as response:
        return response.status, response.content_type, await response.read()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Expires": "²"}, "AccessDenied"),
        ({"Expires": "\u0661\u0662"}, "AccessDenied"),  # Arabic-Indic digits, int() reads them
        ({"Expires": "9" * 5000}, "AccessDenied"),
        ({"Signature": "é" * 64}, "SignatureDoesNotMatch"),
        ({"Signature": "\U0001f600"}, "SignatureDoesNotMatch"),
    ],
)
async def test_storage_refuses_odd_expiry_and_signature_values(
    api: Api, caplog: pytest.LogCaptureFixture, change: dict[str, str], code: str
) -> None:
    base, query = await _signed(api)
    status, content_type, body = await _storage_get(api, f"{base}?{urlencode({**query, **change})}")
    assert (status, content_type) == (403, "application/xml")
    assert f"<Code>{code}</Code>" in body.decode()
    assert _errors(caplog) == []


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=²-", 200),  # not a range S3 can read: the whole object, as for any malformed one
        ("bytes=" + "9" * 5000 + "-", 416),  # past the end, however many digits
        ("bytes=-" + "9" * 5000, 206),  # a suffix longer than the object: all of it
        ("bytes=0-" + "9" * 5000, 206),
    ],
)
async def test_storage_ranges_with_odd_digits(
    api: Api, caplog: pytest.LogCaptureFixture, header: str, status: int
) -> None:
    base, query = await _signed(api)
    got, _, body = await _storage_get(api, f"{base}?{urlencode(query)}", Range=header)
    assert got == status
    if status != 416:
        assert len(body) == api.emu.state.media_size
    assert _errors(caplog) == []


# -- the catch-alls: unreadable input is a 400, anything else stays a visible 500 ----------------


def _raiser(error: BaseException) -> Any:
    def fail(*args: object, **kwargs: object) -> Any:
        raise error

    return fail


async def test_unreadable_input_no_check_caught_is_a_400_without_traceback(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = api.emu.state.create_room()
    for error in (
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        RecursionError("maximum recursion depth exceeded"),
        OverflowError("date value out of range"),
    ):
        monkeypatch.setattr(api.emu.state, "find_room", _raiser(error))
        reply = await api.get(f"/v1/Rooms/{room.sid}")
        assert_twilio_4xx(reply, caplog, 400, 20001)
        assert type(error).__name__ in reply.body["message"]
    warnings = [r for r in caplog.records if "unreadable input" in r.getMessage()]
    assert len(warnings) == 3 and all(r.exc_info is None for r in warnings)


async def test_a_real_bug_in_a_handler_stays_a_logged_500(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = api.emu.state.create_room()
    monkeypatch.setattr(api.emu.state, "find_room", _raiser(KeyError("bug")))
    reply = await api.get(f"/v1/Rooms/{room.sid}")
    assert (reply.status, reply.body["code"]) == (500, 20500)
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)


async def test_storage_catch_all_answers_s3_xml(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, query = await _signed(api)
    url = f"{base}?{urlencode(query)}"
    signer = api.emu._storage.signer
    monkeypatch.setattr(signer, "verify", _raiser(RecursionError("deep")))
    status, content_type, body = await _storage_get(api, url)
    assert (status, content_type) == (400, "application/xml")
    assert b"<Code>InvalidArgument</Code>" in body
    assert _errors(caplog) == []
    monkeypatch.setattr(signer, "verify", _raiser(KeyError("bug")))
    status, _, body = await _storage_get(api, url)
    assert status == 500 and b"<Code>InternalError</Code>" in body
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)
