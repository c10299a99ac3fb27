"""Fault injection: rate limits, 429s, 5xx, latency and misbehaving media storage.

Each method of :class:`Faults` installs a rule and returns it, so a test can read ``rule.fired`` or
call ``rule.cancel()``. A rule fires on every matching request, on the next ``count`` of them, or
on a ``fraction`` of them (drawn from a generator seeded by the emulator's seed, so a run is
repeatable). Rules can be added and removed while the emulator is serving.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Iterable

from .._twilio_errors import ApiError
from .fault_rules import (
    ConcurrencyLimit,
    FaultRule,
    RateLimit,
    StoragePlan,
    check_selection,
    methods_set,
    server_error,
    too_many_requests,
)


class Faults:
    """Fault controls of one emulator (``emu.faults``)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"faults:{seed}")
        self._api: list[FaultRule] = []
        self._storage: list[FaultRule] = []
        self._rate_limit: RateLimit | None = None
        self._concurrency: ConcurrencyLimit | None = None

    # -- API faults ------------------------------------------------------------------------------

    def rate_limit(
        self,
        rps: float,
        *,
        burst: int | None = None,
        retry_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> RateLimit:
        """Answer 429 (code 20429) once more than ``rps`` requests per second arrive.

        ``Retry-After`` is ``retry_after`` if given, else the time until the bucket refills.
        ``burst`` (default: ``rps`` rounded up) is how many requests may arrive at once.
        """
        if rps <= 0:
            raise ValueError("rps must be positive")
        self._rate_limit = RateLimit(
            rps=rps,
            burst=burst if burst is not None else max(1, math.ceil(rps)),
            retry_after=retry_after,
            clock=clock,
        )
        return self._rate_limit

    def concurrency_limit(
        self, max_in_flight: int, *, retry_after: float | None = 1.0
    ) -> ConcurrencyLimit:
        """Answer 429 when more than ``max_in_flight`` API requests are being served at once."""
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._concurrency = ConcurrencyLimit(max_in_flight, retry_after)
        return self._concurrency

    def throttle(
        self,
        *,
        count: int | None = None,
        fraction: float | None = None,
        retry_after: float | None = 1.0,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Answer 429 (code 20429; ``Retry-After: retry_after`` unless None) to matching requests.

        Without ``count`` or ``fraction`` every matching request is throttled.
        """
        return self._add_api("status", 429, count, fraction, methods, path, retry_after=retry_after)

    def server_error(
        self,
        status: int = 500,
        *,
        count: int | None = None,
        fraction: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Answer ``status`` (5xx) to matching requests.

        500 and 503 carry Twilio's JSON error body; 502 and 504 an HTML page, as a load balancer
        in front of the API would send, so clients are tested against non-JSON error bodies.
        """
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        return self._add_api("status", status, count, fraction, methods, path)

    def latency(
        self,
        seconds: float,
        *,
        count: int | None = None,
        fraction: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Delay matching API requests by ``seconds`` before they are handled."""
        return self._add_api("latency", 0, count, fraction, methods, path, seconds=seconds)

    def hold(
        self,
        *,
        count: int | None = 1,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Stall matching API requests until ``rule.release()`` (or the emulator closes).

        Deterministic concurrency for tests: hold one request, send another, then release.
        """
        return self._add_api("hold", 0, count, None, methods, path)

    def _add_api(
        self,
        kind: str,
        status: int,
        count: int | None,
        fraction: float | None,
        methods: Iterable[str] | None,
        path: str | None,
        *,
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> FaultRule:
        check_selection(count, fraction)
        rule = FaultRule(
            kind=kind,
            status=status,
            count=count,
            fraction=fraction,
            methods=methods_set(methods),
            path=path,
            retry_after=retry_after,
            seconds=seconds,
        )
        self._api.append(rule)
        return rule

    # -- storage faults --------------------------------------------------------------------------

    def storage_cut(
        self, after_bytes: int, *, count: int | None = 1, path: str | None = None
    ) -> FaultRule:
        """Drop the connection after ``after_bytes`` body bytes (the first ``count`` downloads)."""
        return self._add_storage("cut", count, path, after_bytes=after_bytes)

    def storage_stall(
        self,
        seconds: float,
        *,
        after_bytes: int = 0,
        count: int | None = 1,
        path: str | None = None,
    ) -> FaultRule:
        """Pause ``seconds`` after ``after_bytes`` body bytes (tests read timeouts)."""
        return self._add_storage("stall", count, path, after_bytes=after_bytes, seconds=seconds)

    def storage_expired(self, *, count: int | None = 1, path: str | None = None) -> FaultRule:
        """Answer 403 "Request has expired" to the first ``count`` downloads, even if valid."""
        return self._add_storage("expired", count, path)

    def storage_ignore_range(
        self, *, count: int | None = None, path: str | None = None
    ) -> FaultRule:
        """Ignore ``Range`` and answer 200 with the whole object."""
        return self._add_storage("ignore_range", count, path)

    def storage_error(
        self, status: int = 503, *, count: int | None = 1, path: str | None = None
    ) -> FaultRule:
        """Answer ``status`` with an S3-style XML error (503 is S3's ``SlowDown``)."""
        return self._add_storage("error", count, path, status=status)

    def _add_storage(
        self,
        kind: str,
        count: int | None,
        path: str | None,
        *,
        after_bytes: int = 0,
        seconds: float = 0.0,
        status: int = 0,
    ) -> FaultRule:
        check_selection(count, None)
        if after_bytes < 0:
            raise ValueError("after_bytes must not be negative")
        rule = FaultRule(
            kind=kind,
            count=count,
            path=path,
            after_bytes=after_bytes,
            seconds=seconds,
            status=status,
        )
        self._storage.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every fault (API and storage, rate and concurrency limits)."""
        for rule in [*self._api, *self._storage]:
            rule.cancel()
        self._api.clear()
        self._storage.clear()
        self._rate_limit = None
        self._concurrency = None

    def release_holds(self) -> None:
        """Release every request held by a :meth:`hold` rule (the emulator does so on close)."""
        for rule in self._api:
            if rule.kind == "hold":
                rule.release()

    # -- decisions (used by the servers) ---------------------------------------------------------

    def _fire(self, rule: FaultRule) -> bool:
        if rule.fraction is not None and self._rng.random() >= rule.fraction:
            return False
        if rule.count is not None:
            rule.count -= 1
            if rule.count <= 0:
                rule.active = False
        rule.fired += 1
        return True

    def api_delay(self, method: str, path: str) -> float:
        """Total added latency for this request."""
        return sum(
            rule.seconds
            for rule in self._api
            if rule.kind == "latency" and rule.matches(method, path) and self._fire(rule)
        )

    def api_holds(self, method: str, path: str) -> list[asyncio.Event]:
        """Gates this request must wait for (from :meth:`hold` rules)."""
        gates = []
        for rule in self._api:
            if rule.kind == "hold" and rule.matches(method, path):
                gate = rule._gate
                if self._fire(rule):
                    gates.append(gate)
        return gates

    def api_error(self, method: str, path: str, in_flight: int) -> ApiError | None:
        """The injected error for this request, if any (checked after authentication)."""
        concurrency = self._concurrency
        if concurrency is not None and concurrency.active and in_flight > concurrency.max_in_flight:
            concurrency.rejected += 1
            return too_many_requests(concurrency.retry_after)
        limit = self._rate_limit
        if limit is not None and limit.active:
            wait = limit.take()
            if wait is not None:
                return too_many_requests(limit.retry_after if limit.retry_after else wait)
        for rule in self._api:
            if rule.kind == "status" and rule.matches(method, path) and self._fire(rule):
                if rule.status == 429:
                    return too_many_requests(rule.retry_after)
                return server_error(rule.status)
        return None

    def storage_plan(self, method: str, path: str) -> StoragePlan:
        """What the storage origin does with a correctly signed request for ``path``.

        Refusals are decided first; body faults (cut, stall, ignored Range) are only spent on
        GET requests that will actually send a body.
        """
        plan = StoragePlan()
        for rule in self._storage:
            if rule.kind not in ("expired", "error") or not rule.matches(method, path):
                continue
            if self._fire(rule):
                if rule.kind == "expired":
                    plan.error = (403, "AccessDenied", "Request has expired")
                else:
                    code = "SlowDown" if rule.status == 503 else "InternalError"
                    plan.error = (rule.status, code, "Injected storage failure")
                return plan
        if method != "GET":
            return plan
        for rule in self._storage:
            if not rule.matches(method, path):
                continue
            if rule.kind == "ignore_range" and not plan.ignore_range and self._fire(rule):
                plan.ignore_range = True
            elif rule.kind == "cut" and plan.cut_after is None and self._fire(rule):
                plan.cut_after = rule.after_bytes
            elif rule.kind == "stall" and plan.stall_after is None and self._fire(rule):
                plan.stall_after = rule.after_bytes
                plan.stall_seconds = rule.seconds
        return plan
