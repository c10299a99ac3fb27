"""Reading typed values out of status-callback form parameters.

Callback values arrive as text. Twilio may send a parameter with an empty value instead of
leaving it out, so an empty optional parameter reads as ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from ._errors import WebhookPayloadError

__all__ = ["DEFAULT_BASE_URL", "FieldReader", "absolute_url", "parse_timestamp"]

DEFAULT_BASE_URL = "https://video.twilio.com"

_INT = re.compile(r"-?[0-9]+")
_MAX_INT_DIGITS = 30
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    Accepts a trailing ``Z``, any number of fractional digits and ``±HH[:MM]`` offsets, which
    ``datetime.fromisoformat`` does not all take on Python 3.10. A timestamp without an offset is
    taken as UTC, the zone Twilio documents for callbacks. Raises ``ValueError``, also for a
    date that leaves the calendar once converted to UTC (``9999-12-31T23:59:59-05:00``).
    """
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        raise ValueError("not an ISO-8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or "0"))
        tz = timezone(-delta if offset[0] == "-" else delta)
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or "0"), micro, tz
        )
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # datetime raises OverflowError, not ValueError, past year 9999 in UTC.
        raise ValueError("out of the representable date range") from None


def absolute_url(base_url: str, uri: str) -> str:
    """Join a relative URI from a callback (``/v1/Recordings/RT...``) with the API base URL.

    A URI that already has a scheme is returned unchanged. The base URL's own path is kept
    (``urljoin`` would drop it), so an emulator mounted under a prefix still works.
    """
    if "://" in uri:
        return uri
    return base_url.rstrip("/") + "/" + uri.lstrip("/")


def _first_values(params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    if isinstance(params, Mapping):
        return {name: params[name] for name in params}
    values: dict[str, Any] = {}
    for name, value in params:
        values.setdefault(name, value)
    return values


class FieldReader:
    """Typed access to one callback's parameters; every error names the parameter."""

    def __init__(
        self,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]],
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        values = _first_values(params)
        for name, value in values.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise WebhookPayloadError(str(name), "expected a text value")
        self.raw: Mapping[str, str] = MappingProxyType(values)
        self.base_url = base_url

    def optional(self, name: str) -> str | None:
        value = self.raw.get(name)
        return value if value else None

    def required(self, name: str) -> str:
        value = self.raw.get(name)
        if not value:
            raise WebhookPayloadError(name, "missing")
        return value

    def integer(self, name: str) -> int | None:
        value = self.optional(name)
        if value is None:
            return None
        if not _INT.fullmatch(value.strip()):
            raise WebhookPayloadError(name, f"expected an integer, got {value[:40]!r}")
        if len(value) > _MAX_INT_DIGITS:
            # int() refuses more than 4300 digits with a bare ValueError (and is slow before
            # that); no callback number comes near this.
            raise WebhookPayloadError(name, f"integer of {len(value)} characters is too long")
        return int(value)

    def timestamp(self, name: str) -> datetime | None:
        value = self.optional(name)
        if value is None:
            return None
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise WebhookPayloadError(
                name, f"expected an ISO-8601 timestamp, got {value[:40]!r} ({exc})"
            ) from None

    def required_timestamp(self, name: str) -> datetime:
        value = self.timestamp(name)
        if value is None:
            raise WebhookPayloadError(name, "missing")
        return value

    def url(self, name: str) -> tuple[str | None, str | None]:
        """The URI as sent and its absolute form, or ``(None, None)``."""
        uri = self.optional(name)
        if uri is None:
            return None, None
        return uri, absolute_url(self.base_url, uri)
