"""One rate limit for a whole Twilio account, shared through Redis by every process and machine.

Twilio's limits are per account: N workers that each throttle alone overshoot N-fold. A
:class:`RedisThrottle` keeps the adaptive throttle's state (the shared pause after a 429, the
pace the server accepts, optional fixed read/write quotas) in one Redis hash per account key
and changes it only in Lua scripts, so every step is atomic and timed by Redis's own clock
(``redis.call('TIME')``): worker clocks need not agree.

One round trip per request: :meth:`acquire` reserves a slot and, in the same script, reports
the successes counted locally since the last call and learns the shared pause. A 429 is
reported in the background (the caller that saw it also pauses this process at once). A
caller whose slot turns out to fall inside a pause that began after it reserved (another
worker's 429) does not send: it waits for the pause and reserves again, so the slots handed
out before a 429 do not become a wave of 429s.

If Redis cannot be reached, the throttle falls back to per-process limits (an
:class:`AdaptiveThrottle` and, for the quotas, this worker's share of them), logs one WARNING,
and tries Redis again with a growing backoff. A run never fails because Redis went away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yarl

from ._constants import DEFAULT_MAX_RETRY_AFTER
from ._logging import logger
from ._ratelimit import AdaptiveThrottle, TokenBucket
from ._redis_scripts import RATE_LIMITED, RELEASE, RESERVE
from .errors import ConfigurationError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisThrottle"]

_READ_METHODS = frozenset({"GET", "HEAD"})
_RETRY_MIN = 0.5  # seconds before Redis is tried again after it failed; doubles up to _RETRY_MAX
_RETRY_MAX = 30.0
_KEY_TTL_MS = 3_600_000  # an account's hash disappears an hour after its last use
# Pause ends learned from Redis carry the round trip's jitter: a later end by less than this
# is the same pause, and a slot this close to its end is not inside it.
_PAUSE_SLACK = 0.01


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe for reprs, logs and errors)."""
    try:
        parsed = yarl.URL(url)
    except (TypeError, ValueError):
        return "<unparsable Redis URL>"
    if parsed.password is None:
        return str(parsed)
    return str(parsed.with_password("***"))


