"""Reading PascalCase form fields and query parameters the way Twilio expects them.

Twilio takes ``application/x-www-form-urlencoded`` (or multipart) bodies, lists as repeated keys,
booleans as ``true``/``false`` and JSON objects as JSON strings inside a field. In strict mode (the
default) the emulator also rejects parameters the endpoint does not define and scalar parameters
given twice, which the real API silently ignores: a typo then fails loudly in tests instead of
being dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping

from .._state.account_state import is_sid
from .._state.clock import parse_instant
from .._twilio_errors import INVALID_PARAMETER, ApiError, bad_request, missing

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Params:
    """Typed, validated access to one request's form fields or query parameters."""

    def __init__(self, data: MultiMapping[str], *, where: str) -> None:
        self._data = data
        self._where = where

    @classmethod
    async def from_body(
        cls, request: web.Request, allowed: Collection[str], *, strict: bool
    ) -> Params:
        """The form body of a POST, checked against ``allowed`` field names."""
        if request.body_exists and request.content_type not in _FORM_TYPES:
            raise bad_request(
                "Request bodies must be application/x-www-form-urlencoded (or multipart/form-data)"
                f"; got {request.content_type}"
            )
        if strict and request.query:
            raise bad_request(
                "POST parameters belong in the form body, not the query string: "
                + ", ".join(sorted(set(request.query)))
            )
        try:
            raw = await request.post()
        except (ValueError, LookupError, web.RequestPayloadError) as exc:
            # Bytes that are not valid in the declared charset (UnicodeDecodeError), an unknown
            # charset (LookupError), a multipart body without a usable boundary (ValueError) or
            # a body its Content-Encoding cannot decode (RequestPayloadError).
            raise bad_request(f"The request body could not be read as a form: {exc}") from None
        fields: MultiDict[str] = MultiDict()
        for key, value in raw.items():
            if not isinstance(value, str):
                raise bad_request(f"Parameter {key} must be a plain form field, not a file")
            fields.add(key, value)
        params = cls(MultiDictProxy(fields), where="post body")
        params._check(allowed, strict=strict)
        return params

    @classmethod
    def from_query(cls, request: web.Request, allowed: Collection[str], *, strict: bool) -> Params:
        """The query string of a GET, checked against ``allowed`` parameter names."""
        params = cls(request.query, where="query string")
        params._check(allowed, strict=strict)
        return params

    def _check(self, allowed: Collection[str], *, strict: bool) -> None:
        if not strict:
            return
        unknown = sorted({key for key in self._data if key not in allowed})
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            raise bad_request(
                f"Unknown parameter(s) {', '.join(unknown)} in the {self._where} "
                f"(parameter names are case-sensitive PascalCase; this endpoint takes: {known})"
            )

    @property
    def keys(self) -> list[str]:
        """Parameter names in the order given, each once."""
        return list(dict.fromkeys(self._data.keys()))

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair in the order given, repeats included."""
        return list(self._data.items())

    def has(self, name: str) -> bool:
        return name in self._data

    def get(self, name: str, default: str | None = None) -> str | None:
        """A scalar parameter; giving it twice is an error (lists use :meth:`values`)."""
        values = self._data.getall(name, [])
        if not values:
            return default
        if len(values) > 1:
            raise bad_request(f"Parameter {name} was given {len(values)} times; it takes one value")
        return values[0]

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def values(self, name: str) -> list[str]:
        """A list parameter, sent as a repeated key (``AudioSources=a&AudioSources=b``)."""
        return [value for value in self._data.getall(name, []) if value != ""]

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise bad_request(f"Parameter {name} must be true or false, got {value!r}")
        return lowered == "true"

    def number(
        self,
        name: str,
        default: int,
        *,
        low: int,
        high: int,
        code: int = INVALID_PARAMETER,
    ) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise bad_request(f"Parameter {name} must be an integer, got {value!r}", code) from None
        if not low <= number <= high:
            raise bad_request(f"Parameter {name} must be between {low} and {high}", code)
        return number

    def choice(
        self,
        name: str,
        choices: Collection[str],
        default: str,
        *,
        code: int = INVALID_PARAMETER,
    ) -> str:
        value = self.get(name)
        if value is None:
            return default
        if value not in choices:
            raise bad_request(f"Parameter {name} must be one of {', '.join(choices)}", code)
        return value

    def json_doc(self, name: str, *, code: int = INVALID_PARAMETER) -> Any:
        """A JSON document sent as a string field (``VideoLayout``, ``Configuration``...)."""
        value = self.get(name)
        if value is None:
            return None
        return load_json(value, name, code=code)

    def instant(self, name: str) -> datetime | None:
        """A date filter in ISO 8601 (``2017-01-01T00:00:01Z``) or ``YYYY-MM-DD`` form."""
        value = self.get(name)
        if value is None:
            return None
        try:
            return parse_instant(value)
        except (ValueError, OverflowError):
            # OverflowError: a valid date whose offset moves it past year 1 or 9999 in UTC.
            raise bad_request(
                f"Parameter {name} must be an ISO 8601 date-time such as 2017-01-01T00:00:01Z"
            ) from None

    def created_within(self) -> Callable[[datetime], bool]:
        """The ``DateCreatedAfter`` and ``DateCreatedBefore`` filters (both inclusive, either
        optional) as one test of a record's ``date_created``."""
        after = self.instant("DateCreatedAfter")
        before = self.instant("DateCreatedBefore")

        def within(created: datetime) -> bool:
            return (after is None or created >= after) and (before is None or created <= before)

        return within

    def url(self, name: str, *, code: int = INVALID_PARAMETER) -> str | None:
        """An absolute http(s) URL, or None when absent."""
        value = self.get(name)
        if value is None or value == "":
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - urlsplit checks the port only when it is read
        except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
            raise bad_request(f"Parameter {name} must be an absolute http(s) URL", code) from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"Parameter {name} must be an absolute http(s) URL", code)
        return value

    def sid(self, name: str, prefix: str) -> str | None:
        """A SID with ``prefix`` or None; a malformed SID is a 400."""
        value = self.get(name)
        if value is None or value == "":
            return None
        if not is_sid(value, prefix):
            raise bad_request(f"Parameter {name} must be a {prefix} SID ({prefix} + 32 hex digits)")
        return value


