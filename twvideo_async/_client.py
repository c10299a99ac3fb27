"""``VideoClient``: configuration, lifecycle, and the resources hanging off it."""

from __future__ import annotations

import asyncio
import os
import random
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs

from ._checks import check_header_value, check_headers
from ._config import resolve_base_url, resolve_credentials, resolve_insights_url, user_agent
from ._constants import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RATE_LIMIT_RETRIES,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TOTAL_TIMEOUT,
)
from ._options import Timeout
from ._ratelimit import Limits, RateLimiter, SharedThrottle
from ._request import Requester
from ._retry import RetryPolicy, check_max_retries
from ._tracing import make_telemetry
from ._transport import Transport
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .resources import (
        CompositionHooks,
        Compositions,
        CompositionSettingsResource,
        Insights,
        Recordings,
        RecordingSettingsResource,
        Rooms,
    )


class VideoClient:
    """Async client for the Twilio Programmable Video REST API.

    Build it anywhere (no event loop needed); the connection pool opens on first use, on the
    running loop. Use ``async with VideoClient(...) as client:`` or ``await client.aclose()``.

    Credentials come from the arguments or the environment (``TWILIO_API_KEY_SID`` /
    ``TWILIO_API_KEY_SECRET``, or ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``).
    ``timeout`` is the budget for a whole call including retries (a number of seconds, or a
    :class:`Timeout`). ``max_retries`` retries errors that are safe to repeat; 429s are retried
    separately up to ``max_rate_limit_retries`` and slow the whole client down.
    ``read_rate``/``write_rate`` (requests per second, e.g. Twilio's default 80/20) and
    ``max_concurrency`` limit the client before Twilio has to; ``rate_limiter`` plugs in any
    object with ``async def acquire()``. ``throttle`` replaces the client's own adaptive
    throttle with one shared by many processes (a :class:`RedisThrottle`: one rate limit for the
    whole account; the client does not close it). A ``session`` you pass is used for API calls
    and never closed by the client; media downloads always use a separate, credential-free session.

    ``client.insights`` (Video Insights summaries) talks to ``https://insights.twilio.com``,
    rewritten for ``edge``/``region`` like the API host; when ``base_url`` is not a
    ``*.twilio.com`` host (an emulator, a proxy) that base URL serves Insights too, and
    ``insights_base_url`` sets it explicitly.

    ``tracing=True`` (or a ``tracer_provider``/``meter_provider``) turns on OpenTelemetry spans
    and metrics (the ``otel`` extra; the global providers unless given). ``trace_configs``
    passes aiohttp ``TraceConfig`` objects to the API session only, never the storage one.

    ``max_response_size`` (bytes, default 32 MiB) bounds an API response body after
    decompression: a larger one (a gzip bomb, an endless body) raises
    ``APIResponseValidationError`` instead of filling memory. Media downloads are streamed
    and not affected.
    """

    def __init__(
        self,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        base_url: str | None = None,
        insights_base_url: str | None = None,
        edge: str | None = None,
        region: str | None = None,
        timeout: Timeout | float = DEFAULT_TOTAL_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_rate_limit_retries: int = DEFAULT_MAX_RATE_LIMIT_RETRIES,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        retry_policy: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        read_rate: float | None = None,
        write_rate: float | None = None,
        rate_limiter: RateLimiter | None = None,
        throttle: SharedThrottle | None = None,
        user_agent_extension: str | None = None,
        session: aiohttp.ClientSession | None = None,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        proxy: str | None = None,
        trust_env: bool = False,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        tracing: bool = False,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        if (
            isinstance(max_response_size, bool)
            or not isinstance(max_response_size, int)
            or max_response_size < 1
        ):
            raise ConfigurationError(
                f"max_response_size must be a number of bytes >= 1, got {max_response_size!r}"
            )
        env = os.environ if environ is None else environ
        self._credentials = resolve_credentials(
            api_key_sid, api_key_secret, account_sid, auth_token, env
        )
        self.account_sid = account_sid or env.get("TWILIO_ACCOUNT_SID")
        edge = edge or env.get("TWILIO_EDGE")
        region = region or env.get("TWILIO_REGION")
        self.base_url = resolve_base_url(base_url, edge, region)
        self.insights_base_url = resolve_insights_url(
            insights_base_url, self.base_url, edge, region
        )
        if retry_policy is None:
            retry_policy = RetryPolicy(
                max_retries=check_max_retries(max_retries),
                max_rate_limit_retries=max_rate_limit_retries,
                max_retry_after=max_retry_after,
            )
        if rate_limiter is not None and not isinstance(rate_limiter, RateLimiter):
            raise ConfigurationError("rate_limiter must have an `async def acquire(self)` method")
        if throttle is not None and not isinstance(throttle, SharedThrottle):
            raise ConfigurationError(
                "throttle must be a shared throttle such as RedisThrottle (acquire, release, "
                "on_success, on_rate_limited)"
            )
        if user_agent_extension is not None:
            check_header_value(
                "user_agent_extension", user_agent_extension, error=ConfigurationError
            )
        headers = {
            "Authorization": self._credentials.authorization,
            "User-Agent": user_agent(user_agent_extension),
            "Accept": "application/json",
        }
        limits = Timeout.coerce(timeout)
        self._transport = Transport(
            session=session,
            connection_limit=connection_limit,
            trust_env=trust_env,
            connect_timeout=limits.connect,
            read_timeout=limits.read,
            trace_configs=trace_configs,
        )
        self._owns_transport = True
        self._requester = Requester(
            transport=self._transport,
            limits=Limits(
                max_concurrency=max_concurrency,
                read_rate=read_rate,
                write_rate=write_rate,
                rate_limiter=rate_limiter,
                shared=throttle,
                clock=clock,
                sleep=sleep,
                max_pause=retry_policy.max_retry_after,
            ),
            origin=self.base_url,
            headers=headers,
            timeout=limits,
            policy=retry_policy,
            proxy=proxy,
            clock=clock,
            sleep=sleep,
            rng=rng,
            telemetry=make_telemetry(tracing, tracer_provider, meter_provider),
            max_response_size=max_response_size,
        )
        self._insights_requester = _on_origin(self._requester, self.insights_base_url)

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> VideoClient:
        if self._owns_transport:
            self._transport.reopen()  # `async with` on a closed client opens it again
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent.

        Calls in flight end with ``APIConnectionError`` (never retried on a new pool); a call
        made after ``aclose()`` raises ``ConfigurationError`` and opens nothing, and
        ``is_closed`` stays true. ``async with client:`` opens a closed client again (a worker
        that calls ``asyncio.run()`` repeatedly does that in each run). Copies made with
        :meth:`with_options` share the pool of the client they came from; only that original
        client closes it.
        """
        if self._owns_transport:
            await self._transport.aclose()

    @property
    def is_closed(self) -> bool:
        """True before the pool first opens and after :meth:`aclose`."""
        return self._transport.closed or not self._transport.owns_open_sessions

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if getattr(self, "_owns_transport", False) and transport and transport.owns_open_sessions:
            warnings.warn(
                "Unclosed VideoClient: use `async with VideoClient(...)` "
                "or `await client.aclose()`",
                ResourceWarning,
                stacklevel=1,
                source=self,
            )

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> VideoClient:
        """A copy with other defaults that shares this client's connection pool and limits."""
        clone = object.__new__(type(self))
        # Cached resources hold a reference to their client: the copy builds its own.
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _RESOURCE_NAMES})
        clone._owns_transport = False
        base = self._requester
        policy = retry_policy or base.policy
        if max_retries is not None:
            policy = attrs.evolve(policy, max_retries=check_max_retries(max_retries))
        headers = dict(base.headers)
        checked = check_headers(extra_headers, error=ConfigurationError)
        if checked:
            headers.update(checked)
        clone._requester = Requester(
            transport=base.transport,
            limits=base.limits,
            origin=base.origin,
            headers=headers,
            timeout=base.timeout if timeout is None else Timeout.coerce(timeout),
            policy=policy,
            proxy=base.proxy,
            clock=base.clock,
            sleep=base.sleep,
            rng=base.rng,
            telemetry=base.telemetry,
            max_response_size=base.max_response_size,
        )
        clone._insights_requester = _on_origin(clone._requester, self._insights_requester.origin)
        return clone

    def __repr__(self) -> str:
        return (
            f"VideoClient(base_url={self.base_url!r}, "
            f"username={self._credentials.username!r}, "
            f"max_retries={self._requester.policy.max_retries})"
        )

    # -- resources (imported lazily: `import twvideo_async` stays cheap) ---------------------

    @cached_property
    def rooms(self) -> Rooms:
        """Rooms, and through a room its participants, tracks, rules, recordings and
        transcriptions."""
        from .resources import Rooms

        return Rooms(self._requester)

    @cached_property
    def recordings(self) -> Recordings:
        from .resources import Recordings

        return Recordings(self._requester)

    @cached_property
    def compositions(self) -> Compositions:
        from .resources import Compositions

        return Compositions(self._requester)

    @cached_property
    def composition_hooks(self) -> CompositionHooks:
        from .resources import CompositionHooks

        return CompositionHooks(self._requester)

    @cached_property
    def composition_settings(self) -> CompositionSettingsResource:
        from .resources import CompositionSettingsResource

        return CompositionSettingsResource(self._requester)

    @cached_property
    def recording_settings(self) -> RecordingSettingsResource:
        from .resources import RecordingSettingsResource

        return RecordingSettingsResource(self._requester)

    @cached_property
    def insights(self) -> Insights:
        """Video Insights (Log Analyzer): room and participant summaries, on the Insights
        origin (``insights_base_url``)."""
        from .resources import Insights

        return Insights(self._insights_requester)


def _on_origin(requester: Requester, origin: str) -> Requester:
    """A requester like ``requester`` for another origin: same transport and limits (one
    connection pool, one 429 slow-down), headers, timeouts and retry policy."""
    return Requester(
        transport=requester.transport,
        limits=requester.limits,
        origin=origin,
        headers=requester.headers,
        timeout=requester.timeout,
        policy=requester.policy,
        proxy=requester.proxy,
        clock=requester.clock,
        sleep=requester.sleep,
        rng=requester.rng,
        telemetry=requester.telemetry,
        max_response_size=requester.max_response_size,
    )


# The cached resource properties: a copy made by with_options() builds its own, bound to it.
_RESOURCE_NAMES = frozenset(
    name for name, value in vars(VideoClient).items() if isinstance(value, cached_property)
)