def _check_rate(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a number of requests per second > 0")
    if value == float("inf"):
        raise ConfigurationError(f"{name} must be finite")
    return float(value)


class RedisThrottle:
    """The client's throttle, shared through Redis by every worker using the same ``key``.

    Pass it to ``VideoClient(throttle=...)``; ``with_options`` copies share it. Build it with
    :meth:`from_url` (``redis://[:password@]host:port/db``) or around a ``redis.asyncio.Redis``
    you own (then :meth:`aclose` leaves it open). ``key`` names the account (its SID): workers
    with the same key share one limit. ``read_rate``/``write_rate`` are optional fixed quotas
    for the whole account (Twilio's defaults are 80/20 per second). ``workers`` is how many
    workers share the account: on the fallback each keeps ``1/workers`` of the quotas.
    ``max_pause`` caps the pause one ``Retry-After`` can impose (keep it equal to the client's
    ``max_retry_after``).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        key: str,
        read_rate: float | None = None,
        write_rate: float | None = None,
        workers: int = 1,
        max_pause: float = DEFAULT_MAX_RETRY_AFTER,
        url: str | None = None,
        owns_connection: bool = False,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise ConfigurationError("key must be a non-empty string (the account SID)")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigurationError(f"workers must be an integer >= 1, got {workers!r}")
        if isinstance(max_pause, bool) or not isinstance(max_pause, (int, float)):
            raise ConfigurationError("max_pause must be a number of seconds")
        if not 0 < max_pause < float("inf"):
            raise ConfigurationError("max_pause must be a number of seconds > 0")
        self.key = key
        self.read_rate = _check_rate("read_rate", read_rate)
        self.write_rate = _check_rate("write_rate", write_rate)
        self.workers = workers
        self.max_pause = float(max_pause)
        self._redis = redis
        self._owns_connection = owns_connection
        self._url = "<redis client>" if url is None else redact_url(url)
        self._hash = f"twvideo:throttle:{key}"
        self._reserve = redis.register_script(RESERVE)
        self._limited = redis.register_script(RATE_LIMITED)
        self._release = redis.register_script(RELEASE)
        self._successes = 0  # counted locally, reported with the next reservation
        self._local_pause_until = 0.0  # time.monotonic(): the pause this process knows of
        self._pause_epoch = 0  # grows whenever that pause is extended
        self._tasks: set[asyncio.Task[None]] = set()
        # 429 reports reach Redis in the order they were seen (the first ends the cycle and
        # carries the successes counted before it).
        self._report_lock: asyncio.Lock | None = None
        self._report_loop: asyncio.AbstractEventLoop | None = None
        # The fallback: per-process limits at this worker's share of the quotas.
        self._fallback = AdaptiveThrottle()
        self._fallback_held = 0  # requests the fallback let through, not yet released
        share = 1.0 / workers
        self._fallback_read = (
            None if self.read_rate is None else TokenBucket(self.read_rate * share)
        )
        self._fallback_write = (
            None if self.write_rate is None else TokenBucket(self.write_rate * share)
        )
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._retry_delay = _RETRY_MIN

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key: str,
        read_rate: float | None = None,
        write_rate: float | None = None,
        workers: int = 1,
        max_pause: float = DEFAULT_MAX_RETRY_AFTER,
        socket_timeout: float = 2.0,
    ) -> RedisThrottle:
        """A throttle on its own connection pool to ``url`` (closed by :meth:`aclose`).

        Needs the ``redis`` extra (``pip install "twvideo-async[redis]"``). No connection is made
        until the first request.
        """
        try:
            from redis.asyncio import Redis
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise ConfigurationError(
                'RedisThrottle needs redis-py: pip install "twvideo-async[redis]"'
            ) from exc
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                f"the Redis URL must start with redis://, rediss:// or unix://, got "
                f"{redact_url(url) if isinstance(url, str) else type(url).__name__}"
            )
        try:
            client = Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry_on_timeout=False,
            )
        except ValueError:
            # redis-py's message may quote the URL: say what is wrong without it.
            raise ConfigurationError(f"invalid Redis URL {redact_url(url)}") from None
        return cls(
            client,
            key=key,
            read_rate=read_rate,
            write_rate=write_rate,
            workers=workers,
            max_pause=max_pause,
            url=url,
            owns_connection=True,
        )

    def __repr__(self) -> str:
        state = "fallback" if self.on_fallback else "shared"
        return f"RedisThrottle({self._url}, key={self.key!r}, {state})"

    @property
    def on_fallback(self) -> bool:
        """True while Redis is unreachable and per-process limits apply."""
        return self._down_since is not None

    @property
    def idle(self) -> bool:
        # A shared limit can always make a caller wait (another worker's 429 pauses us).
        return False

    # -- the throttle interface the request loop calls --------------------------------------

    async def acquire(self, method: str = "GET") -> None:
        """Wait until a request may go: the shared pause, the shared pace and the quotas."""
        while True:
            # A pause this process knows of: wait it out before asking Redis (which knows it).
            pause = self._local_pause_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            reserved = await self._reserve_slot(method)
            if reserved is None:
                await self._acquire_fallback(method)
                return
            wait, release = reserved
            if wait <= 0:
                return
            epoch = self._pause_epoch
            try:
                await asyncio.sleep(wait)
            except BaseException:
                # Cancelled or timed out before the slot came: give it back to the others.
                self._spawn(self._give_back(*release))
                raise
            if (
                epoch == self._pause_epoch
                or time.monotonic() >= self._local_pause_until - _PAUSE_SLACK
            ):
                return
            # A 429 paused everyone while this caller waited, and its slot falls inside the
            # pause: sending now would only draw another 429. Wait and reserve again (each
            # turn waits out a pause first, so this loop always moves on).

    async def reserve(self, method: str = "GET") -> float | None:
        """Take the next shared slot without waiting for it: the seconds until it comes, or
        None when Redis is unreachable (then the per-process fallback applies)."""
        reserved = await self._reserve_slot(method)
        return None if reserved is None else reserved[0]

    async def _reserve_slot(
        self, method: str
    ) -> tuple[float, tuple[str, float, float, float]] | None:
        if self._down_since is not None and time.monotonic() < self._retry_at:
            return None
        kind = "r" if method in _READ_METHODS else "w"
        quota = (self.read_rate if kind == "r" else self.write_rate) or 0.0
        successes, self._successes = self._successes, 0
        try:
            reply = await self._reserve(
                keys=[self._hash], args=[successes, kind, quota, _KEY_TTL_MS]
            )
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            self._went_down(exc)
            return None
        self._came_back()
        wait, pace_slot, quota_slot, paused = (float(x) for x in reply)
        if paused > 0:
            self._extend_pause(paused)
        return wait, (kind, pace_slot, quota_slot, quota)

    def release(self) -> None:
        """An attempt has ended: the fallback counts the requests it let through."""
        if self._fallback_held > 0:
            self._fallback_held -= 1
            self._fallback.release()

    def on_success(self, headers: Mapping[str, str] | None = None) -> None:
        self._successes += 1
        if self._down_since is not None:
            self._fallback.on_success(headers)

    def on_rate_limited(
        self, retry_after: float | None, fallback_delay: float, *, concurrent: int | None = None
    ) -> None:
        """Pause this process at once and tell every worker through Redis (in the background)."""
        pause = retry_after if retry_after is not None and retry_after > 0 else fallback_delay
        if not 0 <= pause <= self.max_pause:  # also catches NaN
            pause = self.max_pause
        self._extend_pause(pause)
        # The per-process fallback is told the clamped pause, never the server's raw value.
        self._fallback.on_rate_limited(
            None if retry_after is None else pause, pause, concurrent=concurrent
        )
        if self._down_since is None:
            explicit = -1.0 if retry_after is None else float(pause)
            # This process's successes so far belong to the cycle this 429 ends.
            successes, self._successes = self._successes, 0
            self._spawn(self._report_limited(explicit, float(pause), successes))

    async def aclose(self) -> None:
        """Wait for background reports, then close the connection pool if this throttle made it."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_connection:
            await self._redis.aclose()

    async def state(self) -> dict[str, str]:
        """The shared state as stored in Redis (for tests and diagnostics)."""
        raw: dict[Any, Any] = await self._redis.hgetall(self._hash)
        return {_text(k): _text(v) for k, v in raw.items()}

    # -- internals ---------------------------------------------------------------------------

    async def _acquire_fallback(self, method: str) -> None:
        await self._fallback.acquire()
        bucket = self._fallback_read if method in _READ_METHODS else self._fallback_write
        if bucket is not None:
            try:
                await bucket.acquire()
            except BaseException:
                self._fallback.release()
                raise
        self._fallback_held += 1

    def _extend_pause(self, seconds: float) -> None:
        """Pause this process for ``seconds`` from now (capped at ``max_pause``), unless a
        longer pause is already known."""
        until = time.monotonic() + min(seconds, self.max_pause)
        if until > self._local_pause_until + _PAUSE_SLACK:
            self._pause_epoch += 1
        self._local_pause_until = max(self._local_pause_until, until)

    async def _report_limited(self, retry_after: float, fallback: float, successes: int) -> None:
        loop = asyncio.get_running_loop()
        if self._report_lock is None or self._report_loop is not loop:
            self._report_lock, self._report_loop = asyncio.Lock(), loop
        try:
            async with self._report_lock:  # FIFO: one report at a time, in order
                await self._limited(
                    keys=[self._hash], args=[retry_after, fallback, self.max_pause, successes]
                )
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            self._went_down(exc)

    async def _give_back(
        self, kind: str, pace_slot: float, quota_slot: float, quota: float
    ) -> None:
        try:
            await self._release(keys=[self._hash], args=[kind, pace_slot, quota_slot, quota])
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            self._went_down(exc)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("shared rate limit report failed: %s", _describe(exc, self))

    def _went_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            self._retry_delay = _RETRY_MIN
            logger.warning(
                "Redis at %s is unreachable (%s): falling back to per-process rate limits "
                "(%s) until it answers again",
                self._url,
                _describe(exc, self),
                self._fallback_limits(),
            )
        else:
            self._retry_delay = min(self._retry_delay * 2, _RETRY_MAX)
        self._retry_at = now + self._retry_delay

    def _fallback_limits(self) -> str:
        """This worker's share of the quotas in numbers, for the WARNING."""
        named = (("reads", self._fallback_read), ("writes", self._fallback_write))
        rates = ", ".join(f"{b.rate:.3g}/s {n}" for n, b in named if b is not None)
        return f"1/{self.workers} of the quotas: {rates or 'no fixed quotas'}"

    def _came_back(self) -> None:
        if self._down_since is not None:
            logger.warning(
                "Redis at %s answers again after %.1fs: the shared rate limit is back",
                self._url,
                time.monotonic() - self._down_since,
            )
            self._down_since = None


def _is_connection_error(exc: BaseException) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError))


def _describe(exc: BaseException, throttle: RedisThrottle) -> str:
    """The error's type and message, with the URL's password taken out if it slipped in."""
    text = f"{type(exc).__name__}: {exc}"
    password = _password(throttle)
    return text.replace(password, "***") if password else text


def _password(throttle: RedisThrottle) -> str | None:
    kwargs = getattr(getattr(throttle._redis, "connection_pool", None), "connection_kwargs", {})
    password = kwargs.get("password") if isinstance(kwargs, dict) else None
    return password if isinstance(password, str) and password else None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
