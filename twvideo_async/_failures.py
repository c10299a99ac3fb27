"""What went wrong with one attempt, as an ``errors.*`` exception and a ``_retry.Failure``.

The request loop asks these after an answer with an error status, or after aiohttp raised:
the exception to raise (never with aiohttp objects attached) and the kind of failure the retry
policy decides on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from ._logging import logger
from ._response import APIResponse, decimal_value
from ._retry import Failure, classify_status, parse_retry_after
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitError,
    describe_error_body,
    status_error_class,
)


def status_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    meta: dict[str, Any],
    request_id: str | None,
) -> tuple[APIError, Failure]:
    """An answer with an error status: Twilio's message, code and ``more_info`` from the body
    when it is JSON, and ``Retry-After`` when the failure may be retried."""
    parsed: Any = None
    if body:
        try:
            parsed = APIResponse(
                status=status, headers=headers, content=body, elapsed=0.0, **meta
            ).json()
        except APIError:
            parsed = None
    message, code, more_info = describe_error_body(parsed, status)
    failure = classify_status(status) or Failure.CLIENT_ERROR
    retry_after = parse_retry_after(headers) if failure is not Failure.CLIENT_ERROR else None
    error = status_error_class(status)(
        message,
        status=status,
        code=code,
        more_info=more_info,
        request_id=request_id,
        retry_after=retry_after,
        body=parsed,
        **meta,
    )
    if isinstance(error, RateLimitError):  # how Twilio counts the account's requests
        error.concurrent_requests = decimal_value(headers.get("Twilio-Concurrent-Requests"))
    return error, failure


def connection_error(
    exc: aiohttp.ClientError, meta: dict[str, Any], attempt: int, elapsed: float
) -> tuple[APIError, Failure]:
    """An exchange aiohttp could not complete: whether it may have been sent, and the error."""
    # Order matters: certificate and SSL errors subclass ClientConnectorError, and
    # ClientConnectorError subclasses ClientOSError.
    kind = type(exc).__name__
    if isinstance(exc, aiohttp.ClientSSLError | aiohttp.InvalidURL):
        failure, cls = Failure.CLIENT_ERROR, APIConnectionError
    elif isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        failure, cls = Failure.NOT_SENT, APIConnectionError
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        failure, cls = Failure.TIMEOUT, APITimeoutError
    else:
        failure, cls = Failure.DISCONNECTED, APIConnectionError
    if failure is Failure.NOT_SENT and isinstance(exc, aiohttp.ConnectionTimeoutError):
        cls = APITimeoutError
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s failed: %s (attempt %d, %.1f ms)",
            meta["method"],
            meta["path"],
            kind,
            attempt,
            elapsed * 1000,
        )
    detail = kind
    if isinstance(exc, aiohttp.ClientConnectorError):
        detail = f"{kind}: cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror})"
    # The aiohttp exception is not chained: its repr may include request headers.
    return cls(f"{detail} while talking to Twilio", **meta), failure
