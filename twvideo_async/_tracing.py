"""OpenTelemetry spans and metrics, opt-in (``VideoClient(tracing=True)``, the ``otel`` extra).

Nothing here imports ``opentelemetry`` until a client turns tracing on: with it off, the request
layer checks one attribute (``Requester.telemetry is None``) and does nothing else.

What a traced call exports:

- one INTERNAL span per SDK call, ``twvideo {METHOD} {url.template}``, covering its retries and
  waits; client-side waits (throttle after a 429, token buckets, concurrency cap) and retry
  delays are its events (``twvideo.rate_limit.wait``, ``twvideo.retry``);
- one CLIENT span per attempt, ``{METHOD} {url.template}``, with the stable HTTP client
  semantic-convention attributes: ``http.request.method``, ``server.address``, ``server.port``,
  ``url.full`` (scheme, host, port and path: never a query, a fragment or credentials),
  ``url.template``, ``http.response.status_code``, ``error.type`` and
  ``http.request.resend_count``;
- metrics: ``http.client.request.duration`` (s, per attempt), ``twvideo.client.rate_limit.wait``
  (s spent paused by the client-side limits), ``twvideo.media.downloaded`` (bytes read from
  storage) and ``twvideo.archive.items`` (archive items by outcome).

Signed storage URLs are never traced here (downloads are counted in bytes only), and
:func:`exclude_storage_session` takes the storage session out of generic aiohttp
instrumentation, whose URL redaction misses the ``X-Amz-*`` signature parameters.
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ._version import __version__
from .errors import ConfigurationError

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Telemetry", "archive_item", "exclude_storage_session", "make_telemetry"]

T = TypeVar("T")

_SCOPE = "twvideo_async"
_INSTRUMENTATION = "opentelemetry.instrumentation.aiohttp_client"
_MISSING = (
    "tracing needs the OpenTelemetry API: pip install 'twvideo_async[otel]' "
    "(opentelemetry-api), plus an SDK or distro that exports the spans"
)


class _Call:
    """The state of one traced SDK call: how many attempts it has sent so far."""

    __slots__ = ("attempts",)

    def __init__(self) -> None:
        self.attempts = 0


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "twvideo_async_traced_call", default=None
)


def _url_full(url: str) -> tuple[str, str, int]:
    """``url.full`` without query, fragment or userinfo; ``server.address``; ``server.port``."""
    parts = urlsplit(url)
    scheme = parts.scheme
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if parts.port is None else f"{shown}:{parts.port}"
    return f"{scheme}://{netloc}{parts.path}", host, port


class Telemetry:
    """The tracer, the meter and the instruments of one client (and its copies)."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            raise ConfigurationError(_MISSING) from None
        self._trace = trace
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP requests"
        )
        self._waits = meter.create_histogram(
            "twvideo.client.rate_limit.wait",
            unit="s",
            description="Time a call was paused by the client-side limits before an attempt",
        )
        self._downloaded = meter.create_counter(
            "twvideo.media.downloaded", unit="By", description="Bytes of media read from storage"
        )
        self._archive_items = meter.create_counter(
            "twvideo.archive.items", unit="{item}", description="Archive items by outcome"
        )
        self._internal = trace.SpanKind.INTERNAL
        self._client = trace.SpanKind.CLIENT
        self._error = trace.StatusCode.ERROR

    # -- the logical call ----------------------------------------------------------------------

    async def call(self, method: str, template: str, origin: str, run: Awaitable[T]) -> T:
        """Run one SDK call (``run``: the request loop) inside its INTERNAL span."""
        _, host, port = _url_full(origin)
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.template": template,
            "server.address": host,
            "server.port": port,
        }
        token = _CALL.set(_Call())
        try:
            with self._tracer.start_as_current_span(
                f"twvideo {method} {template}",
                kind=self._internal,
                attributes=attributes,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    result = await run
                except BaseException as exc:
                    self._failed(span, exc)
                    raise
                status = getattr(result, "status", None)
                if isinstance(status, int):
                    span.set_attribute("http.response.status_code", status)
                return result
        finally:
            _CALL.reset(token)

    def _failed(self, span: Any, exc: BaseException) -> None:
        status = getattr(exc, "status", None)
        if isinstance(status, int):
            span.set_attribute("http.response.status_code", status)
        # A class name only: messages stay out of telemetry (they are credential-free, but
        # nothing needs them there and a backend keeps them far longer than logs).
        name = type(exc).__qualname__
        span.set_attribute("error.type", name)
        span.set_status(self._error, name)

    def waited(self, seconds: float) -> None:
        """Time spent waiting for the client-side limits before an attempt."""
        if seconds < 0.001:
            return
        self._waits.record(seconds)
        self._trace.get_current_span().add_event(
            "twvideo.rate_limit.wait", {"twvideo.wait.seconds": seconds}
        )

    def retrying(self, delay: float, reason: str, attempt: int) -> None:
        """A retry is about to sleep ``delay`` seconds (``Retry-After`` for a 429)."""
        self._trace.get_current_span().add_event(
            "twvideo.retry",
            {
                "twvideo.retry.delay": delay,
                "twvideo.retry.reason": reason,
                "twvideo.retry.attempt": attempt,
            },
        )

    # -- one attempt ---------------------------------------------------------------------------

    async def attempt(
        self,
        method: str,
        template: str,
        url: object,
        sending: Awaitable[tuple[int, Mapping[str, str], bytes]],
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Await ``sending`` (one HTTP exchange) inside its CLIENT span, timing it."""
        call = _CALL.get()
        resend = 0
        if call is not None:
            resend = call.attempts
            call.attempts += 1
        full, host, port = _url_full(str(url))
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "server.address": host,
            "server.port": port,
            "url.full": full,
            "url.template": template,
        }
        if resend:
            attributes["http.request.resend_count"] = resend
        metric = {
            k: attributes[k] for k in ("http.request.method", "server.address", "server.port")
        }
        metric["url.template"] = template
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            f"{method} {template}",
            kind=self._client,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                status, headers, body = await sending
            except BaseException as exc:
                name = type(exc).__qualname__
                span.set_attribute("error.type", name)
                span.set_status(self._error, name)
                metric["error.type"] = name
                self._duration.record(time.perf_counter() - started, metric)
                raise
            span.set_attribute("http.response.status_code", status)
            metric["http.response.status_code"] = status
            if status >= 400:
                span.set_attribute("error.type", str(status))
                span.set_status(self._error)
                metric["error.type"] = str(status)
            self._duration.record(time.perf_counter() - started, metric)
            return status, headers, body

    # -- media and archive ---------------------------------------------------------------------

    def downloaded(self, count: int) -> None:
        self._downloaded.add(count)

    def archive_item(self, outcome: str) -> None:
        self._archive_items.add(1, {"twvideo.archive.outcome": outcome})


def archive_item(client: object, outcome: str) -> None:
    """Count one archive item's outcome, when ``client`` (a VideoClient) traces."""
    telemetry = getattr(getattr(client, "_requester", None), "telemetry", None)
    if telemetry is not None:
        telemetry.archive_item(outcome)


def make_telemetry(tracing: bool, tracer_provider: Any, meter_provider: Any) -> Telemetry | None:
    """A :class:`Telemetry` when tracing is on (``tracing=True`` or a provider given)."""
    if not (tracing or tracer_provider is not None or meter_provider is not None):
        return None
    return Telemetry(tracer_provider, meter_provider)


def exclude_storage_session(session: aiohttp.ClientSession) -> None:
    """Take ``session`` out of ``opentelemetry-instrumentation-aiohttp-client``.

    That instrumentation adds its trace config to every ``ClientSession`` created once it is
    instrumented, and exports each request's URL; its redaction list misses ``X-Amz-Signature``,
    ``X-Amz-Credential`` and ``X-Amz-Security-Token``, so a signed storage URL would reach the
    trace backend in full. A session can only be instrumented once that module is imported,
    so the check costs a dictionary lookup when it is not.
    """
    module = sys.modules.get(_INSTRUMENTATION)
    instrumentor = getattr(module, "AioHttpClientInstrumentor", None)
    if instrumentor is not None:
        instrumentor.uninstrument_session(session)
