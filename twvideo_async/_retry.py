"""Retry decisions, backoff and ``Retry-After`` parsing. Pure functions; no I/O.

The policy (sdk-design-notes section 8): Twilio Video has no idempotency key, so a request that
may have been processed is only repeated when repeating it is harmless.

==========================================  ==========================  ===================
condition                                   GET/DELETE, idempotent POST  create-style POST
==========================================  ==========================  ===================
429 (Twilio never processed it)             retry                       retry
failed before the request was sent          retry                       retry
408, 5xx                                    retry                       no
timeout / disconnect after sending          retry                       no
other 4xx                                   no                          no
==========================================  ==========================  ===================
"""

from __future__ import annotations

import email.utils
import enum
import math
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

import attrs

from ._constants import (
    DEFAULT_MAX_RATE_LIMIT_RETRIES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_DELAY,
)
from .errors import ConfigurationError


class Failure(enum.Enum):
    """How an attempt failed, as far as retrying is concerned."""

    RATE_LIMITED = "429"
    NOT_SENT = "not-sent"  # connection refused, DNS, connect timeout: Twilio never saw it
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"  # read timeout after the request went out
    DISCONNECTED = "disconnected"  # connection dropped after the request went out
    CLIENT_ERROR = "4xx"


_UNSAFE_FAILURES = frozenset({Failure.SERVER_ERROR, Failure.TIMEOUT, Failure.DISCONNECTED})
_RETRYABLE_STATUS = frozenset({408, 500, 502, 503, 504})


def classify_status(status: int) -> Failure | None:
    """The failure kind of an HTTP status, or None for a status that is never retried."""
    if status == 429:
        return Failure.RATE_LIMITED
    if status in _RETRYABLE_STATUS or status > 504:
        return Failure.SERVER_ERROR
    return None


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds the server asked to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be delta-seconds (floats accepted) or an HTTP-date. Unparseable or
    negative values give None (the caller falls back to backoff).
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except (ValueError, OverflowError):
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) and value >= 0 else None
    # Whatever a server sends, a header never raises: an odd date is treated as absent.
    try:
        when = email.utils.parsedate_to_datetime(raw)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = now or datetime.now(timezone.utc)
        return max(0.0, (when - current).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# A call's first 429s wait just the server's Retry-After; from the next one on, at least the
# ordinary backoff as well (see RetryPolicy.decide).
_HONOURED_429S = 2


def backoff_delay(retries_taken: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: ``min(8, 0.5 * 2**n) * U(0.5, 1)``."""
    base = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 32))
    return base * (0.5 + 0.5 * rng())


@attrs.frozen
class Decision:
    """Retry after ``delay`` seconds, or give up (``delay is None``) with ``retry_after`` kept."""

    delay: float | None
    retry_after: float | None = None
    reason: str = ""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before another attempt. Replaceable per client.

    ``max_retries`` bounds retries of errors; ``max_rate_limit_retries`` bounds retries of 429s
    (always safe: Twilio did not process the request). ``max_retry_after`` caps how long a
    ``Retry-After`` may make the SDK wait; above it the error is raised with ``retry_after``.
    A call's first two 429s wait the ``Retry-After`` they carry; from its third on, the longer
    of that and the usual backoff (0.25-0.5 s, doubling), so a few-millisecond ``Retry-After``
    cannot spend all of a call's rate-limit retries within a tenth of a second.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_rate_limit_retries: int = DEFAULT_MAX_RATE_LIMIT_RETRIES
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    retry_unsafe: bool = False

    def __attrs_post_init__(self) -> None:
        check_max_retries(self.max_retries)
        check_max_retries(self.max_rate_limit_retries, name="max_rate_limit_retries")
        if not self.max_retry_after >= 0:
            raise ConfigurationError("max_retry_after must be a number of seconds >= 0")

    def decide(
        self,
        failure: Failure,
        *,
        idempotent: bool,
        retries_taken: int,
        rate_limit_retries_taken: int,
        retry_after: float | None,
        rng: Callable[[], float] = random.random,
    ) -> Decision:
        """Decide whether to retry an attempt that failed with ``failure``."""
        if failure is Failure.CLIENT_ERROR:
            return Decision(None, retry_after, "client error")
        if failure in _UNSAFE_FAILURES and not (idempotent or self.retry_unsafe):
            return Decision(None, retry_after, "not safe to repeat")
        if failure is Failure.RATE_LIMITED:
            if rate_limit_retries_taken >= self.max_rate_limit_retries:
                return Decision(None, retry_after, "rate-limit retries exhausted")
        elif retries_taken >= self.max_retries:
            return Decision(None, retry_after, "retries exhausted")
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return Decision(None, retry_after, "Retry-After above the cap")
            if retry_after > 0:
                delay = retry_after
                persistent = rate_limit_retries_taken - _HONOURED_429S
                if failure is Failure.RATE_LIMITED and persistent >= 0:
                    # Refused again after waiting as told: other callers win the capacity
                    # each time it frees up. Waiting at least the usual backoff (never less
                    # than told) spreads this call's retries over seconds, where a server's
                    # short waits (a token's few milliseconds) would spend them all at once.
                    delay = max(delay, backoff_delay(persistent, rng))
                return Decision(delay, retry_after, failure.value)
        attempt = rate_limit_retries_taken if failure is Failure.RATE_LIMITED else retries_taken
        return Decision(backoff_delay(attempt, rng), retry_after, failure.value)


def check_max_retries(value: object, *, name: str = "max_retries") -> int:
    """Validate a retry count; ``None`` is refused with guidance, like openai-python does."""
    if value is None:
        raise ConfigurationError(
            f"{name}=None is not allowed: pass 0 to disable retries, or a positive integer "
            "(math.inf is not supported; the per-call timeout bounds retries instead)"
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be an integer >= 0, got {value!r}")
    return value
