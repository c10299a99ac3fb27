"""What every case needs inside a worker process: where the server is, how to drive N calls at
concurrency C, how to time a sample, and how to build each client under test.

twilio-python is imported through :mod:`importlib` on purpose: it ships no type information
and may not be installed at all (CI installs only ``.[test]``), and the driver asks
:func:`twilio_available` before scheduling its runs.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import importlib
import importlib.util
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .settings import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    Settings,
    process_cpu_seconds,
)

if TYPE_CHECKING:
    from twvideo_async import VideoClient


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a case gets: the run's sizes and where the loopback server listens."""

    settings: Settings
    api_port: int
    storage_port: int
    limited_port: int
    server_pid: int
    s3_port: int = 0  # the archive case's S3 server (benchmarks.s3), when it runs

    @property
    def api_origin(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def limited_origin(self) -> str:
        return f"http://127.0.0.1:{self.limited_port}"


def basic_authorization(user: str = ACCOUNT_SID, secret: str = AUTH_TOKEN) -> dict[str, str]:
    """A precomputed ``Authorization`` header: what a hand-written client sends."""
    token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


async def run_pool(n: int, concurrency: int, call: Callable[[], Awaitable[None]]) -> None:
    """``n`` calls, at most ``concurrency`` in flight: workers pull from one shared counter."""
    remaining = iter(range(n))

    async def worker() -> None:
        for _ in remaining:
            await call()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))


@dataclasses.dataclass
class Sample:
    """One timed run: wall seconds, this process's CPU seconds (all threads; split into user
    and kernel time), its minor page faults, and the server's CPU seconds."""

    wall: float = 0.0
    cpu: float = 0.0
    user: float = 0.0
    system: float = 0.0
    minor_faults: int = 0
    server_cpu: float = 0.0


@contextmanager
def timed(server_pid: int) -> Iterator[Sample]:
    sample = Sample()
    server0, cpu0, wall0 = process_cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    times0, faults0 = os.times(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    yield sample
    sample.wall = time.perf_counter() - wall0
    sample.cpu = time.process_time() - cpu0
    times = os.times()
    sample.user, sample.system = times.user - times0.user, times.system - times0.system
    sample.minor_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    sample.server_cpu = process_cpu_seconds(server_pid) - server0


def summarise(samples: list[Sample], units: int) -> dict[str, float]:
    """Median rate (units/s), client CPU per unit and server CPU share over the samples."""
    wall = statistics.median(s.wall for s in samples)
    return {
        "rate": units / wall,
        "wall_s": wall,
        "cpu_us_per_unit": statistics.median(s.cpu for s in samples) * 1e6 / units,
        "server_cpu_share": statistics.median(s.server_cpu / s.wall for s in samples),
    }


# -- clients under test ------------------------------------------------------------------------


def twilio_available() -> bool:
    try:
        return importlib.util.find_spec("twilio") is not None
    except ValueError:
        return False


def twilio_http_client(max_retries: int | None = None) -> Any:
    """twilio-python's ``AsyncTwilioHttpClient`` (must be built inside a running loop)."""
    module = importlib.import_module("twilio.http.async_http_client")
    if max_retries is None:
        return module.AsyncTwilioHttpClient()
    return module.AsyncTwilioHttpClient(max_retries=max_retries)


def twilio_client(http: Any, origin: str) -> Any:
    """A twilio-python ``Client`` whose Video domain points at loopback.

    ``Domain.base_url`` is a plain attribute; the driver already removed ``TWILIO_EDGE`` and
    ``TWILIO_REGION`` from the environment (they would rewrite ``127.0.0.1`` into nonsense).
    """
    rest = importlib.import_module("twilio.rest")
    client = rest.Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    client.video.base_url = origin
    return client


def video_client(origin: str, **options: Any) -> VideoClient:
    """A twvideo_async ``VideoClient`` on loopback."""
    from twvideo_async import VideoClient

    return VideoClient(
        api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET, base_url=origin, **options
    )
