"""Turning Python arguments into Twilio's wire format: URL paths and form bodies.

Twilio wants ``application/x-www-form-urlencoded`` bodies with PascalCase keys, lists as repeated
keys, lowercase ``true``/``false``, ISO-8601 UTC timestamps, and JSON-valued fields (rules,
layouts, configurations) as a JSON string inside one field (video-api-behaviour.md section 2).
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from .errors import InvalidRequestError

Pairs = list[tuple[str, str]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# RFC 3986 gen-delims and sub-delims, and '%' (an escape a server may decode before routing).
_RESERVED = frozenset(":/?#[]@!$&'()*+,;=%")


@attrs.frozen
class JsonField:
    """Marks a value that Twilio expects as a JSON string in a single form field."""

    value: Any


@functools.lru_cache(maxsize=128)
def _split(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A path template as its literal pieces and placeholder names (done once per template)."""
    pieces = _PLACEHOLDER.split(template)
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def build_path(
    template: str,
    params: Mapping[str, str],
    patterns: Mapping[str, re.Pattern[str]] | None = None,
) -> str:
    """Fill ``{Name}`` placeholders, percent-encoding every value as one path segment.

    Empty values, ``.``/``..`` and names with RFC 3986 reserved characters or ``%`` are
    refused: they could change which resource the request addresses. Values with a known SID
    shape are checked against it.
    """
    literals, names = _split(template)
    if len(names) == 1:
        # Most operations have one placeholder: a concatenation, no list or ``zip`` (whose
        # ``strict=`` keyword alone costs a third of this function).
        name = names[0]
        return literals[0] + _segment(name, params[name], patterns) + literals[1]
    out = [literals[0]]
    for index, name in enumerate(names, 1):
        out.append(_segment(name, params[name], patterns))
        out.append(literals[index])
    return "".join(out)


def _segment(name: str, value: str, patterns: Mapping[str, re.Pattern[str]] | None) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"{name} must be a string SID or name, got {type(value).__name__}"
        )
    pattern = patterns.get(name) if patterns else None
    if pattern is not None:
        if not pattern.fullmatch(value):
            raise InvalidRequestError(
                f"{name}={value!r} is not a valid SID: expected {_describe(pattern)}"
            )
        return value  # a SID is letters and hex digits: nothing to encode
    if value.isascii() and value.isalnum():
        return value  # letters and digits (most names, every SID): nothing to check or encode
    if not value.strip():
        raise InvalidRequestError(f"Expected a non-empty value for {name}")
    reserved = _RESERVED.intersection(value)
    if reserved:
        # Twilio: a unique name addresses a room in the URL only without reserved characters.
        # A server or proxy that decodes %2F or %3B before routing would otherwise address a
        # different resource (``../Recordings``), so such names are refused, not escaped.
        raise InvalidRequestError(
            f"{name}={value!r} contains {''.join(sorted(reserved))!r}: a name with URL-reserved "
            "characters (RFC 3986) or '%' cannot address a resource in a URL path; "
            "use the resource's SID instead"
        )
    if value in (".", ".."):
        raise InvalidRequestError(f"{name}={value!r} is not a valid identifier")
    return quote(value, safe="")


def _describe(pattern: re.Pattern[str]) -> str:
    prefix = pattern.pattern.lstrip("^")[:2]
    return f"'{prefix}' followed by 32 hex digits (e.g. {prefix}{'0' * 32})"


def sid_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(f"^{prefix}[0-9a-fA-F]{{32}}$")


def format_datetime(dt: datetime) -> str:
    """Format an aware datetime for Twilio: converted to UTC, ``YYYY-MM-DDTHH:MM:SSZ``.

    Naive datetimes are rejected: guessing their zone would silently shift a filter by hours.
    """
    if not isinstance(dt, datetime):
        raise InvalidRequestError(
            f"expected a datetime, got {type(dt).__name__}; "
            "pass e.g. datetime(2024, 1, 31, tzinfo=timezone.utc)"
        )
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidRequestError(
            f"naive datetime {dt.isoformat()} has no time zone; pass an aware datetime "
            "such as dt.replace(tzinfo=timezone.utc) or dt.astimezone()"
        )
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise InvalidRequestError(
        f"{name} got {type(value).__name__}; expected a string, number, bool or datetime"
    )


def encode_pairs(fields: Mapping[str, Any]) -> Pairs:
    """PascalCase field mapping to form pairs. ``None`` values are left out."""
    pairs: Pairs = []
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, JsonField):
            pairs.append((name, json.dumps(value.value, separators=(",", ":"))))
        elif isinstance(value, list | tuple | set | frozenset):
            items: Iterable[Any] = sorted(value) if isinstance(value, set | frozenset) else value
            pairs.extend((name, _scalar(name, item)) for item in items)
        else:
            pairs.append((name, _scalar(name, value)))
    return pairs


def encode_form(pairs: Pairs) -> bytes:
    return urlencode(pairs).encode("ascii")


def encode_query(pairs: Pairs) -> str:
    """A query string with every reserved character percent-encoded (as in a form body), so
    the request carries exactly these bytes: the URL is sent as already encoded."""
    return urlencode(pairs)
