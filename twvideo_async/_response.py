"""What a finished API request hands back: the raw response, before any model is built."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from ._constants import REQUEST_ID_HEADER
from .errors import APIResponseValidationError

T = TypeVar("T")


_DECIMAL = re.compile(r"[0-9]{1,18}")


def decimal_value(value: str | None) -> int | None:
    """A header value of ASCII digits as an int; None for anything else. ``str.isdigit``
    accepts ``²`` and other digits ``int()`` refuses, and a 5,000-digit value costs (or
    raises) in ``int()``: neither may reach a property or a size check."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if _DECIMAL.fullmatch(value) else None


class APIResponse:
    """Status, headers and body of one API call, with the retries it took.

    Returned by ``client.<resource>.with_raw_response.<method>(...)`` wrapped in
    :class:`RawResponse`, which adds the parsed model.
    """

    __slots__ = (
        "_json",
        "content",
        "elapsed",
        "headers",
        "method",
        "path",
        "retries_taken",
        "status",
    )

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        method: str,
        path: str,
        retries_taken: int,
        elapsed: float,
    ) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.method = method
        self.path = path
        self.retries_taken = retries_taken
        self.elapsed = elapsed
        self._json: Any = _UNSET

    @property
    def request_id(self) -> str | None:
        """Twilio's ``Twilio-Request-Id`` (``RQ...``), the thing to quote to Twilio support."""
        return self.headers.get(REQUEST_ID_HEADER)

    @property
    def concurrent_requests(self) -> int | None:
        """``Twilio-Concurrent-Requests``: how many of the account's requests were in flight."""
        return decimal_value(self.headers.get("Twilio-Concurrent-Requests"))

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        if self._json is _UNSET:
            if not self.content:
                self._json = None
            else:
                try:
                    self._json = json.loads(self.content)
                except (ValueError, RecursionError) as exc:
                    # RecursionError: nested too deep for the parser, never a usable answer.
                    raise APIResponseValidationError(
                        f"expected a JSON body, got {len(self.content)} bytes that are not JSON "
                        "(or nested too deeply)",
                        method=self.method,
                        path=self.path,
                        status=self.status,
                        request_id=self.request_id,
                        retries_taken=self.retries_taken,
                    ) from exc
        return self._json

    def __repr__(self) -> str:
        return (
            f"<APIResponse {self.method} {self.path} {self.status} "
            f"request_id={self.request_id!r} retries_taken={self.retries_taken}>"
        )


class RawResponse(Generic[T]):
    """A parsed result together with the response it came from."""

    __slots__ = ("_parsed", "response")

    def __init__(self, response: APIResponse, parsed: T) -> None:
        self.response = response
        self._parsed = parsed

    def parse(self) -> T:
        return self._parsed

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        return self.response.request_id

    def json(self) -> Any:
        return self.response.json()

    def __repr__(self) -> str:
        return f"<RawResponse {self.response!r}>"


class _Unset:
    __slots__ = ()


_UNSET: Any = _Unset()
