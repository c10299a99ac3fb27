"""Five shapes of server-side limit, and a loopback server answering like Twilio behind each.

Used by the test suite (``tests/test_limit_shapes.py``, small runs; ``tests/limit_sim.py`` on
virtual time) and by ``python -m benchmarks.bench_limits`` (the issue's sizes). Each shape is a
plain object on an injectable clock: ``arrive()`` says whether a request is accepted (None) or
how long its ``Retry-After`` is, ``leave()`` is called when an accepted request's answer has been
sent, and ``ideal(calls)`` is the least time in which the server could accept ``calls`` requests.

* :class:`LeakyBucket`: nginx ``limit_req rate=R burst=B nodelay``: an excess that drains at
  ``rate`` and may reach ``burst`` (so ``burst + 1`` requests pass at once);
* :class:`TokenBucket`: ``rate`` tokens per second, ``burst`` stored;
* :class:`ConcurrencyCap`: more than ``limit`` requests in flight are refused, each accepted one
  takes ``service`` seconds; every answer carries ``Twilio-Concurrent-Requests``;
* :class:`RateSchedule`: a leaky bucket whose rate follows a schedule of phases;
* :class:`FixedWindow`: ``limit`` requests per ``window`` seconds, ``Retry-After`` to its end.

Over the limit the server answers 429 with Twilio's 20429 JSON body and ``Retry-After`` (seconds,
rounded up to the millisecond, so a client that waits exactly that long is not refused for
being early). ``GET /_bench/reset`` restarts the shape's clock and counters and
``GET /_bench/stats`` returns them; neither is counted.

Run as ``python -m benchmarks.limit_shapes SHAPES_JSON`` it serves every shape on its own port
and prints ``{"name": port, ...}`` on one line, until its stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiohttp import web

Clock = Callable[[], float]
JSON = "application/json"
ROOM_SID = "RM" + "a" * 32
LIMITED_BODY = json.dumps(
    {"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429}
).encode()


def room_body(origin: str, sid: str = ROOM_SID) -> bytes:
    """A room-fetch answer (the fields a client parses; URLs on ``origin``)."""
    room = {
        "sid": sid,
        "account_sid": "AC" + "0" * 32,
        "status": "in-progress",
        "unique_name": "standup",
        "type": "group",
        "max_participants": 50,
        "date_created": "2025-03-01T09:00:00Z",
        "date_updated": "2025-03-01T09:00:00Z",
        "url": f"{origin}/v1/Rooms/{sid}",
        "links": {"participants": f"{origin}/v1/Rooms/{sid}/Participants"},
    }
    return json.dumps(room).encode()


class Shape(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def service(self) -> float:
        """Seconds an accepted request takes."""

    @property
    def sends_concurrency(self) -> bool:
        """Whether answers carry ``Twilio-Concurrent-Requests``."""

    def reset(self) -> None: ...

    def arrive(self) -> float | None: ...

    def leave(self) -> None: ...

    def in_flight(self) -> int: ...

    def ideal(self, calls: int) -> float: ...


class _Base:
    service = 0.0
    sends_concurrency = False

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self.started = clock()
        self._in_flight = 0

    def reset(self) -> None:
        self.started = self.clock()
        self._in_flight = 0

    def leave(self) -> None:
        self._in_flight = max(0, self._in_flight - 1)

    def in_flight(self) -> int:
        return self._in_flight

    def _accept(self) -> None:
        self._in_flight += 1


class LeakyBucket(_Base):
    def __init__(self, rate: float, burst: int, *, name: str = "leaky", clock: Clock) -> None:
        super().__init__(name, clock)
        self.rate, self.burst = rate, burst
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.excess, self.updated = 0.0, self.clock()

    def _drain(self, now: float) -> None:
        self.excess = max(0.0, self.excess - self.rate * (now - self.updated))
        self.updated = now

    def arrive(self) -> float | None:
        self._drain(self.clock())
        if self.excess > self.burst:
            return (self.excess - self.burst) / self.rate
        self.excess += 1.0
        self._accept()
        return None

    def ideal(self, calls: int) -> float:
        return max(0, calls - (self.burst + 1)) / self.rate


class TokenBucket(_Base):
    def __init__(self, rate: float, burst: int, *, name: str = "token", clock: Clock) -> None:
        super().__init__(name, clock)
        self.rate, self.burst = rate, burst
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.tokens, self.updated = float(self.burst), self.clock()

    def arrive(self) -> float | None:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1.0:
            return (1.0 - self.tokens) / self.rate
        self.tokens -= 1.0
        self._accept()
        return None

    def ideal(self, calls: int) -> float:
        return max(0, calls - self.burst) / self.rate


class ConcurrencyCap(_Base):
    sends_concurrency = True

    def __init__(
        self, limit: int, service: float, *, name: str = "concurrency", clock: Clock
    ) -> None:
        super().__init__(name, clock)
        self.limit, self.service = limit, service

    def arrive(self) -> float | None:
        if self._in_flight >= self.limit:
            return self.service
        self._accept()
        return None

    def ideal(self, calls: int) -> float:
        return calls * self.service / self.limit


class RateSchedule(LeakyBucket):
    """``phases``: (seconds, rate) from the reset on; the last rate holds after them."""

    def __init__(
        self,
        phases: Sequence[tuple[float, float]],
        burst: int,
        *,
        name: str = "schedule",
        clock: Clock,
    ) -> None:
        self.phases = [(float(d), float(r)) for d, r in phases]
        super().__init__(self.phases[0][1], burst, name=name, clock=clock)

    def _allowance(self, t: float) -> float:
        """Requests the schedule lets through from the reset to ``t`` seconds after it."""
        total, start = 0.0, 0.0
        for duration, rate in self.phases:
            if t <= start + duration:
                return total + (t - start) * rate
            total += duration * rate
            start += duration
        return total + (t - start) * self.phases[-1][1]

    def _rate_at(self, t: float) -> float:
        start = 0.0
        for duration, rate in self.phases:
            if t < start + duration:
                return rate
            start += duration
        return self.phases[-1][1]

    def _drain(self, now: float) -> None:
        drained = self._allowance(now - self.started) - self._allowance(self.updated - self.started)
        self.excess = max(0.0, self.excess - drained)
        self.updated = now
        self.rate = self._rate_at(now - self.started)

    def ideal(self, calls: int) -> float:
        need = max(0, calls - (self.burst + 1))
        low, high = 0.0, 1.0
        while self._allowance(high) < need:
            high *= 2
        for _ in range(60):
            mid = (low + high) / 2
            low, high = (mid, high) if self._allowance(mid) < need else (low, mid)
        return high


class FixedWindow(_Base):
    def __init__(self, limit: int, window: float, *, name: str = "window", clock: Clock) -> None:
        super().__init__(name, clock)
        self.limit, self.window = limit, window
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.index, self.count = 0, 0

    def arrive(self) -> float | None:
        elapsed = self.clock() - self.started
        index = int(elapsed // self.window)
        if index != self.index:
            self.index, self.count = index, 0
        if self.count >= self.limit:
            return (index + 1) * self.window - elapsed
        self.count += 1
        self._accept()
        return None

    def ideal(self, calls: int) -> float:
        return (math.ceil(calls / self.limit) - 1) * self.window


def issue_shapes(clock: Clock = time.monotonic) -> list[Shape]:
    """The five shapes at issue 17's sizes (run with :data:`ISSUE_CALLS` calls at C=100)."""
    return [
        LeakyBucket(200.0, 20, clock=clock),
        TokenBucket(50.0, 50, clock=clock),
        ConcurrencyCap(20, 0.05, clock=clock),
        RateSchedule([(2.0, 200.0), (5.0, 50.0), (1.0, 200.0)], 20, clock=clock),
        FixedWindow(500, 5.0, clock=clock),
    ]


