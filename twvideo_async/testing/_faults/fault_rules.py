"""The rules behind :class:`.controls.Faults` and the error responses they produce."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .._twilio_errors import (
    INTERNAL_ERROR,
    SERVICE_UNAVAILABLE,
    TOO_MANY_REQUESTS,
    ApiError,
    GatewayError,
)


def format_seconds(seconds: float) -> str:
    """``Retry-After`` value: whole seconds when integral, else a short decimal (``0.05``)."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.6g}"


@dataclass(eq=False)
class FaultRule:
    """One installed fault. ``fired`` counts how often it took effect."""

    kind: str
    count: int | None = None
    fraction: float | None = None
    methods: frozenset[str] | None = None
    path: str | None = None
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    after_bytes: int = 0
    fired: int = 0
    active: bool = True
    _gate: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def cancel(self) -> None:
        """Stop this rule from firing again (requests it holds are released)."""
        self.active = False
        self._gate.set()

    def release(self) -> None:
        """Let requests held by a :meth:`Faults.hold` rule continue (and hold no more)."""
        self.cancel()

    def matches(self, method: str, path: str) -> bool:
        if not self.active:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path is None or self.path in path


@dataclass(eq=False)
class RateLimit:
    """A token bucket: ``rps`` requests per second with bursts of up to ``burst``."""

    rps: float
    burst: int
    retry_after: float | None
    clock: Callable[[], float] = time.monotonic
    rejected: int = 0
    active: bool = True
    _tokens: float = field(default=0.0, init=False)
    _stamp: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._stamp = self.clock()

    def cancel(self) -> None:
        self.active = False

    def take(self) -> float | None:
        """Consume a token; return None if allowed, else the seconds until one is available."""
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rps)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        self.rejected += 1
        return (1.0 - self._tokens) / self.rps


@dataclass(eq=False)
class ConcurrencyLimit:
    """Twilio's real 429 cause: too many simultaneous requests on the account."""

    max_in_flight: int
    retry_after: float | None
    rejected: int = 0
    active: bool = True

    def cancel(self) -> None:
        self.active = False


def methods_set(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


def check_selection(count: int | None, fraction: float | None) -> None:
    if count is not None and count < 1:
        raise ValueError("count must be at least 1")
    if fraction is not None and not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be between 0 and 1")


@dataclass
class StoragePlan:
    """What the storage origin does with one request, decided by the storage rules."""

    error: tuple[int, str, str] | None = None  # (status, S3 code, message)
    ignore_range: bool = False
    cut_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0


def too_many_requests(retry_after: float | None) -> ApiError:
    headers = {} if retry_after is None else {"Retry-After": format_seconds(retry_after)}
    return ApiError(429, TOO_MANY_REQUESTS, "Too Many Requests", headers=headers)


def server_error(status: int) -> ApiError:
    if status in (502, 504):
        return GatewayError(status)
    if status == 503:
        return ApiError(503, SERVICE_UNAVAILABLE, "Service Unavailable")
    return ApiError(status, INTERNAL_ERROR, "An internal server error occurred")
