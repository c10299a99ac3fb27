"""Client-side rate limiting: a pluggable limiter protocol, token buckets, and the limits a
request waits for.

Twilio signals its per-account concurrency limit with HTTP 429 / error 20429 and documents
default quotas of 80 reads/s and 20 writes/s for Video. One caller backing off alone does not help
when a hundred others keep sending, so an :class:`AdaptiveThrottle` (``_throttle``) is shared by
every request of a client (and its ``with_options`` copies) and slows the whole client down in
the way the kind of limit calls for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

from ._checks import check_rate
from ._constants import DEFAULT_MAX_RETRY_AFTER
from ._throttle import AdaptiveThrottle
from .errors import ConfigurationError

__all__ = ["AdaptiveThrottle", "Limits", "RateLimiter", "SharedThrottle", "TokenBucket"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything with ``async def acquire(self) -> None`` that returns when a request may go.

    ``aiolimiter.AsyncLimiter`` fits as-is.
    """

    async def acquire(self) -> None: ...


@runtime_checkable
class SharedThrottle(Protocol):
    """A client-wide throttle kept outside the process (``RedisThrottle``): the request loop
    calls ``acquire(method)`` before a request, ``release()`` when that attempt has ended
    (whatever the outcome), then ``on_success(headers)`` after a success or
    ``on_rate_limited(retry_after, fallback_delay, concurrent=...)`` after a 429 (``concurrent``:
    the answer's ``Twilio-Concurrent-Requests``)."""

    @property
    def idle(self) -> bool: ...

    async def acquire(self, method: str = "GET") -> None: ...

    def release(self) -> None: ...

    def on_success(self, headers: Mapping[str, str] | None = None) -> None: ...

    def on_rate_limited(
        self, retry_after: float | None, fallback_delay: float, *, concurrent: int | None = None
    ) -> None: ...


class TokenBucket:
    """A token bucket allowing ``rate`` requests per second with bursts of ``burst``.

    Implemented as a virtual schedule (GCRA): each caller reserves the next slot and sleeps
    until it, so waiters are served in arrival order without a lock or a background task. A
    caller cancelled while it sleeps (its call timed out, or was cancelled) gives its slot back,
    so mass timeouts do not leave the schedule far in the future for the callers that follow.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        checked = check_rate("rate", rate)
        if checked is None:
            raise ConfigurationError("rate must be a number of requests per second > 0")
        burst = max(1, round(checked)) if burst is None else burst
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ConfigurationError(f"burst must be an integer >= 1, got {burst!r}")
        self.rate = checked
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._interval = 1.0 / self.rate
        self._tat = -float("inf")  # theoretical arrival time of the next request

    def reserve(self) -> float:
        """Take a slot now; return how long the caller must wait before using it."""
        now = self._clock()
        tat = max(self._tat, now)
        wait = tat - (self.burst - 1) * self._interval - now
        self._tat = tat + self._interval
        return max(0.0, wait)

    def release(self) -> None:
        """Give back a slot taken by :meth:`reserve` that will not be used."""
        self._tat = max(self._tat - self._interval, self._clock())

    def set_rate(self, rate: float) -> None:
        """Change the pace, keeping the schedule (a new pace grants no immediate burst)."""
        self.rate = float(rate)
        self._interval = 1.0 / self.rate

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            try:
                await self._sleep(wait)
            except BaseException:
                # Timed out or cancelled before the slot came: nobody will send in it.
                self.release()
                raise

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst})"


_READ_METHODS = frozenset({"GET", "HEAD"})


class Limits:
    """Everything that can hold a request back: the concurrency cap, the read/write token
    buckets, a user limiter and the adaptive throttle. Shared by a client and its copies."""

    def __init__(
        self,
        *,
        max_concurrency: int | None,
        read_rate: float | None,
        write_rate: float | None,
        rate_limiter: RateLimiter | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        shared: SharedThrottle | None = None,
        max_pause: float = DEFAULT_MAX_RETRY_AFTER,
    ) -> None:
        if max_concurrency is not None and (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or max_concurrency < 1
        ):
            raise ConfigurationError(
                f"max_concurrency must be an integer >= 1, got {max_concurrency!r}"
            )
        self.max_concurrency = max_concurrency
        # Checked, not truthiness-tested: 0 used to mean "unlimited" silently.
        read_rate = check_rate("read_rate", read_rate)
        write_rate = check_rate("write_rate", write_rate)
        self.read = None if read_rate is None else TokenBucket(read_rate, clock=clock, sleep=sleep)
        self.write = (
            None if write_rate is None else TokenBucket(write_rate, clock=clock, sleep=sleep)
        )
        self.custom = rate_limiter
        # A shared throttle replaces the per-process one (the request loop reports to either).
        self.shared = shared
        own: AdaptiveThrottle | None = None
        self.throttle: AdaptiveThrottle | SharedThrottle
        if shared is None:
            own = self.throttle = AdaptiveThrottle(clock=clock, sleep=sleep, max_pause=max_pause)
        else:
            self.throttle = shared
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        # Only the client's own throttle can hold a request back: try_turn may take the turn.
        alone = max_concurrency is None and read_rate is None and write_rate is None
        self._only_throttle = own if alone and rate_limiter is None else None

    def semaphore(self) -> asyncio.Semaphore | None:
        if self.max_concurrency is None:
            return None
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
            self._semaphore_loop = loop
        return self._semaphore

    def may_wait(self, method: str, semaphore: asyncio.Semaphore | None) -> bool:
        """Whether :meth:`wait_turn` (or the semaphore) could make a caller wait right now."""
        if semaphore is not None and semaphore.locked():
            return True
        bucket = self.read if method in _READ_METHODS else self.write
        return bucket is not None or self.custom is not None or not self.throttle.idle

    def try_turn(self) -> bool:
        """Take the turn at once when only the client's own throttle could hold a request back
        and it lets this one go now: True when taken (the caller then owes the throttle one
        ``release()``, as after :meth:`wait_turn`); False means wait in :meth:`wait_turn`.
        The common call so skips two coroutines."""
        throttle = self._only_throttle
        return throttle is not None and throttle.try_acquire()

    async def wait_turn(self, method: str) -> None:
        """Wait for the throttle, the method's token bucket and any user limiter. Once this
        returns, the caller owes the throttle one ``release()`` when its attempt ends."""
        if self.shared is not None:
            await self.shared.acquire(method)
        else:
            await self.throttle.acquire()
        try:
            bucket = self.read if method in _READ_METHODS else self.write
            if bucket is not None:
                await bucket.acquire()
            if self.custom is not None:
                await self.custom.acquire()
        except BaseException:
            self.throttle.release()  # timed out or cancelled before sending: not in flight
            raise
