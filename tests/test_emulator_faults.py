"""Fault injection: 429s (counted, fractional, a real token-bucket rate limit, a concurrency
limit), 5xx, latency, held requests, and storage misbehaviour (cut, stall, expiry, ignored Range,
errors)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.test_emulator_support import Api, api, twvideo_emulator, twvideo_emulator_options
from twvideo_async.testing import Emulator, media_bytes

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]


async def test_throttle_count_with_retry_after(api: Api) -> None:
    rule = api.emu.faults.throttle(count=2, retry_after=0.05)
    first = await api.get("/v1/Rooms")
    second = await api.get("/v1/Rooms")
    third = await api.get("/v1/Rooms")
    assert [first.status, second.status, third.status] == [429, 429, 200]
    assert first.headers["Retry-After"] == "0.05"
    assert first.body == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    assert "Twilio-Request-Id" in first.headers
    assert (rule.fired, rule.active) == (2, False)


async def test_throttle_without_retry_after_and_filters(api: Api) -> None:
    api.emu.faults.throttle(retry_after=None, methods=["POST"], path="/v1/Rooms")
    assert (await api.get("/v1/Rooms")).status == 200
    reply = await api.post("/v1/Rooms", {})
    assert reply.status == 429
    assert "Retry-After" not in reply.headers
    assert (await api.get("/v1/Compositions")).status == 200


async def _pattern(seed: int) -> list[int]:
    async with Emulator(seed=seed) as emu, aiohttp.ClientSession() as session:
        emu.faults.throttle(fraction=0.5)
        client = Api(emu, session)
        return [(await client.get("/v1/Rooms")).status for _ in range(24)]


async def test_fractions_are_deterministic_per_seed() -> None:
    first, again, other = await _pattern(1), await _pattern(1), await _pattern(2)
    assert first == again
    assert set(first) == {200, 429}
    assert first != other


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_rate_limit_is_a_token_bucket(api: Api) -> None:
    clock = FakeClock()
    limit = api.emu.faults.rate_limit(rps=2, clock=clock)
    statuses = [(await api.get("/v1/Rooms")).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await api.get("/v1/Rooms")
    assert refused.headers["Retry-After"] == "0.5"
    clock.now += 0.5
    assert (await api.get("/v1/Rooms")).status == 200
    assert (await api.get("/v1/Rooms")).status == 429
    assert limit.rejected == 3
    limit.cancel()
    assert (await api.get("/v1/Rooms")).status == 200


async def test_rate_limit_with_fixed_retry_after(api: Api) -> None:
    api.emu.faults.rate_limit(rps=200, burst=1, retry_after=0.05, clock=FakeClock())
    assert (await api.get("/v1/Rooms")).status == 200
    refused = await api.get("/v1/Rooms")
    assert (refused.status, refused.headers["Retry-After"]) == (429, "0.05")


async def _wait_in_flight(emu: Emulator, count: int) -> None:
    # The emulator's in-flight counter is the only signal that a request reached the server;
    # yielding to the loop until it moves is deterministic (no wall-clock wait).
    context = emu._context
    while context.in_flight != count:  # noqa: ASYNC110
        await asyncio.sleep(0)


async def test_concurrency_limit_and_concurrent_requests_header(api: Api) -> None:
    api.emu.faults.concurrency_limit(1, retry_after=2)
    held = api.emu.faults.hold(path="/v1/Rooms")
    first = asyncio.ensure_future(api.get("/v1/Rooms"))
    await _wait_in_flight(api.emu, 1)
    second = await api.get("/v1/Compositions")
    assert second.status == 429
    assert second.headers["Retry-After"] == "2"
    assert second.headers["Twilio-Concurrent-Requests"] == "2"
    held.release()
    reply = await first
    assert reply.status == 200
    assert reply.headers["Twilio-Concurrent-Requests"] == "1"


async def test_close_releases_held_requests() -> None:
    async with aiohttp.ClientSession() as session:
        emu = Emulator()
        await emu.start()
        emu.faults.hold(count=None)
        pending = asyncio.ensure_future(Api(emu, session).get("/v1/Rooms"))
        await _wait_in_flight(emu, 1)
        await emu.close()
        reply = await pending
    assert reply.status == 200


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503)])
async def test_server_errors_with_twilio_body(api: Api, status: int, code: int) -> None:
    rule = api.emu.faults.server_error(status, count=1, methods=["POST"])
    assert (await api.get("/v1/Rooms")).status == 200
    failed = await api.post("/v1/Rooms", {})
    assert (failed.status, failed.body["code"]) == (status, code)
    assert (await api.post("/v1/Rooms", {})).status == 201
    assert rule.fired == 1


async def test_gateway_errors_have_html_bodies(api: Api) -> None:
    api.emu.faults.server_error(502, count=1)
    reply = await api.get("/v1/Rooms")
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.body is None and "502" in reply.text


async def test_latency_rule_counts_and_expires(api: Api) -> None:
    rule = api.emu.faults.latency(0.01, count=2, path="/v1/Rooms")
    for _ in range(3):
        assert (await api.get("/v1/Rooms")).status == 200
    await api.get("/v1/Compositions")
    assert (rule.fired, rule.active) == (2, False)


async def test_clear_removes_every_fault(api: Api) -> None:
    api.emu.faults.throttle()
    api.emu.faults.rate_limit(rps=1, burst=1, clock=FakeClock())
    api.emu.faults.storage_expired(count=None)
    api.emu.faults.clear()
    for _ in range(3):
        assert (await api.get("/v1/Rooms")).status == 200


def test_fault_arguments_are_checked() -> None:
    faults = Emulator().faults
    with pytest.raises(ValueError):
        faults.throttle(count=0)
    with pytest.raises(ValueError):
        faults.throttle(fraction=1.5)
    with pytest.raises(ValueError):
        faults.server_error(404)
    with pytest.raises(ValueError):
        faults.rate_limit(rps=0)
    with pytest.raises(ValueError):
        faults.storage_cut(-1)


SIZE = 200_000


async def _storage_url(api: Api, size: int = SIZE) -> tuple[str, str]:
    sid = api.emu.seed(rooms=1, recordings_per_room=1, media_size=size).recordings[0]
    reply = await api.get(f"/v1/Recordings/{sid}/Media")
    return sid, str(reply.body["redirect_to"])


async def test_storage_cut_mid_stream_then_resume(api: Api) -> None:
    sid, url = await _storage_url(api)
    rule = api.emu.faults.storage_cut(70_000)
    received = bytearray()
    with pytest.raises(aiohttp.ClientPayloadError):
        async with api.session.get(url) as response:
            assert response.status == 200
            async for chunk in response.content.iter_chunked(8192):
                received += chunk
    assert len(received) == 70_000
    assert rule.fired == 1
    headers = {"Range": f"bytes={len(received)}-"}
    async with api.session.get(url, headers=headers) as response:
        assert response.status == 206
        received += await response.read()
    assert bytes(received) == media_bytes(sid, SIZE)


async def test_storage_stall_trips_a_read_timeout(api: Api) -> None:
    _, url = await _storage_url(api)
    rule = api.emu.faults.storage_stall(60, after_bytes=100)
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    received = bytearray()
    with pytest.raises(asyncio.TimeoutError):
        async with api.session.get(url, timeout=timeout) as response:
            async for chunk in response.content.iter_chunked(1024):
                received += chunk
    assert len(received) == 100
    assert rule.fired == 1
    async with api.session.get(url) as response:
        assert len(await response.read()) == SIZE


async def test_storage_expired_the_first_times(api: Api) -> None:
    _, url = await _storage_url(api)
    api.emu.faults.storage_expired(count=2)
    statuses = []
    for _ in range(3):
        async with api.session.get(url) as response:
            statuses.append(response.status)
            body = await response.read()
            if response.status == 403:
                assert b"Request has expired" in body
    assert statuses == [403, 403, 200]


async def test_storage_ignoring_range(api: Api) -> None:
    sid, url = await _storage_url(api)
    api.emu.faults.storage_ignore_range(count=1)
    async with api.session.get(url, headers={"Range": "bytes=100-"}) as response:
        assert response.status == 200
        assert "Content-Range" not in response.headers
        assert await response.read() == media_bytes(sid, SIZE)
    async with api.session.get(url, headers={"Range": "bytes=100-"}) as response:
        assert response.status == 206


async def test_storage_errors_and_path_filters(api: Api) -> None:
    seeded = api.emu.seed(rooms=1, recordings_per_room=2)
    first, second = seeded.recordings
    api.emu.faults.storage_error(503, count=None, path=second)
    for sid, status in ((first, 200), (second, 503)):
        url = (await api.get(f"/v1/Recordings/{sid}/Media")).body["redirect_to"]
        async with api.session.get(url) as response:
            assert response.status == status
            if status == 503:
                assert "<Code>SlowDown</Code>" in await response.text()
