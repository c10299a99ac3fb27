"""Turning Python arguments into Twilio's wire format: URL paths and form bodies.

Twilio wants ``application/x-www-form-urlencoded`` bodies with PascalCase keys, lists as repeated
keys, lowercase ``true``/``false``, ISO-8601 UTC timestamps, and JSON-valued fields (rules,
layouts, configurations) as a JSON string inside one field (video-api-behaviour.md section 2).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

import attrs

from ._serde import format_datetime
from .errors import InvalidRequestError

Pairs = list[tuple[str, str]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@attrs.frozen
class JsonField:
    """Marks a value that Twilio expects as a JSON string in a single form field."""

    value: Any


def build_path(
    template: str,
    params: Mapping[str, str],
    patterns: Mapping[str, re.Pattern[str]] | None = None,
) -> str:
    """Fill ``{Name}`` placeholders, percent-encoding every value as one path segment.

    Empty values and ``.``/``..`` (also percent-encoded) are refused: they would change which
    resource the request addresses. Values with a known SID shape are checked against it.
    """

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = params[name]
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"{name} must be a string SID or name, got {type(value).__name__}"
            )
        if not value.strip():
            raise InvalidRequestError(f"Expected a non-empty value for {name}")
        if unquote(value) in (".", ".."):
            raise InvalidRequestError(f"{name}={value!r} is not a valid identifier")
        pattern = patterns.get(name) if patterns else None
        if pattern is not None and not pattern.fullmatch(value):
            raise InvalidRequestError(
                f"{name}={value!r} is not a valid SID: expected {_describe(pattern)}"
            )
        return quote(value, safe="")

    return _PLACEHOLDER.sub(fill, template)


def _describe(pattern: re.Pattern[str]) -> str:
    prefix = pattern.pattern.lstrip("^")[:2]
    return f"'{prefix}' followed by 32 hex digits (e.g. {prefix}{'0' * 32})"


def sid_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(f"^{prefix}[0-9a-fA-F]{{32}}$")


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