ISSUE_CALLS = {"leaky": 2000, "token": 1000, "concurrency": 2000, "schedule": 2000, "window": 1000}


def build(spec: dict[str, Any], clock: Clock = time.monotonic) -> Shape:
    """A shape from its JSON description (``{"kind": ..., **parameters}``)."""
    kinds: dict[str, Any] = {
        "leaky": LeakyBucket,
        "token": TokenBucket,
        "concurrency": ConcurrencyCap,
        "schedule": RateSchedule,
        "window": FixedWindow,
    }
    params = dict(spec)
    shape: Shape = kinds[params.pop("kind")](clock=clock, **params)
    return shape


def describe(shape: Shape) -> dict[str, Any]:
    """The JSON description :func:`build` takes back."""
    if isinstance(shape, RateSchedule):
        return {"kind": "schedule", "name": shape.name, "phases": shape.phases,
                "burst": shape.burst}  # fmt: skip
    if isinstance(shape, LeakyBucket):
        return {"kind": "leaky", "name": shape.name, "rate": shape.rate, "burst": shape.burst}
    if isinstance(shape, TokenBucket):
        return {"kind": "token", "name": shape.name, "rate": shape.rate, "burst": shape.burst}
    if isinstance(shape, ConcurrencyCap):
        return {"kind": "concurrency", "name": shape.name, "limit": shape.limit,
                "service": shape.service}  # fmt: skip
    assert isinstance(shape, FixedWindow)
    return {"kind": "window", "name": shape.name, "limit": shape.limit, "window": shape.window}


