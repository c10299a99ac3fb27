"""Ownership of the aiohttp sessions: the core module that imports aiohttp.

Two sessions, never mixed up:

* the **API session** talks to ``video.twilio.com`` (or ``base_url``). Credentials are attached
  per request by the request layer, never at session level, and redirects are never followed;
* the **storage session** fetches signed media URLs from the storage host. It has its own
  connector and no default headers, cookies or credentials, so nothing of the API session can
  leak to a third-party host, even when the user supplies their own API session.

Sessions are created lazily, on the running loop: aiohttp requires one, and a client may be
built at import time. A session belongs to the loop it was created on, and so does the
transport's :class:`~twvideo_async._deadline.Sweeper`, which checks the per-call deadlines and,
on both sessions' own connections, the read-gap limit (see :func:`_swept_protocol`).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from ._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_DNS_TTL,
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_MEDIA_READ_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
)
from ._deadline import Sweeper, Watch
from ._tracing import exclude_storage_session
from .errors import ConfigurationError

_WRONG_LOOP = (
    "This VideoClient's connection pool was opened on another event loop{detail}. "
    "asyncio.run() starts a new loop every time: use `async with client:` (or "
    "`await client.aclose()`) inside each run so the pool is reopened on the new loop, or "
    "build the client inside the coroutine you run."
)


CLOSED = (
    "This VideoClient is closed: aclose() (or the end of `async with`) closed its connection "
    "pool. Build a new client, or use `async with client:` to open it again."
)
CLOSED_IN_FLIGHT = "the VideoClient was closed (aclose()) while this call was in flight"


def _no_hidden_retry(session: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's own silent retry of an idempotent request on a reused pooled
    connection that turns out closed (aiohttp >= 3.10): retries are the SDK's policy alone, so
    ``max_retries=0`` means exactly one request on the wire. aiohttp has no public switch; its
    own test client sets this attribute the same way."""
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False


class _ReadGap(Watch):
    """The read-gap limit of one connection: expiring raises aiohttp's own read timeout."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any) -> None:
        super().__init__()
        self.protocol = protocol

    def expire(self) -> None:
        self.protocol._on_read_timeout()


def _swept_protocol() -> type[Any] | None:
    """aiohttp's connection protocol with its read-gap timer moved onto the :class:`Sweeper`.

    aiohttp bounds each wait for bytes (``sock_read``) with a loop timer it cancels and
    re-creates on every chunk received. Every start, re-arm and stop of that timer goes
    through two private methods of ``ResponseHandler`` (``_reschedule_timeout`` and
    ``_drop_timeout``; 3.13 and 3.14 alike) and the expiry through ``_on_read_timeout``: this
    subclass keeps those semantics (same limit, same ``ServerTimeoutError``, stopped while
    reading is paused) with the sweeper's set instead of a timer per chunk. None when aiohttp's
    protocol no longer looks like that: the connector then keeps aiohttp's own timer."""
    try:
        from aiohttp.client_proto import ResponseHandler
    except ImportError:  # pragma: no cover - present in every supported aiohttp
        return None
    hooks = ("_reschedule_timeout", "_drop_timeout", "_on_read_timeout", "start_timeout")
    if not all(callable(getattr(ResponseHandler, name, None)) for name in hooks):
        return None  # pragma: no cover - a future aiohttp
    if not isinstance(getattr(ResponseHandler, "read_timeout", None), property):
        return None  # pragma: no cover - a future aiohttp

    class SweptResponseHandler(ResponseHandler):
        def __init__(self, loop: asyncio.AbstractEventLoop, sweeper: Sweeper) -> None:
            super().__init__(loop)
            self._twvideo_sweeper = sweeper
            self._twvideo_gap = _ReadGap(self)

        def _reschedule_timeout(self) -> None:
            timeout = self._read_timeout
            if timeout:
                self._twvideo_sweeper.watch(self._twvideo_gap, time.monotonic() + timeout)
            else:
                self._twvideo_sweeper.unwatch(self._twvideo_gap)

        def _drop_timeout(self) -> None:
            self._twvideo_sweeper.unwatch(self._twvideo_gap)

    return SweptResponseHandler


_SWEPT_PROTOCOL = _swept_protocol()


def sweep_read_gaps(connector: aiohttp.BaseConnector, sweeper: Sweeper) -> bool:
    """Give ``connector``'s new connections the swept read-gap protocol; False (and aiohttp's
    own timer kept) when the connector does not build plain ``ResponseHandler``s."""
    factory = getattr(connector, "_factory", None)
    if _SWEPT_PROTOCOL is None or not isinstance(factory, functools.partial):
        return False  # pragma: no cover - a future aiohttp
    if factory.func is not _SWEPT_PROTOCOL.__mro__[1] or factory.args:
        return False  # pragma: no cover - a future aiohttp
    protocol: Any = _SWEPT_PROTOCOL
    connector._factory = functools.partial(protocol, loop=factory.keywords["loop"], sweeper=sweeper)
    return True


