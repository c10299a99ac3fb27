"""Checks of option values, shared by the client, per-call options and the media helpers.

Each raises a :class:`~twvideo_async.errors.TwilioVideoError` subclass (``ConfigurationError``
for client settings, ``InvalidRequestError`` for per-call arguments) when the value is given,
so nothing reaches aiohttp or the stdlib to fail later as a bare ``ValueError``,
``OverflowError`` or ``TypeError`` (or, worse, be read as "unlimited").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ConfigurationError, InvalidRequestError, TwilioVideoError

# RFC 9110 token characters: what a header name may consist of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters other than TAB: CR/LF would split the header block (header injection).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_seconds(
    name: str,
    value: object,
    *,
    error: type[TwilioVideoError] = ConfigurationError,
) -> float:
    """A finite number of seconds > 0 (``inf`` and ``nan`` are refused: ``None`` is the way
    to say "no limit" where one is allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"{name} must be a number of seconds > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise error(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def check_rate(name: str, value: object) -> float | None:
    """A request rate per second: ``None`` for no limit, else a finite number > 0. ``0`` is
    refused rather than read as "unlimited"."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of requests per second, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(
            f"{name} must be a finite number of requests per second > 0, got {value!r} "
            "(leave it out, or pass None, for no limit)"
        )
    return float(value)


def check_header_value(name: str, value: object, *, error: type[TwilioVideoError]) -> str:
    if not isinstance(value, str):
        raise error(f"{name} must be a string, got {type(value).__name__}")
    if _CONTROL.search(value):
        raise error(f"{name} must not contain CR, LF or other control characters")
    return value


def check_headers(
    headers: Mapping[str, str] | None, *, error: type[TwilioVideoError]
) -> dict[str, str] | None:
    """Header names must be tokens and values free of control characters (CR/LF injection),
    checked when given rather than when aiohttp writes them."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise error(f"extra_headers must be a mapping of str to str, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str) or not _TOKEN.fullmatch(key):
            raise error(f"extra_headers has an invalid header name {key!r}")
        checked[key] = check_header_value(f"extra_headers[{key!r}]", value, error=error)
    return checked


def check_choice(name: str, value: Any, allowed: Iterable[str], *, hint: str = "") -> str:
    """A string (or str-valued enum member) among ``allowed``; ``None`` is refused."""
    choices = tuple(allowed)
    raw = getattr(value, "value", value)
    if not isinstance(raw, str) or raw not in choices:
        raise InvalidRequestError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}{hint}"
        )
    return raw