MAX_JSON_DEPTH = 32


def _finite_only(constant: str) -> float:
    raise ValueError(f"{constant} is not valid JSON")


def load_json(text: str, name: str, *, code: int = INVALID_PARAMETER) -> Any:
    """Decode a JSON form value: no NaN/Infinity (the echo would not be JSON), at most
    ``MAX_JSON_DEPTH`` levels of nesting (deeper documents exhaust the decoder's or the
    encoder's stack), and a 400 for anything that does not decode."""
    too_deep = f"Parameter {name} is nested more than {MAX_JSON_DEPTH} levels"
    try:
        document = json.loads(text, parse_constant=_finite_only)
    except RecursionError:
        raise bad_request(too_deep, code) from None
    except ValueError:
        raise bad_request(f"Parameter {name} must be a JSON string", code) from None
    if json_depth(document) > MAX_JSON_DEPTH:
        raise bad_request(too_deep, code)
    return document


def json_depth(document: Any) -> int:
    """Levels of arrays and objects in a decoded JSON document (iterative: no recursion)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            depth += 1
            deepest = max(deepest, depth)
            pending.extend((item, depth) for item in value)
    return deepest


def require_status(value: str | None, allowed: Collection[str], name: str = "Status") -> None:
    """Validate an enum filter value."""
    if value is not None and value not in allowed:
        raise ApiError(
            400, INVALID_PARAMETER, f"Parameter {name} must be one of {', '.join(allowed)}"
        )
