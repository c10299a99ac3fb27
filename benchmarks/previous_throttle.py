"""The PREVIOUS DESIGN of the client-wide slow-down, kept for comparison only.

This is ``AdaptiveThrottle``'s control law as it was before issue 17 (every 429 pauses all
senders for its ``Retry-After`` and lowers a rate pacer, a ``TokenBucket`` of burst 1, to the
accepted rate measured since the last change; the pace recovers 10% per second). It is not part
of the package: ``python -m benchmarks.bench_limits`` runs it side by side with the current
throttle and a bare AIMD pacer. :class:`PreviousThrottle` and :class:`AimdPacer` fit the
``SharedThrottle`` protocol, so ``VideoClient(throttle=...)`` takes them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from twvideo_async import TokenBucket

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class PreviousLaw:
    """Shared by all requests of a client: pauses everyone after a 429 and paces them at the
    rate the server accepted, recovering by ``recovery`` (fraction per second) once no 429 has
    arrived for ``calm`` seconds, and unthrottled again after ``quiet_period``.

    The accepted rate is measured as successes since the pace last changed (or since the first
    success), over at least ``min_interval`` seconds so that a server's initial burst allowance
    does not look like its sustained rate. The pace is lowered at most once per ``min_interval``.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        min_interval: float = 0.2,
        headroom: float = 0.95,
        recovery: float = 0.1,
        calm: float = 1.0,
        quiet_period: float = 30.0,
        max_pause: float = 60.0,
    ) -> None:
        self._max_pause = max_pause
        self._clock = clock
        self._sleep = sleep
        self._min_interval = min_interval
        self._headroom = headroom
        self._recovery = recovery
        self._calm = calm
        self._quiet_period = quiet_period
        self._accepted = 0
        self._mark: float | None = None  # start of the current measurement
        self._pause_until = -float("inf")
        self._last_limited = -float("inf")
        self._last_growth = 0.0
        self._pacer: TokenBucket | None = None

    @property
    def rate(self) -> float | None:
        """Requests per second currently allowed, or None when unthrottled."""
        return self._pacer.rate if self._pacer else None

    @property
    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self._clock())

    @property
    def idle(self) -> bool:
        """True when :meth:`acquire` returns at once (no pace set, no pause running)."""
        return self._pacer is None and self._pause_until <= self._clock()

    async def acquire(self) -> None:
        wait = self._pause_until - self._clock()
        if wait > 0:
            await self._sleep(wait)
        if self._pacer is not None:
            await self._pacer.acquire()

    def on_success(self) -> None:
        now = self._clock()
        if self._mark is None:
            self._mark = now
        self._accepted += 1
        pacer = self._pacer
        if pacer is None or now - self._last_limited < self._calm:
            return
        if now - self._last_limited > self._quiet_period:
            self._pacer = None  # a long quiet spell: stop pacing altogether
            return
        elapsed = now - self._last_growth
        if elapsed >= 0.1:
            self._last_growth = now
            pacer.set_rate(pacer.rate * (1.0 + self._recovery * elapsed))

    def on_rate_limited(self, retry_after: float | None, fallback_delay: float) -> None:
        """Record a 429: pause every sender, and lower the pace to what the server accepted."""
        now = self._clock()
        self._last_limited = now
        pause = retry_after or fallback_delay
        if not pause <= self._max_pause:  # clamped where the throttle is told (NaN included)
            pause = self._max_pause
        self._pause_until = max(self._pause_until, now + pause)
        mark = now if self._mark is None else self._mark
        span = now - mark
        current = self.rate
        if current is not None and span < self._min_interval:
            return
        accepted = self._accepted / max(span, self._min_interval)
        if accepted >= 1.0:
            target = accepted * self._headroom
            if current is not None:
                target = min(target, current * self._headroom)
        elif current is not None:
            target = current / 2
        else:
            target = 1.0
        self._set_rate(max(target, 0.5), now)
        self._accepted = 0
        self._mark = now

    def _set_rate(self, rate: float, now: float) -> None:
        if self._pacer is None:
            self._pacer = TokenBucket(rate, burst=1, clock=self._clock, sleep=self._sleep)
        else:
            # The same bucket: keeps the schedule, and slots given back by cancelled waiters.
            self._pacer.set_rate(rate)
        self._last_growth = now


class PreviousThrottle:
    """:class:`PreviousLaw` behind the hooks the request loop calls today."""

    def __init__(self) -> None:
        self.law = PreviousLaw()

    @property
    def idle(self) -> bool:
        return self.law.idle

    async def acquire(self, method: str = "GET") -> None:
        await self.law.acquire()

    def release(self) -> None:
        pass

    def on_success(self, headers: Mapping[str, str] | None = None) -> None:
        self.law.on_success()

    def on_rate_limited(
        self, retry_after: float | None, fallback_delay: float, *, concurrent: int | None = None
    ) -> None:
        self.law.on_rate_limited(retry_after, fallback_delay)


class AimdPacer:
    """A bare AIMD pacer: nothing until the first 429, then a rate pacer (a ``TokenBucket`` of
    burst 1) starting at ``initial`` requests/s that grows by ``increase`` requests/s per second
    and halves on a 429 (at most once per ``min_interval``). No pause, no notion of the kind of
    limit, no use of ``Retry-After`` beyond the rejected request's own wait."""

    def __init__(
        self,
        *,
        initial: float = 10.0,
        increase: float = 100.0,
        decrease: float = 0.5,
        min_interval: float = 0.1,
        clock: Clock = time.monotonic,
    ) -> None:
        self.initial, self.increase, self.decrease = initial, increase, decrease
        self.min_interval = min_interval
        self.clock = clock
        self.bucket: TokenBucket | None = None
        self.last_cut = -float("inf")
        self.last_growth = 0.0

    @property
    def idle(self) -> bool:
        return self.bucket is None

    async def acquire(self, method: str = "GET") -> None:
        if self.bucket is not None:
            await self.bucket.acquire()

    def release(self) -> None:
        pass

    def on_success(self, headers: Mapping[str, str] | None = None) -> None:
        bucket = self.bucket
        if bucket is None:
            return
        now = self.clock()
        elapsed = now - self.last_growth
        if elapsed >= 0.01:
            self.last_growth = now
            bucket.set_rate(bucket.rate + self.increase * elapsed)

    def on_rate_limited(
        self, retry_after: float | None, fallback_delay: float, *, concurrent: int | None = None
    ) -> None:
        now = self.clock()
        if self.bucket is None:
            self.bucket = TokenBucket(self.initial, burst=1, clock=self.clock)
        elif now - self.last_cut >= self.min_interval:
            self.bucket.set_rate(max(1.0, self.bucket.rate * self.decrease))
        else:
            return
        self.last_cut = self.last_growth = now
