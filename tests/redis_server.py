"""A real Redis server on loopback for the shared rate limit tests: one per test session.

Started as ``redis-server --port P --bind 127.0.0.1 --save "" --appendonly no`` on a free port
(never ``--port 0``: the tests must know the port). Without the binary (or redis-py) the tests
skip with the reason, except when ``TWVIDEO_REQUIRE_SERVERS=1`` (set by ``.ci/run``): then a
missing server is a failure (``tests/servers.py``).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator

import attrs
import pytest

from tests.servers import find_binary, free_port, need_module, unavailable


@attrs.define
class RedisServer:
    """A running redis-server; :meth:`stop` and :meth:`start` simulate an outage."""

    binary: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def _server() -> Iterator[RedisServer]:
    binary = find_binary("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install -y redis-server)")
    need_module("redis", "redis-py: the test extra has it")
    server = RedisServer(binary, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session (tests use distinct keys)."""
    yield from _server()


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that stop it."""
    yield from _server()
