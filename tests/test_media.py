"""``/Media`` resolution and ``stream_media``: redirect reading, target rules, credential
isolation, storage errors. Real loopback servers: the API and the storage host on two ports."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers import KEY_SECRET
from tests.media_servers import MediaEnv, media_env, sid
from twvideo_async import errors
from twvideo_async._media.resolve import FetchOptions, MediaPath, MediaSource
from twvideo_async._media.storage import check_target
from twvideo_async._media.stream import stream_media
from twvideo_async._media.transfer import download_media

RT = sid("RT", 1)
RM = sid("RM", 2)
CJ = sid("CJ", 3)


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


async def read_all(env: MediaEnv, media: MediaPath | str, **kwargs: object) -> bytes:
    async with stream_media(env.client._requester, media, **kwargs) as stream:  # type: ignore[arg-type]
        return await stream.read()


@pytest.mark.parametrize("mode", ["both", "location", "body", "relative"])
async def test_signed_url_is_read_from_redirect_to_or_location(env: MediaEnv, mode: str) -> None:
    env.api.mode = mode
    data = env.add(RT, 300_000)
    assert await read_all(env, MediaPath.recording(RT)) == data
    assert env.api.hits == 1
    assert len(env.storage.requests) == 1


async def test_all_three_media_endpoints(env: MediaEnv) -> None:
    recording, composition = env.add(RT, 1000), env.add(CJ, 1000)
    for media in (MediaPath.recording(RT), MediaPath.room_recording(RM, RT)):
        assert await read_all(env, media) == recording
    assert await read_all(env, MediaPath.composition(CJ)) == composition
    # A resource's absolute links["media"] URL works too; only its path is used.
    link = f"https://video.twilio.com/v1/Rooms/{RM}/Recordings/{RT}/Media"
    assert MediaPath.parse(link) == MediaPath.room_recording(RM, RT)
    assert await read_all(env, link) == env.storage.objects[RT]


@pytest.mark.parametrize(
    "bad", ["/v1/Rooms/RM1/Media", f"/v1/Recordings/{CJ}/Media", "/v1/Recordings/../Media", ""]
)
def test_malformed_media_paths_are_refused(bad: str) -> None:
    with pytest.raises(errors.InvalidRequestError):
        MediaPath.parse(bad)


async def test_ttl_and_content_disposition_pass_through(env: MediaEnv) -> None:
    env.add(CJ, 2000)
    disposition = 'inline; filename="talk.mp4"'
    async with stream_media(
        env.client._requester, MediaPath.composition(CJ), ttl=3600, content_disposition=disposition
    ) as media:
        assert media.headers["Content-Disposition"] == disposition
        await media.read()
    assert env.api.queries == [{"Ttl": "3600", "ContentDisposition": disposition}]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"ttl": 0}, "1 to 3600"),
        ({"ttl": 3601}, "1 to 3600"),
        ({"ttl": True}, "1 to 3600"),
        ({"content_disposition": "download"}, "attachment"),
        ({"content_disposition": "inline\r\nX: y"}, "attachment"),
        ({"read_timeout": 0}, "read_timeout"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    env: MediaEnv, kwargs: dict[str, object], words: str
) -> None:
    with pytest.raises(errors.InvalidRequestError, match=words):
        stream_media(env.client._requester, MediaPath.recording(RT), **kwargs)  # type: ignore[arg-type]
    assert env.api.hits == 0


async def test_404_means_media_not_ready(env: MediaEnv) -> None:
    env.api.not_ready.add(CJ)
    with pytest.raises(errors.MediaNotReadyError) as caught:
        await read_all(env, MediaPath.composition(CJ))
    message = str(caught.value)
    assert "'completed'" in message and "'deleted'" in message and "composition" in message
    assert caught.value.status == 404 and caught.value.code == 20404
    assert env.storage.requests == []


async def test_a_200_without_redirect_is_an_error(env: MediaEnv) -> None:
    env.api.mode = "plain"
    with pytest.raises(errors.APIResponseValidationError, match="redirect"):
        await read_all(env, MediaPath.recording(RT))


async def test_target_with_userinfo_is_refused(env: MediaEnv) -> None:
    env.add(RT, 100)
    env.api.target = env.api.storage_url.replace("://", "://user:pa55word@") + f"/bucket/{RT}"
    with pytest.raises(errors.UnexpectedRedirectError, match="user credentials") as caught:
        await read_all(env, MediaPath.recording(RT))
    assert "pa55word" not in str(caught.value) + repr(caught.value)
    assert env.storage.requests == []


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/x", "data:,hello", "file:///etc/passwd"])
async def test_non_http_targets_are_refused(env: MediaEnv, target: str) -> None:
    env.api.target = target
    with pytest.raises(errors.UnexpectedRedirectError):
        await read_all(env, MediaPath.recording(RT))
    assert env.storage.requests == []


async def test_https_client_refuses_plain_http_storage() -> None:
    """base_url https, request layer pointed at the loopback API: http storage is refused."""
    async with media_env(https_client=True) as env:
        env.add(RT, 100)
        with pytest.raises(errors.UnexpectedRedirectError, match="plain http"):
            async with stream_media(env.client._requester, MediaPath.recording(RT)):
                pass
        assert env.api.hits == 1 and env.storage.requests == []


async def test_http_client_can_ask_for_the_https_rule(env: MediaEnv) -> None:
    source = MediaSource(
        env.client._requester, MediaPath.recording(RT), FetchOptions(allow_http=False)
    )
    with pytest.raises(errors.UnexpectedRedirectError, match="plain http"):
        await source.resolve()
    assert env.storage.requests == []


def test_target_rules() -> None:
    check_target("https://s3.amazonaws.com/b/k?X-Amz-Signature=1", allow_http=False)
    check_target("http://127.0.0.1:9/k", allow_http=True)
    check_target("https://b.s3.amazonaws.com/k", allow_http=False, previous="https://a/")
    with pytest.raises(errors.UnexpectedRedirectError, match="https to plain http"):
        check_target("http://b/k", allow_http=True, previous="https://a/k")
    with pytest.raises(errors.UnexpectedRedirectError, match="plain http"):
        check_target("http://b/k", allow_http=False)
    with pytest.raises(errors.UnexpectedRedirectError, match="user credentials"):
        check_target("https://u:p@b/k", allow_http=False)
    with pytest.raises(errors.UnexpectedRedirectError):
        check_target("https://[::1/k", allow_http=False)


async def test_storage_redirects_are_followed_without_credentials(env: MediaEnv) -> None:
    data = env.add(RT, 5000)
    signed = "?X-Amz-Signature=7"
    env.storage.redirects = {f"/bucket/{RT}": f"/hop1{signed}", "/hop1": f"/hop2/{RT}{signed}"}
    assert await read_all(env, MediaPath.recording(RT)) == data
    assert [seen.path for seen in env.storage.requests] == [f"/bucket/{RT}", "/hop1", f"/hop2/{RT}"]


async def test_more_than_three_storage_redirects_are_refused(env: MediaEnv) -> None:
    env.storage.redirects = {f"/bucket/{RT}": "/h1", "/h1": "/h2", "/h2": "/h3", "/h3": "/h4"}
    with pytest.raises(errors.UnexpectedRedirectError, match="more than 3"):
        await read_all(env, MediaPath.recording(RT))
    assert len(env.storage.requests) == 4


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (503, errors.InternalServerError),
    ],
)
async def test_storage_errors_name_status_and_host_only(
    env: MediaEnv, status: int, cls: type[errors.APIStatusError]
) -> None:
    env.add(RT, 100)
    if status == 403:
        env.storage.expired_below = 1
    elif status == 404:
        del env.storage.objects[RT]
    else:
        env.storage.fail_status = 503
    with pytest.raises(cls) as caught:
        await read_all(env, MediaPath.recording(RT))
    error = caught.value
    text = str(error) + repr(error)
    assert error.status == status
    assert "127.0.0.1:" in text
    assert "Signature" not in text and "LEAKED" not in text and "/bucket" not in text
    assert error.request_id and error.request_id.startswith("REQ")
    assert error.__cause__ is None and error.__context__ is None


async def test_stream_exposes_headers_and_bounded_chunks(env: MediaEnv) -> None:
    data = env.add(RT, 1_000_000)
    env.storage.extra_headers = {
        "x-amz-meta-x-amz-key": "d3JhcHBlZA==",
        "x-amz-meta-x-amz-iv": "aXY=",
    }
    async with stream_media(env.client._requester, MediaPath.recording(RT)) as media:
        assert media.status == 200
        assert media.content_length == len(data)
        assert media.content_type == "audio/x-matroska"
        assert media.headers["x-amz-meta-x-amz-key"] == "d3JhcHBlZA=="
        assert media.headers["x-amz-meta-x-amz-iv"] == "aXY="
        digest = hashlib.sha256()
        sizes = []
        async for chunk in media.iter_bytes(chunk_size=10_000):
            sizes.append(len(chunk))
            digest.update(chunk)
        assert max(sizes) <= 10_000
        with pytest.raises(RuntimeError, match="already read"):
            await media.read()
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_leaving_the_block_early_releases_the_connection(env: MediaEnv) -> None:
    env.add(RT, 4_000_000)
    with pytest.raises(KeyError):
        async with stream_media(env.client._requester, MediaPath.recording(RT)) as media:
            async for _chunk in media.iter_bytes():
                raise KeyError("stop")
    assert media._response._response.closed
    connector = env.client._transport.storage_session().connector
    assert connector is not None and not connector._acquired  # nothing left checked out


async def test_nothing_secret_is_logged(
    env: MediaEnv, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    env.add(RT, 200_000)
    env.storage.cut_after, env.storage.cut_times = 50_000, 1
    env.storage.expired_below = 1
    caplog.set_level(logging.DEBUG, logger="twvideo_async")
    with pytest.raises(errors.PermissionDeniedError):
        await read_all(env, MediaPath.recording(RT))
    # the download re-resolves past the expired URL and resumes past the cut
    await download_media(
        env.client._requester, MediaPath.recording(RT), tmp_path, default_name="x.mka"
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "storage" in text  # something was logged...
    assert "Signature" not in text and KEY_SECRET not in text and "Basic " not in text


async def test_extra_headers_go_to_the_api_call_only(env: MediaEnv) -> None:
    data = env.add(RT, 1000)
    headers = {"X-Trace": "t-1", "Cookie": "session=abc"}
    assert await read_all(env, MediaPath.recording(RT), extra_headers=headers) == data
    [seen] = env.storage.requests
    assert "X-Trace" not in seen.headers and "Cookie" not in seen.headers
    assert set(seen.headers) <= {"Host", "Accept", "Accept-Encoding", "User-Agent"}


async def test_unreachable_storage_fails_after_max_attempts(env: MediaEnv, tmp_path: Path) -> None:
    env.api.target = "http://127.0.0.1:1/bucket/x?X-Amz-Signature=0"  # nothing listens there
    with pytest.raises(errors.APIConnectionError, match=r"host 127\.0\.0\.1:1\b") as caught:
        await download_media(
            env.client._requester, MediaPath.recording(RT), tmp_path, max_attempts=2
        )
    assert "Signature" not in str(caught.value) and caught.value.__context__ is None
    assert env.api.hits == 1 and not any(tmp_path.iterdir())  # noqa: ASYNC240
