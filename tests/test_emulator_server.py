"""The emulator as a server: Basic auth, Twilio's headers and error bodies for unknown paths and
methods, lifecycle, ``serve()`` for the CLI, and secrets staying out of reprs."""

from __future__ import annotations

import asyncio
import base64
import re

import aiohttp
import pytest

from tests.test_emulator_support import Api, api, twvideo_emulator, twvideo_emulator_options
from twvideo_async.testing import Emulator, Seed, serve

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer token",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "wrong-password",
        "wrong-user",
    ],
)
async def test_requests_without_valid_credentials_are_401(
    api: Api, authorization: str | None
) -> None:
    sid, secret = api.emu.credentials
    headers = {}
    if authorization == "wrong-password":
        authorization = _basic(sid, secret + "x")
    elif authorization == "wrong-user":
        authorization = _basic("SK" + "0" * 32, secret)
    if authorization is not None:
        headers["Authorization"] = authorization
    reply = await api.get("/v1/Rooms", headers=headers, auth=False)
    assert reply.status == 401
    assert reply.body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert reply.headers["WWW-Authenticate"].startswith("Basic")
    assert re.fullmatch(r"RQ[0-9a-f]{32}", reply.headers["Twilio-Request-Id"])
    # Unknown paths need credentials too.
    assert (await api.get("/v1/Nope", headers=headers, auth=False)).status == 401


@pytest.mark.parametrize(
    "twvideo_emulator_options",
    [{"account_sid": "AC" + "1" * 32, "auth_token": "token", "api_key_secret": "s3cret"}],
)
async def test_account_sid_and_auth_token_are_accepted_when_configured(api: Api) -> None:
    headers = {"Authorization": _basic("AC" + "1" * 32, "token")}
    assert (await api.get("/v1/Rooms", headers=headers, auth=False)).status == 200
    assert api.emu.credentials[1] == "s3cret"
    room = (await api.post("/v1/Rooms", {})).body
    assert room["account_sid"] == "AC" + "1" * 32


async def test_unknown_paths_and_methods(api: Api) -> None:
    missing = await api.get("/v1/Meetings")
    assert missing.status == 404
    assert missing.body["code"] == 20404
    assert missing.body["more_info"] == "https://www.twilio.com/docs/errors/20404"
    unknown_sid = await api.get("/v1/Recordings/RT" + "0" * 32)
    assert (unknown_sid.status, unknown_sid.body["code"]) == (404, 20404)
    malformed = await api.get("/v1/Rooms/RM123/Recordings")
    assert malformed.status == 404
    wrong_method = await api.call("PUT", "/v1/Rooms")
    assert (wrong_method.status, wrong_method.body["code"]) == (405, 20004)
    assert "Twilio-Request-Id" in wrong_method.headers


async def test_request_ids_are_unique(api: Api) -> None:
    ids = {(await api.get("/v1/Rooms")).headers["Twilio-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


async def test_lifecycle_and_addresses() -> None:
    emu = Emulator(seed=5)
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    await emu.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.base_url)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.storage_url)
        assert emu.base_url != emu.storage_url
        with pytest.raises(RuntimeError):
            await emu.start()
    finally:
        await emu.close()
    await emu.close()  # closing twice is harmless


def test_defaults_are_derived_from_the_seed() -> None:
    one, same, other = Emulator(seed=9), Emulator(seed=9), Emulator(seed=10)
    assert one.credentials == same.credentials != other.credentials
    assert one.account_sid == same.account_sid
    assert re.fullmatch(r"AC[0-9a-f]{32}", one.account_sid)
    assert re.fullmatch(r"SK[0-9a-f]{32}", one.credentials[0])


def test_secrets_stay_out_of_reprs() -> None:
    emu = Emulator(api_key_secret="top-secret-value", auth_token="token-value")
    for text in (repr(emu), repr(emu._context), repr(emu.state)):
        assert "top-secret-value" not in text
        assert "token-value" not in text


async def test_seed_accepts_a_seed_object_or_keywords() -> None:
    emu = Emulator()
    seeded = emu.seed(Seed(rooms=2, recordings_per_room=1, compositions_per_room=0))
    assert (len(seeded.rooms), len(seeded.recordings), seeded.compositions) == (2, 2, [])
    more = emu.seed(rooms=1, participants_per_room=3)
    assert len(more.participants) == 3
    with pytest.raises(TypeError):
        emu.seed(Seed(), rooms=1)
    with pytest.raises(ValueError):
        Seed(rooms=-1)


async def test_serve_runs_until_cancelled() -> None:
    ready: asyncio.Future[Emulator] = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(
        serve(port=0, populate_with=Seed(rooms=1), on_ready=ready.set_result)
    )
    emu = await ready
    async with aiohttp.ClientSession() as session:
        reply = await Api(emu, session).get("/v1/Rooms", {"Status": "completed"})
        assert len(reply.body["rooms"]) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(aiohttp.ClientConnectionError):
            await Api(emu, session).get("/v1/Rooms")
