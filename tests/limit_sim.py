"""Virtual time for the throttle's control law: an event loop whose clock jumps to the next
timer instead of waiting for it, and a client that drives a throttle against one of
``benchmarks.limit_shapes``' shapes the way the request loop does.

Nothing here touches the network: a "request" arrives at the shape after half a round trip,
an accepted one is served for the shape's ``service`` seconds, and the answer comes back after
the other half. Results are deterministic, so tests can bound the virtual wall time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import selectors
import sys
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import limit_shapes as shapes  # noqa: E402
from benchmarks.limit_shapes import Shape  # noqa: E402
from twvideo_async import AdaptiveThrottle  # noqa: E402

__all__ = ["Outcome", "VirtualLoop", "drive", "run_virtual", "shapes", "simulate"]

T = TypeVar("T")
RTT = 0.001  # seconds on the wire, both ways together
MAX_RETRY_AFTER = 60.0
MAX_RATE_LIMIT_RETRIES = 8
CALL_TIMEOUT = 60.0


class _VirtualSelector(selectors.BaseSelector):
    """Never blocks: ``select(timeout)`` moves the loop's virtual clock by ``timeout``."""

    def __init__(self) -> None:
        self.now = 0.0
        self._keys: dict[Any, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fd] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        return self._keys.pop(fd)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and no timer is set")
        self.now += max(timeout, 0.0)
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._keys

    def close(self) -> None:
        self._keys.clear()


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` to completion on virtual time."""
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


@dataclasses.dataclass
class Outcome:
    calls: int
    requests: int = 0
    limited: int = 0
    errors: int = 0
    wall: float = 0.0
    modes: list[str | None] = dataclasses.field(default_factory=list)

    @property
    def requests_per_call(self) -> float:
        return self.requests / self.calls


async def drive(
    throttle: AdaptiveThrottle,
    shape: Shape,
    calls: int,
    concurrency: int,
    *,
    on_tick: Callable[[float], None] | None = None,
) -> Outcome:
    """``calls`` fetches at ``concurrency`` in flight through ``throttle`` against ``shape``:
    acquire, send, release, report, and on a 429 sleep the answer's own ``Retry-After``."""
    loop = asyncio.get_running_loop()
    out = Outcome(calls)
    remaining = iter(range(calls))
    started = loop.time()

    async def one_call() -> None:
        deadline = loop.time() + CALL_TIMEOUT
        for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                await asyncio.wait_for(throttle.acquire(), deadline - loop.time())
            except asyncio.TimeoutError:
                out.errors += 1  # the limiter's own wait ran past the deadline
                return
            try:
                await asyncio.sleep(RTT / 2)
                out.requests += 1
                wait = shape.arrive()
                concurrent = shape.in_flight() + (wait is not None)
                if wait is None:
                    try:
                        await asyncio.sleep(shape.service)
                    finally:
                        shape.leave()
                await asyncio.sleep(RTT / 2)
            finally:
                throttle.release()
            headers = {"Twilio-Concurrent-Requests": str(concurrent)}
            if not shape.sends_concurrency:
                headers = {}
            if wait is None:
                throttle.on_success(headers)
                return
            out.limited += 1
            wait = round(wait + 0.0005, 3)  # the server rounds up to the millisecond
            told = wait if wait <= MAX_RETRY_AFTER else None
            throttle.on_rate_limited(
                told, 0.5, concurrent=concurrent if shape.sends_concurrency else None
            )
            if loop.time() + wait >= deadline:
                out.errors += 1
                return
            await asyncio.sleep(wait)
        out.errors += 1  # rate-limit retries exhausted

    async def worker() -> None:
        for _ in remaining:
            await one_call()
            if not out.modes or out.modes[-1] != throttle.mode:
                out.modes.append(throttle.mode)
            if on_tick is not None:
                on_tick(loop.time() - started)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    out.wall = loop.time() - started
    return out


def simulate(
    make_shape: Callable[[Callable[[], float]], Shape],
    calls: int,
    concurrency: int = 100,
    *,
    on_tick: Callable[[AdaptiveThrottle, Shape, float], None] | None = None,
    **throttle_options: Any,
) -> tuple[Outcome, AdaptiveThrottle, Shape]:
    """Build the shape and a throttle on a virtual loop's clock and :func:`drive` them."""

    async def main() -> tuple[Outcome, AdaptiveThrottle, Shape]:
        loop = asyncio.get_running_loop()
        shape = make_shape(loop.time)
        throttle = AdaptiveThrottle(clock=loop.time, **throttle_options)
        tick = None if on_tick is None else (lambda t: on_tick(throttle, shape, t))
        out = await drive(throttle, shape, calls, concurrency, on_tick=tick)
        return out, throttle, shape

    return run_virtual(main)
