import asyncio
import pickle

import aiohttp
import pytest
from aiohttp import web

from tests.helpers import KEY_SECRET, KEY_SID, base_url, make_client, room_json, serve
from twvideo_async import Timeout, VideoClient
from twvideo_async._request import Request
from twvideo_async.errors import ConfigurationError

ACCOUNT = "AC" + "cd" * 16


def test_constructible_outside_a_running_loop() -> None:
    client = VideoClient(KEY_SID, KEY_SECRET, environ={})
    assert client.is_closed
    assert client.base_url == "https://video.twilio.com"


def test_credentials_from_the_environment() -> None:
    env = {"TWILIO_API_KEY_SID": KEY_SID, "TWILIO_API_KEY_SECRET": KEY_SECRET}
    assert VideoClient(environ=env)._credentials.username == KEY_SID
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "tok"}
    assert VideoClient(environ=env)._credentials.username == ACCOUNT


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(ConfigurationError) as info:
        VideoClient(environ={})
    for name in ("TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET", "TWILIO_ACCOUNT_SID"):
        assert name in str(info.value)


def test_half_given_credentials_say_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="api_key_secret is missing"):
        VideoClient(api_key_sid=KEY_SID, environ={})
    with pytest.raises(ConfigurationError, match="'SK' \\+ 32 hex"):
        VideoClient(api_key_sid="key", api_key_secret="x", environ={})


def test_repr_never_shows_the_secret() -> None:
    client = VideoClient(KEY_SID, KEY_SECRET, environ={})
    assert KEY_SECRET not in repr(client)
    assert KEY_SECRET not in repr(client._credentials)
    assert KEY_SID in repr(client)


def test_max_retries_none_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="pass 0 to disable"):
        VideoClient(KEY_SID, KEY_SECRET, max_retries=None, environ={})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("edge", "region", "expected"),
    [
        ("dublin", None, "https://video.dublin.us1.twilio.com"),
        ("sydney", "au1", "https://video.sydney.au1.twilio.com"),
        (None, "ie1", "https://video.ie1.twilio.com"),
    ],
)
def test_edge_and_region_rewrite_twilio_hosts(
    edge: str | None, region: str | None, expected: str
) -> None:
    client = VideoClient(KEY_SID, KEY_SECRET, edge=edge, region=region, environ={})
    assert client.base_url == expected


def test_edge_never_mangles_a_local_base_url() -> None:
    client = make_client("http://127.0.0.1:8089/", edge="dublin")
    assert client.base_url == "http://127.0.0.1:8089"


@pytest.mark.parametrize(
    "url", ["ftp://x", "video.twilio.com", "https://u:p@x.test", "https://x?q=1"]
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        make_client(url)


def test_timeout_accepts_numbers_and_timeout_objects() -> None:
    assert make_client("http://x", timeout=5)._requester.timeout == Timeout(total=5.0)
    with pytest.raises(ConfigurationError, match="> 0"):
        Timeout(total=-1)
    with pytest.raises(ConfigurationError):
        make_client("http://x", timeout="5")


async def fetch_room(client: VideoClient) -> int:
    resp = await client._requester.request(
        Request(method="GET", path_template="/v1/Rooms/{Sid}", path="/v1/Rooms/RM1")
    )
    return resp.status


async def test_async_with_closes_and_aclose_is_idempotent() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        async with make_client(base_url(server)) as client:
            assert await fetch_room(client) == 200
            assert not client.is_closed
        assert client.is_closed
        await client.aclose()
        await client.aclose()
        # A closed client opens nothing on use; `async with` opens it again.
        with pytest.raises(ConfigurationError, match="closed"):
            await fetch_room(client)
        assert client.is_closed
        async with client:
            assert await fetch_room(client) == 200


async def test_an_open_client_warns_when_garbage_collected() -> None:
    client = make_client("http://127.0.0.1:9")
    client._transport.api_session()
    with pytest.warns(ResourceWarning, match="Unclosed VideoClient"):
        client.__del__()
    await client.aclose()
    client.__del__()  # closed: no warning (warnings are errors in this suite)


def test_repeated_asyncio_run_works_with_async_with() -> None:
    results: list[int] = []

    async def job(client: VideoClient) -> None:
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(room_json())

        async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
            client._requester.origin = base_url(server)
            async with client:
                results.append(await fetch_room(client))

    client = make_client("http://127.0.0.1:9")
    asyncio.run(job(client))
    asyncio.run(job(client))
    assert results == [200, 200]


def test_reuse_across_loops_without_closing_gives_a_clear_error() -> None:
    client = make_client("http://127.0.0.1:9")

    async def open_pool() -> None:
        client._transport.api_session()

    async def use_again() -> None:
        with pytest.raises(ConfigurationError, match=r"asyncio\.run\(\) starts a new loop"):
            client._transport.api_session()

    loop = asyncio.new_event_loop()
    loop.run_until_complete(open_pool())
    asyncio.run(use_again())
    # Clean up on the loop that owns the pool.
    loop.run_until_complete(client.aclose())
    loop.close()


async def test_user_owned_session_is_used_and_never_closed() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        async with aiohttp.ClientSession() as session:
            client = make_client(base_url(server), session=session)
            assert await fetch_room(client) == 200
            await client.aclose()
            assert not session.closed


async def test_with_options_shares_the_pool_and_limits() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", handler)]) as server:
        async with make_client(base_url(server), max_retries=2) as client:
            assert client.rooms._requester is client._requester
            fast = client.with_options(timeout=1.5, max_retries=0)
            assert (
                fast.rooms._requester is fast._requester
                and fast.recordings._requester is fast._requester
            )
            assert fast._requester.policy.max_retries == 0
            assert fast._requester.timeout.total == 1.5
            assert client._requester.policy.max_retries == 2
            assert fast._transport is client._transport
            assert fast._requester.limits is client._requester.limits
            assert await fetch_room(fast) == 200
            await fast.aclose()  # a copy does not close the shared pool
            assert not client.is_closed
            assert await fetch_room(client) == 200


def test_errors_pickle_and_hide_nothing_secret() -> None:
    from twvideo_async.errors import NotFoundError

    err = NotFoundError(
        "The requested resource was not found",
        status=404,
        code=20404,
        method="GET",
        path="/v1/Rooms/{Sid}",
        request_id="RQ1",
        body={"code": 20404},
    )
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is NotFoundError
    assert (clone.status, clone.code, clone.request_id, clone.body) == (404, 20404, "RQ1", err.body)
    assert str(clone) == str(err)
    assert "code 20404" in str(err) and "GET /v1/Rooms/{Sid}" in str(err)
