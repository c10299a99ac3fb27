"""The exception hierarchy. Every failure the SDK raises is a :class:`TwilioVideoError`.

::

    TwilioVideoError
    ├── InvalidRequestError (also ValueError)   bad input, raised before any request is sent
    ├── ConfigurationError                      missing credentials, bad client options
    ├── IntegrityError                          a download did not match its size or checksum
    ├── MediaWriteError (also OSError)          a download could not be written to disk
    └── APIError                                something went wrong talking to Twilio
        ├── APIStatusError                      Twilio answered with an error status
        │   ├── BadRequestError         400
        │   ├── AuthenticationError     401
        │   ├── PermissionDeniedError   403
        │   ├── NotFoundError           404
        │   │   └── MediaNotReadyError  /Media before the media is ready
        │   ├── ConflictError           409
        │   ├── RateLimitError          429
        │   └── InternalServerError     >= 500
        ├── APIConnectionError                  the request failed on the network
        │   └── APITimeoutError
        ├── APIResponseValidationError          Twilio's answer did not match the expected shape
        └── UnexpectedRedirectError             a JSON endpoint answered 3xx (never followed)

Errors carry metadata only: method, path template, status, Twilio ``code``, ``message``,
``more_info``, ``request_id``, ``retry_after``, ``retries_taken`` and the parsed error ``body``.
They never hold aiohttp request objects (whose repr includes the ``Authorization`` header), URLs
with query strings, or credentials, and they pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "IntegrityError",
    "InternalServerError",
    "InvalidRequestError",
    "MediaNotReadyError",
    "MediaWriteError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "TwilioVideoError",
    "UnexpectedRedirectError",
]


class TwilioVideoError(Exception):
    """Base class of every exception raised by twvideo_async."""


class InvalidRequestError(TwilioVideoError, ValueError):
    """Bad input caught before any request was sent (malformed SID, unknown parameter, ...)."""


class ConfigurationError(TwilioVideoError):
    """The client cannot be built or used as configured (e.g. no credentials found)."""


class IntegrityError(TwilioVideoError):
    """Downloaded bytes did not match the expected length or checksum; nothing was kept."""


class MediaWriteError(TwilioVideoError, OSError):
    """A download could not be written (full disk, quota, file size limit, permissions).

    ``errno`` is the operating system's (``errno.ENOSPC``, ...) and ``filename`` the final path
    the download was for; the temporary file was removed and the final path left untouched.
    """


def _rebuild(cls: type[APIError], state: dict[str, Any]) -> APIError:
    err = cls.__new__(cls)
    Exception.__init__(err, state["message"])
    err.__dict__.update(state)
    return err


class APIError(TwilioVideoError):
    """A request to Twilio failed. Attributes are metadata only, safe to log."""

    message: str
    method: str | None
    path: str | None
    status: int | None
    code: int | None
    more_info: str | None
    request_id: str | None
    retry_after: float | None
    retries_taken: int
    body: Any

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        code: int | None = None,
        more_info: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        retries_taken: int = 0,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.more_info = more_info
        self.request_id = request_id
        self.retry_after = retry_after
        self.retries_taken = retries_taken
        self.body = body

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default Exception pickling.
        return (_rebuild, (type(self), dict(self.__dict__)))

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.method and self.path:
            parts.append(f"{self.method} {self.path}")
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        extra = []
        if self.code is not None:
            extra.append(f"code {self.code}")
        if self.request_id:
            extra.append(f"request {self.request_id}")
        if self.retry_after is not None:
            extra.append(f"retry after {self.retry_after:g}s")
        if self.retries_taken:
            extra.append(f"after {self.retries_taken} retries")
        if extra:
            text += f" ({', '.join(extra)})"
        if self.more_info:
            text += f" See {self.more_info}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"code={self.code!r}, method={self.method!r}, path={self.path!r}, "
            f"request_id={self.request_id!r})"
        )


class APIStatusError(APIError):
    """Twilio answered with a 4xx or 5xx status."""


class BadRequestError(APIStatusError):
    """HTTP 400: Twilio rejected the parameters (see ``code``, e.g. 20001 missing parameter)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the credentials were refused (wrong secret, or a key from another region)."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials may not access this resource."""


class NotFoundError(APIStatusError):
    """HTTP 404: no such resource (a completed room is not found by its unique name)."""


class MediaNotReadyError(NotFoundError):
    """HTTP 404 on ``/Media``: Twilio serves media only once the resource is ``completed``."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class RateLimitError(APIStatusError):
    """HTTP 429 (Twilio code 20429): too many concurrent requests. Safe to retry later.

    Raised only when retries are exhausted or the server asked to wait longer than the
    client's ``max_retry_after`` cap; ``retry_after`` then says how long it asked for, and
    ``concurrent_requests`` the answer's ``Twilio-Concurrent-Requests`` (None when absent).
    """

    concurrent_requests: int | None = None


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


class APIConnectionError(APIError):
    """The request failed on the network (refused, reset, disconnected mid-answer)."""


class APITimeoutError(APIConnectionError):
    """The request, or the whole call including retries, ran past its timeout."""


class APIResponseValidationError(APIError):
    """Twilio's answer was not the JSON shape the SDK expected."""


class UnexpectedRedirectError(APIError):
    """A JSON endpoint answered with a redirect. Redirects are never followed with credentials."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status."""
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def describe_error_body(body: Any, status: int) -> tuple[str, int | None, str | None]:
    """Read ``(message, code, more_info)`` from Twilio's error body or an RFC 9457 problem."""
    if isinstance(body, Mapping):
        code = _as_int(body.get("code"))
        more_info = body.get("more_info") or body.get("type")
        message = body.get("message") or body.get("detail") or body.get("title")
        if isinstance(message, str) and message:
            info = more_info if isinstance(more_info, str) else None
            if info is None and code is not None:
                info = f"https://www.twilio.com/docs/errors/{code}"
            return message, code, info
        if code is not None:
            return f"Twilio error {code}", code, f"https://www.twilio.com/docs/errors/{code}"
    return f"HTTP {status} with no Twilio error body", None, None
