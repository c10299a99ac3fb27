"""Fetching signed storage URLs: the credential-free half of a media download.

Requests go through the transport's storage session only (own connector, no default headers,
no cookies, no credentials), carry only ``Accept-Encoding: identity``, ``Range`` and
``If-Range`` (the object's own ETag or Last-Modified, as storage sent them), and follow
at most three storage redirects by hand, each checked by :func:`check_target`:

* absolute http(s) only, and no userinfo in the URL;
* plain http only when the client's own ``base_url`` is http (a local emulator);
* never from https to http.

Signed URLs are never logged or put into exceptions (their query string is the credential):
log lines and messages name the storage host at most. Storage error statuses become
``APIStatusError`` subclasses carrying the status, the host and S3's error ``<Code>``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urljoin, urlsplit

import aiohttp
from yarl import URL

from .._constants import MAX_STORAGE_REDIRECTS
from .._logging import logger
from .._response import decimal_value
from .._tracing import Telemetry
from ..errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    UnexpectedRedirectError,
    status_error_class,
)

if TYPE_CHECKING:
    from .._request import Requester

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_S3_CODE = re.compile(rb"<Code>([A-Za-z]{1,64})</Code>")
# Codes with which S3 refuses a signed URL that has run out; a fresh URL from /Media fixes them.
_EXPIRED_CODES = frozenset({"ExpiredToken", "TokenRefreshRequired", "AccessDenied"})

# -- target rules --------------------------------------------------------------------------


def host_of(url: str) -> str:
    """The host (and port) of a URL, the only part of a signed URL that may be shown."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


def check_target(url: str, *, allow_http: bool, previous: str | None = None) -> None:
    """Refuse a storage URL that is not absolute http(s), carries userinfo, or downgrades.

    ``previous`` is the URL of the hop that redirected here, if any: from https, http is never
    allowed. ``allow_http`` is true only when the client's ``base_url`` is itself http.
    """
    try:
        parts = urlsplit(url)
        has_userinfo = parts.username is not None or parts.password is not None
        hostname = parts.hostname
        valid = True
    except ValueError:
        valid = False
    if not valid:
        raise_detached(UnexpectedRedirectError("the media redirect target is not a valid URL"))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not hostname:
        raise UnexpectedRedirectError(
            f"refusing a media redirect to a {scheme or 'relative'!s} URL: only absolute "
            "http(s) storage URLs are followed"
        )
    if has_userinfo:
        raise UnexpectedRedirectError(
            f"refusing a media redirect to {hostname}: the URL carries user credentials"
        )
    if scheme == "http":
        if previous is not None and urlsplit(previous).scheme.lower() == "https":
            raise UnexpectedRedirectError(
                f"refusing a storage redirect from https to plain http ({hostname})"
            )
        if not allow_http:
            raise UnexpectedRedirectError(
                f"refusing to fetch media over plain http from {hostname}: storage must be "
                "https unless the client's base_url is itself http (a local emulator)"
            )


# -- storage -------------------------------------------------------------------------------


class StorageResponse:
    """An open storage response. Release it with :meth:`close` (or ``async with``)."""

    def __init__(self, response: aiohttp.ClientResponse, host: str) -> None:
        self._response = response
        self.host = host
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        # Counts bytes read when the client traces (set by open_storage); never sees the URL.
        self.telemetry: Telemetry | None = None

    async def __aenter__(self) -> StorageResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def content_length(self) -> int | None:
        return decimal_value(self.headers.get("Content-Length"))

    async def read_chunk(self, size: int) -> bytes:  # noqa: RET503 - raise_detached never returns
        """Up to ``size`` bytes (``b""`` at the end); network failures become APIErrors."""
        try:
            chunk = await self._response.content.read(size)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = _body_error(exc, self.host)
        else:
            if self.telemetry is not None:
                self.telemetry.downloaded(len(chunk))
            return chunk
        raise_detached(error)

    async def read_any(self) -> bytes:  # noqa: RET503 - raise_detached never returns
        """The next network chunk as aiohttp buffered it (``b""`` at the end).

        No copy and no split: one buffered chunk is handed over as it is. (``readany()`` joins
        every chunk buffered at the moment into one new bytes object, which cost about 0.2 ms
        per MiB in copies on loopback; ``readchunk()`` hands them over one at a time.) The size
        is bounded by aiohttp's read buffer, which pauses the socket when full.
        """
        content = self._response.content
        try:
            while True:
                chunk, http_chunk_end = await content.readchunk()
                # An empty answer that ends an HTTP chunk is not the end of the body.
                if chunk or not http_chunk_end:
                    break
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = _body_error(exc, self.host)
        else:
            if self.telemetry is not None:
                self.telemetry.downloaded(len(chunk))
            return chunk
        raise_detached(error)

    def close(self) -> None:
        # A fully read body returns its connection to the pool; anything else closes it.
        if self._response.content.is_eof():
            self._response.release()
        else:
            self._response.close()


