"""``/Media`` redirects and the storage origin: 302 + ``redirect_to``, signed expiring URLs,
Range/206 and If-Range, S3-style refusals (403 expired or tampered, 400 with ``Authorization``)
and the deterministic bytes tests can recompute."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.media_servers import files_in, leave_part
from tests.test_emulator_support import Api, api, twvideo_emulator, twvideo_emulator_options
from twvideo_async import VideoClient
from twvideo_async.testing import Emulator, EmulatorClock, media_bytes, media_etag, media_sha256

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]

SIZE = 150_000  # more than two 64 KiB keystream blocks


async def _media_url(api: Api, path: str, **params: str) -> str:
    reply = await api.get(path, params or None)
    assert reply.status == 302, reply.text
    assert reply.body == {"redirect_to": reply.headers["Location"]}
    return str(reply.body["redirect_to"])


async def test_recording_media_redirects_to_the_storage_origin(api: Api) -> None:
    seeded = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE)
    sid = seeded.recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == api.emu.storage_url != api.emu.base_url
    assert parts.path == f"/{api.emu.account_sid}/Recordings/{sid}.mka"
    assert {key for key, _ in parse_qsl(parts.query)} == {"Expires", "Signature"}
    async with api.session.get(url) as response:
        data = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == "audio/x-matroska"
        assert response.headers["Content-Length"] == str(SIZE)
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["ETag"].endswith('-1"')
        assert response.headers["Content-Disposition"] == f'attachment; filename="{sid}.mka"'
    assert data == api.emu.media_bytes(sid) == media_bytes(sid, SIZE)
    assert hashlib.sha256(data).hexdigest() == api.emu.media_sha256(sid) == media_sha256(sid, SIZE)
    assert api.emu.media_size(sid) == SIZE
    # Nothing of the API's credentials reached the storage origin.
    (seen,) = api.emu.storage_requests
    assert "Authorization" not in seen.headers
    assert seen.path == parts.path and seen.method == "GET"


async def test_room_recording_and_composition_media(api: Api) -> None:
    seeded = api.emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=2)
    room, video = seeded.rooms[0], seeded.recordings[1]
    url = await _media_url(api, f"/v1/Rooms/{room}/Recordings/{video}/Media")
    assert urlsplit(url).path.endswith(f"/Recordings/{video}.mkv")
    mp4, webm = seeded.compositions
    for sid, content_type in ((mp4, "video/mp4"), (webm, "video/webm")):
        url = await _media_url(api, f"/v1/Compositions/{sid}/Media")
        async with api.session.get(url) as response:
            assert response.headers["Content-Type"] == content_type
            assert await response.read() == api.emu.media_bytes(sid)
    other_room = api.emu.state.create_room().sid
    wrong_room = await api.get(f"/v1/Rooms/{other_room}/Recordings/{video}/Media")
    assert wrong_room.status == 404


async def test_media_is_404_until_completed_and_after_deletion(api: Api) -> None:
    state = api.emu.state
    room = state.create_room(record_participants_on_connect=True)
    state.connect_participant(room, "alice")
    sid = next(iter(state.recordings))
    pending = await api.get(f"/v1/Recordings/{sid}/Media")
    assert (pending.status, pending.body["code"]) == (404, 20404)
    assert "not available" in pending.body["message"]
    state.complete_room(room)
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    assert (await api.delete(f"/v1/Recordings/{sid}")).status == 204
    assert (await api.get(f"/v1/Recordings/{sid}/Media")).status == 404
    # A URL issued before the deletion no longer finds the object.
    async with api.session.get(url) as response:
        assert response.status == 404
        assert "<Code>NoSuchKey</Code>" in await response.text()
    assert (await api.get(f"/v1/Recordings/RT{'0' * 32}/Media")).status == 404


START = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("twvideo_emulator_options", [{"clock": EmulatorClock(START, frozen=True)}])
async def test_ttl_bounds(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1).recordings[0]
    for ttl in ("0", "3601", "soon"):
        reply = await api.get(f"/v1/Recordings/{sid}/Media", {"Ttl": ttl})
        assert (reply.status, reply.body["code"]) == (400, 94603)
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media", Ttl="3600")
    expires = int(dict(parse_qsl(urlsplit(url).query))["Expires"])
    assert expires == int(START.timestamp()) + 3600


async def test_redirect_uses_the_host_the_client_used(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1).recordings[0]
    api_port = urlsplit(api.emu.base_url).port
    host = {"Host": f"video.localtest:{api_port}"}
    reply = await api.get(f"/v1/Recordings/{sid}", headers=host)
    assert reply.body["url"].startswith(f"http://video.localtest:{api_port}/v1/Recordings/")
    media = await api.get(f"/v1/Recordings/{sid}/Media", headers=host)
    storage_port = urlsplit(api.emu.storage_url).port
    assert urlsplit(media.body["redirect_to"]).netloc == f"video.localtest:{storage_port}"


@pytest.mark.parametrize("twvideo_emulator_options", [{"clock": EmulatorClock(START, frozen=True)}])
async def test_signed_url_expires(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    assert dict(parse_qsl(urlsplit(url).query))["Expires"] == str(int(START.timestamp()) + 600)
    api.emu.clock.advance(600)
    async with api.session.get(url) as response:
        assert response.status == 200
    api.emu.clock.advance(1)
    async with api.session.get(url) as response:
        assert response.status == 403
        assert response.content_type == "application/xml"
        text = await response.text()
    assert "<Code>AccessDenied</Code>" in text and "expired" in text


async def test_tampered_or_unsigned_urls_are_403(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    later = int(query["Expires"]) + 10_000
    extended = f"{api.emu.storage_url}{parts.path}?Expires={later}&Signature={query['Signature']}"
    unsigned = f"{api.emu.storage_url}{parts.path}"
    for target in (extended, unsigned):
        async with api.session.get(target) as response:
            assert response.status == 403


async def test_storage_refuses_requests_carrying_authorization(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    async with api.session.get(url, headers={"Authorization": api.auth}) as response:
        assert response.status == 400
        assert "<Code>InvalidArgument</Code>" in await response.text()
    (seen,) = api.emu.storage_requests
    assert seen.headers["Authorization"] == api.auth


async def test_content_disposition_passes_through(api: Api) -> None:
    sid = api.emu.seed(rooms=1, compositions_per_room=1).compositions[0]
    disposition = 'inline; filename="talk.mp4"'
    url = await _media_url(api, f"/v1/Compositions/{sid}/Media", ContentDisposition=disposition)
    async with api.session.get(url) as response:
        assert response.headers["Content-Disposition"] == disposition
    bad = await api.get(f"/v1/Compositions/{sid}/Media", {"ContentDisposition": "download"})
    assert bad.status == 400
    # The disposition is signed: changing it invalidates the URL.
    tampered = url.replace("inline", "attachment")
    async with api.session.get(tampered) as response:
        assert response.status == 403


@pytest.mark.parametrize(
    ("header", "status", "start", "end"),
    [
        ("bytes=100-", 206, 100, SIZE),
        ("bytes=0-99", 206, 0, 100),
        ("bytes=65530-65545", 206, 65530, 65546),
        ("bytes=149990-999999", 206, 149990, SIZE),
        ("bytes=-10", 206, SIZE - 10, SIZE),
        ("bytes=0-1,5-6", 200, 0, SIZE),
    ],
)
async def test_range_requests(api: Api, header: str, status: int, start: int, end: int) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    async with api.session.get(url, headers={"Range": header}) as response:
        data = await response.read()
        assert response.status == status
        if status == 206:
            assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert data == media_bytes(sid, SIZE)[start:end]


@pytest.mark.parametrize(
    ("validator", "honoured"),
    [
        ("etag", True),
        ("modified", True),
        ('"0123456789abcdef-1"', False),  # another version's ETag
        ("weak", False),  # a weak tag never matches (RFC 9110 13.1.5)
        ("Mon, 01 Jan 2024 00:00:00 GMT", False),  # another Last-Modified
        ("garbage", False),
    ],
)
async def test_if_range_sends_the_whole_object_unless_the_version_matches(
    api: Api, validator: str, honoured: bool
) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    async with api.session.head(url) as response:
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    if_range = {"etag": etag, "modified": modified, "weak": f"W/{etag}"}.get(validator, validator)
    headers = {"Range": "bytes=100-", "If-Range": if_range}
    async with api.session.get(url, headers=headers) as response:
        data = await response.read()
        assert response.status == (206 if honoured else 200)
        assert response.headers["ETag"] == etag
    assert data == media_bytes(sid, SIZE)[100 if honoured else 0 :]


async def test_unsatisfiable_range_is_416(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    async with api.session.get(url, headers={"Range": f"bytes={SIZE}-"}) as response:
        assert response.status == 416
        assert response.headers["Content-Range"] == f"bytes */{SIZE}"


async def test_head_and_other_methods(api: Api) -> None:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE).recordings[0]
    url = await _media_url(api, f"/v1/Recordings/{sid}/Media")
    async with api.session.head(url) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(SIZE)
    async with api.session.put(url, data=b"x") as response:
        assert response.status == 405


async def test_media_bytes_are_deterministic_and_sid_specific() -> None:
    async with Emulator(seed=3) as first, Emulator(seed=3) as second:
        a = first.seed(rooms=1, recordings_per_room=2)
        b = second.seed(rooms=1, recordings_per_room=2)
    assert a == b
    one, two = a.recordings
    assert first.media_bytes(one) == second.media_bytes(one)
    assert first.media_bytes(one) != first.media_bytes(two)
    async with Emulator(seed=4) as third:
        assert third.seed(rooms=1, recordings_per_room=2).recordings != a.recordings


@pytest.mark.parametrize("same_version", [True, False])
async def test_a_rerun_resumes_a_leftover_only_of_the_version_storage_still_holds(
    api: Api, tmp_path: Path, same_version: bool
) -> None:
    """End to end through the SDK: a killed run's part file and sidecar, then a rerun. The
    emulator answers the resume's ``If-Range`` with a 206 for the version the sidecar names,
    and with the whole object for another one; the file is right either way, never spliced."""
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=SIZE).recordings[0]
    data = media_bytes(sid, SIZE)
    etag = media_etag(sid, SIZE) if same_version else '"0123456789abcdef0123456789abcdef-1"'
    head = data[:100_000] if same_version else b"\xff" * 100_000  # another version's bytes
    leave_part(tmp_path, f"{sid}.mka", head, {"sidecar": 1, "size": SIZE, "etag": etag})
    async with VideoClient(*api.emu.credentials, base_url=api.emu.base_url) as client:
        path = await client.recordings.download(sid, tmp_path)
    assert path.read_bytes() == data
    assert files_in(tmp_path) == [f"{sid}.mka"]  # no part file or sidecar left
    (sent,) = api.emu.storage_requests
    assert (sent.headers.get("Range"), sent.headers.get("If-Range")) == ("bytes=100000-", etag)
