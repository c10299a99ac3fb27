"""A per-call ``read_timeout`` on a download or stream changes only the wait for storage bytes:
the client's configured connect limit still bounds opening the storage connection (issue 11,
item 5: one place per default, honoured by every path)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.media_servers import MediaEnv, media_env, sid
from twvideo_async import Timeout, errors

RT = sid("RT", 7)
CONNECT = 3.25  # a connect limit no default has, so a dropped one cannot pass unnoticed


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env(timeout=Timeout(connect=CONNECT)) as media:
        yield media


@pytest.fixture
def storage_gets(monkeypatch: pytest.MonkeyPatch) -> list[tuple[aiohttp.ClientSession, Any]]:
    """Every ``ClientSession.get`` call: the session and the ``timeout`` it was given."""
    calls: list[tuple[aiohttp.ClientSession, Any]] = []
    original = aiohttp.ClientSession.get

    def spy(self: aiohttp.ClientSession, url: Any, **kwargs: Any) -> Any:
        calls.append((self, kwargs.get("timeout")))
        return original(self, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "get", spy)
    return calls


def storage_timeouts(
    env: MediaEnv, calls: list[tuple[aiohttp.ClientSession, Any]]
) -> list[aiohttp.ClientTimeout]:
    """The time limits each storage request ran with (its own, else the session's)."""
    storage = env.client._transport.storage_session()
    return [timeout or session.timeout for session, timeout in calls if session is storage]


async def test_a_download_read_timeout_keeps_the_clients_connect_limit(
    env: MediaEnv, tmp_path: Path, storage_gets: list[tuple[aiohttp.ClientSession, Any]]
) -> None:
    data = env.add(RT, 5000)
    path = await env.client.recordings.download(RT, tmp_path, read_timeout=42.5)
    assert path.read_bytes() == data
    (limits,) = storage_timeouts(env, storage_gets)
    assert (limits.total, limits.sock_connect, limits.sock_read) == (None, CONNECT, 42.5)


async def test_a_stream_read_timeout_keeps_the_clients_connect_limit(
    env: MediaEnv, storage_gets: list[tuple[aiohttp.ClientSession, Any]]
) -> None:
    data = env.add(RT, 5000)
    async with env.client.recordings.stream(RT, read_timeout=17.0) as media:
        assert await media.read() == data
    (limits,) = storage_timeouts(env, storage_gets)
    assert (limits.total, limits.sock_connect, limits.sock_read) == (None, CONNECT, 17.0)


async def test_without_a_read_timeout_the_same_connect_limit_applies(
    env: MediaEnv, tmp_path: Path, storage_gets: list[tuple[aiohttp.ClientSession, Any]]
) -> None:
    env.add(RT, 5000)
    await env.client.recordings.download(RT, tmp_path)
    (limits,) = storage_timeouts(env, storage_gets)
    assert limits.total is None and limits.sock_connect == CONNECT


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A loopback port whose connects never complete: a listener with a backlog of 0 that
    never accepts, its one queue place taken, so Linux drops every further SYN."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler.settimeout(5)
        filler.connect(("127.0.0.1", port))  # completes: it takes the queue's one place
        probe.settimeout(0.3)
        with pytest.raises(TimeoutError):  # the premise: a connect here does not complete
            probe.connect(("127.0.0.1", port))
        yield port
    finally:
        for sock in (probe, filler, listener):
            sock.close()


async def test_a_storage_connect_that_never_completes_ends_at_the_connect_limit(
    tmp_path: Path, unanswered_port: int
) -> None:
    # Without the connect limit a storage connect here waits for the kernel's SYN retries
    # (minutes; total is None for storage): the guard below then fails the test.
    async with media_env(timeout=Timeout(connect=0.5)) as env:
        env.add(RT, 5000)
        env.api.target = f"http://127.0.0.1:{unanswered_port}/bucket/{RT}?X-Amz-Signature=0"
        download = env.client.recordings.download(RT, tmp_path, read_timeout=600, max_attempts=1)
        with pytest.raises(errors.APITimeoutError, match="storage host"):
            await asyncio.wait_for(download, 60)
        assert env.storage.requests == []
    assert entries(tmp_path) == []