class Transport:
    """Lazily created aiohttp sessions bound to one event loop at a time."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        trust_env: bool = False,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        if trace_configs is not None:
            trace_configs = list(trace_configs)
            if not all(isinstance(c, aiohttp.TraceConfig) for c in trace_configs):
                raise ConfigurationError("trace_configs must be aiohttp.TraceConfig objects")
            if session is not None:
                raise ConfigurationError(
                    "trace_configs apply to the session the client creates: add them to the "
                    "aiohttp.ClientSession you pass instead"
                )
        # The API session's only: the storage session never runs a user's trace hooks (they
        # would see every signed storage URL).
        self._trace_configs = trace_configs
        self._user_session = session
        self._connection_limit = connection_limit
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._trust_env = trust_env
        self._api: aiohttp.ClientSession | None = None
        self._storage: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: Sweeper | None = None
        self.read_gaps_swept = False  # whether the API session's read gaps use the sweeper
        self.storage_gaps_swept = False  # the same for the storage session
        self.closed = False  # set by aclose(); a closed transport opens no session again

    @property
    def session_timeout(self) -> tuple[float, float] | None:
        """``(connect, read)`` limits built into the API session; None for a user's session."""
        if self._user_session is not None:
            return None
        return self._connect_timeout, self._read_timeout

    @property
    def owns_open_sessions(self) -> bool:
        """True while a session this transport created is still open."""
        return any(s is not None and not s.closed for s in (self._api, self._storage))

    def _bind(self) -> Sweeper:
        loop = asyncio.get_running_loop()
        sweeper = self._sweeper
        if self._loop is loop and sweeper is not None:
            return sweeper
        if self._loop is not None and self.owns_open_sessions:
            detail = " that has since been closed" if self._loop.is_closed() else ""
            raise ConfigurationError(_WRONG_LOOP.format(detail=detail))
        user = self._user_session
        if user is not None:
            user_loop = getattr(user, "_loop", loop)
            if user_loop is not loop:
                raise ConfigurationError(
                    "The aiohttp.ClientSession given to VideoClient belongs to another event loop; "
                    "create it on the loop that makes the requests."
                )
        self._loop = loop
        if sweeper is not None:
            sweeper.close()
        sweeper = self._sweeper = Sweeper(loop)
        return sweeper

    def sweeper(self) -> Sweeper:
        """The time limits of the running loop (deadlines, read gaps)."""
        return self._bind()

    def api_session(self) -> aiohttp.ClientSession:
        """The session for Twilio API requests (the user's, if one was given)."""
        if self.closed:
            raise ConfigurationError(CLOSED)
        sweeper = self._bind()
        if self._user_session is not None:
            if self._user_session.closed:
                raise ConfigurationError("The aiohttp.ClientSession given to VideoClient is closed")
            _no_hidden_retry(self._user_session)
            return self._user_session
        session = self._api
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit,
                ttl_dns_cache=DEFAULT_DNS_TTL,
                keepalive_timeout=DEFAULT_KEEPALIVE_TIMEOUT,
            )
            self.read_gaps_swept = sweep_read_gaps(connector, sweeper)
            session = self._api = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                # The request layer enforces the per-call deadline; aiohttp's own total must not
                # end a call early or leave an ambiguous bare TimeoutError.
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self._connect_timeout, sock_read=self._read_timeout
                ),
                trust_env=self._trust_env,
                trace_configs=self._trace_configs,
            )
            _no_hidden_retry(session)
        return session

    def storage_session(self) -> aiohttp.ClientSession:
        """The credential-free session for signed storage URLs (own pool, no decompression)."""
        if self.closed:
            raise ConfigurationError(CLOSED)
        sweeper = self._bind()
        session = self._storage
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit,
                ttl_dns_cache=DEFAULT_DNS_TTL,
                keepalive_timeout=DEFAULT_KEEPALIVE_TIMEOUT,
            )
            # A media body arrives in many chunks (about five per MiB on loopback, more over a
            # real network): aiohttp would cancel and re-create its read-gap timer for each.
            self.storage_gaps_swept = sweep_read_gaps(connector, sweeper)
            session = self._storage = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                timeout=self.storage_timeout(DEFAULT_MEDIA_READ_TIMEOUT),
                trust_env=self._trust_env,
            )
            # Generic aiohttp instrumentation would export every signed URL: take it out.
            exclude_storage_session(session)
            _no_hidden_retry(session)
        return session

    def storage_timeout(self, read_timeout: float) -> aiohttp.ClientTimeout:
        """Storage limits: no total (a media body may take hours), the client's connect limit,
        and ``read_timeout`` for each wait for bytes."""
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self._connect_timeout, sock_read=read_timeout
        )

    def reopen(self) -> None:
        """Allow sessions again after :meth:`aclose` (``async with client:``)."""
        self.closed = False

    async def aclose(self) -> None:
        """Close the sessions this transport created (never the user's) and refuse new ones
        until :meth:`reopen`. Idempotent."""
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop() and self.owns_open_sessions:
            raise ConfigurationError(_WRONG_LOOP.format(detail=""))
        self.closed = True
        sessions = [s for s in (self._api, self._storage) if s is not None]
        self._api = self._storage = None
        self._loop = None
        if self._sweeper is not None:
            self._sweeper.close()
        for session in sessions:
            await session.close()
