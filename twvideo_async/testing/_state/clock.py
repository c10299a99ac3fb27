"""The emulator's notion of "now".

Dates in responses, signed-URL expiry and time-based composition progress all read this clock, so
tests can travel in time (``emu.clock.advance(700)`` expires a 600 s media URL) instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class EmulatorClock:
    """Wall-clock time plus an offset, or a frozen instant when ``start`` is given with ``frozen``.

    Responses carry whole seconds, like Twilio's ``YYYY-MM-DDThh:mm:ssZ`` dates.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware (for example datetime(..., tzinfo=UTC))")
        if frozen and start is None:
            raise ValueError("a frozen clock needs a start instant")
        self._frozen = frozen
        self._offset = 0.0 if start is None else start.timestamp() - time.time()
        self._frozen_at = start.timestamp() if start is not None else 0.0

    def time(self) -> float:
        """Seconds since the Unix epoch, as the emulator sees them."""
        if self._frozen:
            return self._frozen_at
        return time.time() + self._offset

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime truncated to whole seconds."""
        return datetime.fromtimestamp(int(self.time()), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        if self._frozen:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (aware datetime); a frozen clock stays frozen there."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        if self._frozen:
            self._frozen_at = instant.timestamp()
        else:
            self._offset = instant.timestamp() - time.time()


def iso(value: datetime | None) -> str | None:
    """Format like Twilio Video: ``2015-07-30T20:00:00Z`` (UTC, whole seconds), or None."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """Parse a date filter: ISO 8601 with ``Z`` or an offset, or a bare ``YYYY-MM-DD`` (UTC).

    ``datetime.fromisoformat`` on Python 3.10 rejects a trailing ``Z``, hence the rewrite.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``, rounded to nearest and at least 1 (like Twilio)."""
    return max(1, round((end - start) / timedelta(seconds=1)))
