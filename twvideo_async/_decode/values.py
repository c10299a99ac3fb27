"""Wire values both decode paths read the same way: Twilio's timestamps and enum strings.

The msgspec path (:mod:`.wire`) and the cattrs path (:mod:`.converter`) must build equal models,
so they share these parsers instead of each having its own.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["enum_lookup", "from_zulu", "parse_datetime", "type_error"]

_UTC = timezone.utc
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


# -- datetimes ---------------------------------------------------------------------------------


def _respelled(value: str) -> datetime:
    return datetime.fromisoformat(value[:19] + "+00:00")


# ``...Z`` (20 characters) to a datetime. 3.11+ reads the Z itself at half the cost of 3.10's
# respelling; the two give the same outcome for every such string (fuzzed on 3.11 to 3.13).
from_zulu = datetime.fromisoformat if sys.version_info >= (3, 11) else _respelled


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    Accepts ``Z`` or ``±hh:mm`` offsets and any number of fractional digits, on every supported
    Python (3.10's ``fromisoformat`` takes neither ``Z`` nor arbitrary fractions). A timestamp
    without an offset is read as UTC, which is what Twilio reports.
    """
    if len(value) == 20 and value[19] == "Z":
        # Twilio's usual shape, 2015-07-30T20:00:00Z: the C parser is the cheapest route.
        # (``.replace(tzinfo=...)`` would cost several times the parse itself.)
        try:
            return from_zulu(value)
        except ValueError:
            pass
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not an ISO-8601 date-time: {value!r}")
    year, month, day, hour, minute, second, frac, _z, sign, off_h, off_m = match.groups()
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    tz = _UTC
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
    )
    return parsed if tz is _UTC else parsed.astimezone(_UTC)


# -- enums -------------------------------------------------------------------------------------


def type_error(value: Any, expected: str) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r:.40}")


def enum_lookup(cls: type[enum.Enum], *, tolerant: bool) -> Callable[[Any], Any]:
    """A converter from a wire string to ``cls``; unknown strings kept as ``str`` if tolerant."""
    table: dict[str, Any] = {}
    for member in cls:
        table[str(member.value).lower()] = member
    for member in cls:
        table[str(member.value)] = member
    get = table.get

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            raise type_error(value, f"a {cls.__name__} string")
        member = get(value)
        if member is None:
            member = get(value.lower())
            if member is None:
                if tolerant:
                    return str(value)
                raise ValueError(f"{value!r} is not a valid {cls.__name__}")
        return member

    return convert