class ShapeServer:
    """The aiohttp app for one shape: ``GET /v1/Rooms/{sid}`` behind it, plus the controls."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.counts = {"requests": 0, "limited": 0, "ok": 0, "peak_in_flight": 0}
        self.body = b""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/Rooms/{sid}", self.fetch)
        app.router.add_get("/_bench/reset", self.reset)
        app.router.add_get("/_bench/stats", self.stats)
        return app

    async def fetch(self, request: web.Request) -> web.Response:
        shape, counts = self.shape, self.counts
        counts["requests"] += 1
        wait = shape.arrive()
        headers = {"Twilio-Request-Id": "RQ" + "0" * 32}
        if shape.sends_concurrency:
            # The account's requests in flight as this one arrived, itself included.
            headers["Twilio-Concurrent-Requests"] = str(shape.in_flight() + (wait is not None))
        if wait is not None:
            counts["limited"] += 1
            headers["Retry-After"] = f"{math.ceil(wait * 1000) / 1000:.3f}"
            return web.Response(status=429, body=LIMITED_BODY, content_type=JSON, headers=headers)
        counts["ok"] += 1
        counts["peak_in_flight"] = max(counts["peak_in_flight"], shape.in_flight())
        try:
            if shape.service:
                await asyncio.sleep(shape.service)
        finally:
            shape.leave()
        if not self.body:
            self.body = room_body(f"{request.scheme}://{request.host}")
        return web.Response(body=self.body, content_type=JSON, headers=headers)

    async def reset(self, request: web.Request) -> web.Response:
        self.shape.reset()
        for key in self.counts:
            self.counts[key] = 0
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.counts)


async def _serve(specs: list[dict[str, Any]]) -> None:
    runners: list[web.AppRunner] = []
    ports: dict[str, int] = {}
    for spec in specs:
        shape = build(spec)
        runner = web.AppRunner(ShapeServer(shape).app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports[shape.name] = runner.addresses[0][1]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def watch_stdin() -> None:
        sys.stdin.read()  # EOF: the driver is gone
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps(ports), flush=True)
    try:
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main(argv: list[str]) -> int:
    from .settings import SERVER_CPU, pin_to_cpu

    specs = json.loads(argv[0]) if argv else [describe(s) for s in issue_shapes()]
    pin_to_cpu(int(argv[1]) if len(argv) > 1 else SERVER_CPU)
    asyncio.run(_serve(specs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