async def open_storage(
    requester: Requester,
    url: str,
    *,
    start: int = 0,
    if_range: str | None = None,
    allow_http: bool,
    read_timeout: float | None = None,
    max_redirects: int = MAX_STORAGE_REDIRECTS,
) -> StorageResponse:
    """GET a signed storage URL with the credential-free session and check the status.

    Only ``Accept-Encoding: identity`` (so bytes and ``Content-Length`` are what storage holds),
    ``Range`` and, with it, ``If-Range`` (a changed object is then sent whole: a 200) are sent;
    never the client's headers, ``extra_headers`` or cookies.
    """
    transport = requester.transport
    session = transport.storage_session()
    headers = {"Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
        if if_range:
            headers["If-Range"] = if_range
    extra: dict[str, Any] = {}
    if read_timeout is not None:
        # The client's connect limit stays; only the wait for bytes changes.
        extra["timeout"] = transport.storage_timeout(read_timeout)
    previous: str | None = None
    for _hop in range(max_redirects + 1):
        check_target(url, allow_http=allow_http, previous=previous)
        host = host_of(url)
        response = None
        try:
            response = await session.get(
                # encoded=True: the signature covers the query exactly as issued.
                URL(url, encoded=True),
                headers=headers,
                allow_redirects=False,
                proxy=requester.proxy,
                **extra,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            error = _connect_error(exc, host)
        if response is None:
            raise_detached(error)
        status = response.status
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("storage GET %s -> %d (range from %d)", host, status, start)
        if status in _REDIRECT_STATUSES and response.headers.get("Location"):
            location = response.headers["Location"]
            response.close()
            previous, url = url, urljoin(url, location)
            continue
        if status >= 300:
            try:
                status_error = await _status_error(response, host)
            finally:
                response.close()
            raise_detached(status_error)
        storage = StorageResponse(response, host)
        storage.telemetry = requester.telemetry
        return storage
    raise UnexpectedRedirectError(
        f"storage redirected more than {max_redirects} times (last host {host_of(url)})"
    )


async def _status_error(response: aiohttp.ClientResponse, host: str) -> APIError:
    """An APIStatusError for a storage error status, naming the S3 error code if there is one.

    Only the ``<Code>`` token is taken from the body: S3 error bodies can echo the signed
    request (``<CanonicalRequest>``, ``<StringToSign>``), which must not end up in a message.
    """
    status = response.status
    code = None
    try:
        head = await asyncio.wait_for(response.content.read(4096), 5)
        match = _S3_CODE.search(head)
        code = match.group(1).decode() if match else None
    except (aiohttp.ClientError, asyncio.TimeoutError):
        pass
    detail = f" ({code})" if code else ""
    hint = ""
    if status in (400, 401, 403) and (code is None or code in _EXPIRED_CODES):
        hint = "; a signed URL is valid only for its Ttl, a fresh one comes from /Media"
    return status_error_class(status)(
        f"the storage host {host} answered HTTP {status}{detail}{hint}",
        method="GET",
        status=status,
        request_id=response.headers.get("x-amz-request-id"),
        # Only the S3 error code: the rest of the body may echo the signed request.
        body={"Code": code} if code else None,
    )


def is_retryable(error: APIError) -> bool:
    """Whether another attempt may succeed: a connection failure, a 5xx, 429, 408 or an
    expired signed URL (a fresh one comes from ``/Media``)."""
    if isinstance(error, APIConnectionError | InternalServerError | RateLimitError):
        return True
    return error.status == 408 or is_expired_url_error(error)


def is_expired_url_error(error: APIError) -> bool:
    """Whether a storage error means the signed URL must be fetched again from /Media."""
    code = error.body.get("Code") if isinstance(error.body, dict) else None
    if error.status in (401, 403):
        return True
    return error.status == 400 and code in _EXPIRED_CODES


def raise_detached(error: APIError) -> NoReturn:
    """Raise ``error`` with no cause and no context: an aiohttp exception chained to it could
    hold the signed URL in its repr. (Raising outside the ``except`` block is not enough:
    Python 3.10 can still attach an exception from an awaited coroutine as the context.)"""
    try:
        raise error
    finally:
        error.__context__ = None


def _connect_error(exc: BaseException, host: str) -> APIConnectionError:
    # The aiohttp exception is not chained: its repr can include the signed URL.
    if isinstance(exc, asyncio.TimeoutError):
        return APITimeoutError(f"timed out waiting for the storage host {host}", method="GET")
    return APIConnectionError(
        f"{type(exc).__name__} while connecting to the storage host {host}", method="GET"
    )


def _body_error(exc: BaseException, host: str) -> APIConnectionError:
    if isinstance(exc, asyncio.TimeoutError):
        return APITimeoutError(
            f"the storage host {host} sent nothing within the read timeout", method="GET"
        )
    return APIConnectionError(
        f"{type(exc).__name__} while reading media from the storage host {host}", method="GET"
    )
