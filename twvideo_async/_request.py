"""The request loop: limit, send, classify, retry. Every API call goes through
:meth:`Requester.request`.

Credentials are attached here, per request, from a header built once; redirects are never
followed (``allow_redirects=False``): a JSON endpoint that answers 3xx raises, and ``/Media``
callers ask for the redirect itself and follow it without credentials (see ``_media``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
import attrs
import yarl

from ._body import read_body, read_is_bounded
from ._constants import DEFAULT_MAX_RESPONSE_SIZE, REQUEST_ID_HEADER
from ._deadline import CallDeadline
from ._encoding import Pairs, encode_form, encode_query
from ._failures import connection_error, status_error
from ._logging import logger
from ._options import NO_OPTIONS, RequestOptions, Timeout
from ._ratelimit import Limits
from ._response import APIResponse
from ._retry import Failure, RetryPolicy, backoff_delay
from ._tracing import Telemetry
from ._transport import CLOSED, CLOSED_IN_FLIGHT, Transport
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    ConfigurationError,
    UnexpectedRedirectError,
)

# Failures after which an earlier attempt may have been carried out by Twilio.
_MAYBE_CARRIED_OUT = frozenset({Failure.SERVER_ERROR, Failure.TIMEOUT, Failure.DISCONNECTED})
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# No per-request aiohttp arguments. A dict, never written to: only ever unpacked (``**``), and
# unpacking a plain dict is the interpreter's fast path (a mappingproxy's is not).
_NO_EXTRA: dict[str, Any] = {}
_URL_CACHE_SIZE = 256  # distinct request targets kept parsed (then the cache starts over)


class Request(NamedTuple):
    """One logical API call. ``path`` is already encoded; ``path_template`` is what gets logged.

    Immutable. A named tuple rather than a frozen attrs class: one is built per call, and the
    resource layer's hot path builds it with ``tuple.__new__(Request, (...))`` in field order
    (about 1k instructions; a frozen attrs ``__init__`` with keywords costs about 13k on
    CPython 3.11). Everything else builds it with keywords, as before.
    """

    method: str
    path_template: str
    path: str = ""
    url: str | None = None  # absolute URL (next pages); its origin was checked by the caller
    query: Pairs | None = None
    form: Pairs | None = None
    idempotent: bool = False
    expect_redirect: bool = False
    options: RequestOptions = NO_OPTIONS


def _meta(req: Request, retries_taken: int) -> dict[str, Any]:
    """What every error of an attempt carries (built only when one is raised)."""
    return {"method": req.method, "path": req.path_template, "retries_taken": retries_taken}


class Requester:
    """Sends requests for one client configuration. Copies made by ``with_options`` share the
    transport and the limits, so the connection pool and the 429 slow-down are client-wide."""

    def __init__(
        self,
        *,
        transport: Transport,
        limits: Limits,
        origin: str,
        headers: Mapping[str, str],
        timeout: Timeout,
        policy: RetryPolicy,
        proxy: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        telemetry: Telemetry | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self.transport = transport
        self.max_response_size = max_response_size
        self.limits = limits
        self.origin = origin
        # Policy fixed with the configuration: storage may be plain http only when the API
        # itself is (a local emulator); see _media.storage.check_target.
        self.storage_allows_http = urlsplit(origin).scheme == "http"
        self.headers = dict(headers)
        self.timeout = timeout
        self.policy = policy
        self.proxy = proxy
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        # OpenTelemetry, opt-in (_tracing): None costs one attribute check per call.
        self.telemetry = telemetry
        self._form_headers = {**self.headers, "Content-Type": _FORM_CONTENT_TYPE}
        # The last (Timeout, Transport) whose limits were found to be the session's: see _send.
        self._timeout_match: Timeout | None = None
        self._timeout_match_transport: Transport | None = None

    @property
    def origin(self) -> str:
        return self._origin_text

    @origin.setter
    def origin(self, value: str) -> None:
        self._origin_text = value
        # Normalised once (IDNA host, escapes); paths and queries are appended already encoded.
        self._origin = str(yarl.URL(value))
        self._urls: dict[str, yarl.URL] = {}

    def url_for(self, req: Request) -> yarl.URL:
        """The URL exactly as it goes on the wire: ``encoded=True`` stops yarl from re-quoting
        (it would turn ``a%3Bb`` back into ``a;b``). A page URL from the server is sent
        verbatim; its origin and characters were checked by the pagination layer."""
        if req.url is not None:
            return yarl.URL(req.url, encoded=True)
        target = self._origin + req.path
        if req.query:
            target += "?" + encode_query(req.query)
        # Parsed once per distinct target: the same room or page is often asked for again,
        # and yarl's parse is a fifth of what raw aiohttp spends on a whole call.
        urls = self._urls
        url = urls.get(target)
        if url is None:
            if len(urls) >= _URL_CACHE_SIZE:
                urls.clear()
            url = urls[target] = yarl.URL(target, encoded=True)
        return url

    def request(self, req: Request) -> Coroutine[Any, Any, APIResponse]:
        """The call as a coroutine to await (not a coroutine function: one layer fewer on
        every resume of every call when telemetry is off)."""
        telemetry = self.telemetry
        if telemetry is not None:
            return telemetry.call(req.method, req.path_template, self._origin, self._request(req))
        return self._request(req)

    async def _request(self, req: Request) -> APIResponse:
        opts = req.options
        timeout = opts.timeout or self.timeout
        policy = self.policy
        if opts.max_retries is not None:
            policy = attrs.evolve(policy, max_retries=opts.max_retries)
        headers = self._form_headers if req.form is not None else self.headers
        if opts.extra_headers:
            headers = {**headers, **opts.extra_headers}
        data = encode_form(req.form) if req.form is not None else None
        url = self.url_for(req)
        if self.transport.closed:
            raise ConfigurationError(CLOSED)
        clock = self.clock
        started = clock()
        deadline = None if timeout.total is None else started + timeout.total
        retries = rate_limit_retries = 0
        # A DELETE whose answer was lost may have been carried out: its retry's 404 means done.
        maybe_done = False
        while True:
            attempt = retries + rate_limit_retries + 1
            outcome = await self._attempt(
                req,
                url,
                headers,
                data,
                timeout,
                deadline,
                attempt,
                retries + rate_limit_retries,
                accept_404=maybe_done and req.method == "DELETE",
            )
            if isinstance(outcome, APIResponse):
                return outcome
            error, failure = outcome
            decision = policy.decide(
                failure,
                idempotent=req.idempotent or req.method in ("GET", "DELETE"),
                retries_taken=retries,
                rate_limit_retries_taken=rate_limit_retries,
                retry_after=error.retry_after,
                rng=self.rng,
            )
            if failure is Failure.RATE_LIMITED:
                # A Retry-After above the cap is not waited for by this call, so it must not
                # pause every other caller either: they get the ordinary backoff pause.
                pause = error.retry_after
                if pause is not None and not pause <= policy.max_retry_after:
                    pause = None
                self.limits.throttle.on_rate_limited(
                    pause,
                    backoff_delay(rate_limit_retries, self.rng),
                    concurrent=getattr(error, "concurrent_requests", None),
                )
            if decision.delay is None:
                raise error
            if deadline is not None and clock() + decision.delay >= deadline:
                raise error
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "retrying %s %s in %.2fs (attempt %d, reason=%s, request_id=%s)",
                    req.method,
                    req.path_template,
                    decision.delay,
                    attempt + 1,
                    decision.reason,
                    error.request_id,
                )
            if failure is Failure.RATE_LIMITED:
                rate_limit_retries += 1
            else:
                retries += 1
            if self.telemetry is not None:
                self.telemetry.retrying(decision.delay, str(decision.reason), attempt + 1)
            maybe_done = maybe_done or failure in _MAYBE_CARRIED_OUT
            await self.sleep(decision.delay)

    async def _attempt(
        self,
        req: Request,
        url: yarl.URL,
        headers: Mapping[str, str],
        data: bytes | None,
        timeout: Timeout,
        deadline: float | None,
        attempt: int,
        retries_taken: int,
        *,
        accept_404: bool = False,
    ) -> APIResponse | tuple[APIError, Failure]:
        """One try: the response on success, else the error and how it failed."""
        clock = self.clock
        remaining = None if deadline is None else deadline - clock()
        if remaining is not None and remaining <= 0:
            raise APITimeoutError(
                "the call ran out of time before it could be sent", **_meta(req, retries_taken)
            )
        limits = self.limits
        telemetry = self.telemetry
        semaphore = None
        # The common call has nothing to wait for: its turn is taken without a coroutine.
        # (Telemetry records only waits of a millisecond or more, so it misses nothing.)
        if not limits.try_turn():
            semaphore = limits.semaphore()
            try:
                if remaining is not None and limits.may_wait(req.method, semaphore):
                    # The wait is bounded by the call's deadline through the loop's sweeper, as
                    # the exchange is: asyncio.wait_for would cost each waiting call a task and
                    # a timer.
                    limit = CallDeadline()
                    sweeper = self.transport.sweeper()
                    sweeper.watch_for(limit, remaining)
                    try:
                        await self._wait_turn(req.method, semaphore)
                    except asyncio.CancelledError:
                        if limit.timed_out():
                            raise asyncio.TimeoutError from None
                        raise
                    finally:
                        sweeper.unwatch(limit)
                elif semaphore is None and telemetry is None:
                    # What _wait_turn does with no semaphore and no telemetry, one coroutine
                    # fewer.
                    await limits.wait_turn(req.method)
                else:
                    await self._wait_turn(req.method, semaphore)
            except asyncio.TimeoutError:
                raise APITimeoutError(
                    "timed out waiting for the client-side rate limiter or concurrency cap",
                    **_meta(req, retries_taken),
                ) from None
        start = clock()
        try:
            if self.transport.closed:  # closed while this call waited or slept
                raise APIConnectionError(CLOSED_IN_FLIGHT, **_meta(req, retries_taken))
            sending = self._send(req, url, headers, data, timeout, deadline)
            if telemetry is not None:
                sending = telemetry.attempt(req.method, req.path_template, url, sending)
            status, resp_headers, body = await sending
        except aiohttp.ClientError as exc:
            meta = _meta(req, retries_taken)
            if self.transport.closed:  # aclose() ended the request: never retried
                raise APIConnectionError(CLOSED_IN_FLIGHT, **meta) from None
            return connection_error(exc, meta, attempt, self.clock() - start)
        except APIResponseValidationError as exc:  # a body past max_response_size: no retry
            exc.method, exc.path, exc.retries_taken = req.method, req.path_template, retries_taken
            raise
        except asyncio.TimeoutError as exc:
            # aiohttp's own timeouts are ClientErrors (above): this is the call's deadline.
            raise APITimeoutError(
                f"the call did not finish within its {timeout.total:g}s timeout",
                **_meta(req, retries_taken),
            ) from exc
        finally:
            if semaphore is not None:
                semaphore.release()
            limits.throttle.release()
        elapsed = clock() - start
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d (request_id=%s, attempt %d, %.1f ms)",
                req.method,
                req.path_template,
                status,
                resp_headers.get(REQUEST_ID_HEADER),
                attempt,
                elapsed * 1000,
            )
        if status < 300 or (req.expect_redirect and status < 400) or (accept_404 and status == 404):
            limits.throttle.on_success(resp_headers)
            # Positional, in the order of APIResponse.__init__: keywords to a class call
            # cost a dict on every call.
            return APIResponse(
                status, resp_headers, body, req.method, req.path_template, retries_taken, elapsed
            )
        meta = _meta(req, retries_taken)
        request_id = resp_headers.get(REQUEST_ID_HEADER)
        if status < 400:
            return (
                UnexpectedRedirectError(
                    f"the endpoint answered a {status} redirect; redirects are never followed "
                    "with credentials",
                    status=status,
                    request_id=request_id,
                    **meta,
                ),
                Failure.CLIENT_ERROR,
            )
        return status_error(status, resp_headers, body, meta, request_id)

    async def _wait_turn(self, method: str, semaphore: asyncio.Semaphore | None) -> None:
        telemetry = self.telemetry
        waiting = 0.0 if telemetry is None else time.perf_counter()
        if semaphore is not None:
            await semaphore.acquire()
        try:
            await self.limits.wait_turn(method)
        except BaseException:
            if semaphore is not None:
                semaphore.release()
            raise
        if telemetry is not None:
            telemetry.waited(time.perf_counter() - waiting)

    async def _send(
        self,
        req: Request,
        url: yarl.URL,
        headers: Mapping[str, str],
        data: bytes | None,
        timeout: Timeout,
        deadline: float | None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One HTTP exchange, body read within ``max_response_size``. ``TimeoutError`` when
        the call's deadline (retries and waits included) ends it."""
        transport = self.transport
        session = transport.api_session()
        # The session already carries this client's connect/read limits; a per-request
        # ClientTimeout costs a timer per request, so it is only passed when they differ.
        # (A transport's limits are fixed when it is made and a Timeout is frozen, so the
        # last pair found to match needs no second look.)
        extra: dict[str, Any] = _NO_EXTRA
        if timeout is not self._timeout_match or transport is not self._timeout_match_transport:
            if transport.session_timeout == (timeout.connect, timeout.read):
                self._timeout_match, self._timeout_match_transport = timeout, transport
            else:
                extra = {
                    "timeout": aiohttp.ClientTimeout(
                        total=None, sock_connect=timeout.connect, sock_read=timeout.read
                    )
                }
        limit = None
        if deadline is not None:
            # Checked by the loop's sweeper (_deadline): no timer of its own per call.
            limit = CallDeadline()
            sweeper = transport.sweeper()
            sweeper.watch_for(limit, max(deadline - self.clock(), 0.001))
        try:
            async with session.request(
                req.method,
                url,
                data=data,
                headers=headers,
                allow_redirects=False,
                proxy=self.proxy,
                **extra,
            ) as resp:
                try:
                    if read_is_bounded(resp, self.max_response_size):
                        body = await resp.read()
                    else:
                        body = await read_body(resp, self.max_response_size)
                except APIResponseValidationError as exc:
                    exc.status, exc.request_id = resp.status, resp.headers.get(REQUEST_ID_HEADER)
                    raise
                answer = resp.status, resp.headers, body
        except asyncio.CancelledError:
            if limit is not None and limit.timed_out():
                raise asyncio.TimeoutError from None
            raise
        finally:
            if limit is not None:
                sweeper.unwatch(limit)
        if limit is not None and limit.expired:
            # The deadline passed as the answer came in and something below swallowed its
            # cancellation: the answer stands; the task's cancel count is put back.
            limit.timed_out()
        return answer
