"""The client-wide slow-down after a 429: :class:`AdaptiveThrottle`.

One throttle is shared by every request of a client (and its ``with_options`` copies). The
request loop calls :meth:`~AdaptiveThrottle.acquire` before each attempt,
:meth:`~AdaptiveThrottle.release` when the attempt has ended (whatever its outcome), then
:meth:`~AdaptiveThrottle.on_success` or :meth:`~AdaptiveThrottle.on_rate_limited`.

Control law
-----------
Until a 429 arrives the throttle lets everything through (one counter per request). A 429 is
read as one of three kinds of limit, and each gets its own control:

* **Concurrency cap** (Twilio's own 20429: too many requests in flight). Evidence: the 429's
  ``Twilio-Concurrent-Requests`` is higher than any value a success carried, or the 429s come
  while several requests are in flight and no other pattern is known (a cap refuses at once;
  guessing a cap for a rate limit costs little, as the window soon falls to one request refused
  alone, which switches to a pace). Control: a window on the requests in flight, AIMD as in
  TCP: on a 429 the window falls to the requests still in flight (the server was serving those
  when it refused one more), or by ``decrease`` at most once per window of completions when
  that does not explain the 429 (other clients of the account); each window of successes while
  the window is full adds one, except the step up to the size last refused, which takes four
  windows: that probe is what draws the next 429, so against a fixed cap it is made a quarter
  as often (measured against a cap of 20: a quarter fewer 429s, about 1% less wall time).
* **Rate limit** (token or leaky bucket). Control: a pacer near the accepted rate. The first
  429 seeds it from its ``Retry-After`` (the wait for the next token is one interval at the
  server's rate), never from the initial burst. Later 429s, at most once per measuring span
  (0.1 s, or 10 requests at the current pace), set it to the successes counted since the last
  cut, divided by the time; it never rises on a 429 and falls at most to a quarter per cut.
  Between cuts it probes upward, ``exp(0.5 t + t**2)`` times its last value ``t`` seconds after
  the cut (+10% after 0.15 s, x4 after 1 s), so a rate that came back is found again within
  about a second; past x64, or ``quiet_period`` seconds without a 429, pacing ends. Waiters are
  released in arrival order by one timer, so a new pace applies at once (nobody books a slot
  ahead), and a waiter that gives up leaves its place without consuming a slot.
* **Window** (N requests per fixed window, ``Retry-After`` pointing at its end). Evidence: two
  429s asking to wait ``long_wait`` seconds or more until the same instant. Control: everyone
  waits for that instant; the pacer is left alone (a window is not a rate).

Each rejected request waits its own ``Retry-After`` (the request loop does that; from a call's
third 429 on, at least the ordinary backoff too: ``RetryPolicy.decide``). The whole
client pauses only after ``run_length`` consecutive 429s with no success in between (the server
refuses everything: sending more only adds 429s), or for a window. Every pause is capped at
``max_pause``. A 429 whose answer contradicts the current kind switches the law: a lone request
refused while nothing else is in flight is no concurrency cap, and a header no higher than the
successes' is no concurrency cap either.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

from ._constants import DEFAULT_MAX_RETRY_AFTER
from ._response import decimal_value

__all__ = ["AdaptiveThrottle"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

CONCURRENT_HEADER = "Twilio-Concurrent-Requests"
RATE = "rate"
CONCURRENCY = "concurrency"
_WINDOW = "window"
_WAIT = "wait"
_MAX_RATE = 1e6  # requests/s: a pace past this is no pace at all
_MAX_GROWTH = 64.0  # the probe has multiplied the last cut this much: stop pacing
_MAX_WINDOW = 100_000.0


def _growth(t: float) -> float:
    """How far the pace has probed upward ``t`` seconds after the last cut."""
    return math.exp(min(0.5 * t + t * t, 10.0))


class AdaptiveThrottle:
    """The client-wide slow-down: tells a rate limit, a concurrency cap and a fixed window apart
    after a 429 and applies the control each needs (see the module docstring for the law).

    ``clock`` and ``sleep`` are injectable (tests run it on virtual time). ``max_pause`` caps
    any client-wide pause; ``quiet_period`` is how long without a 429 ends all limiting;
    ``run_length`` consecutive 429s pause the whole client; a ``Retry-After`` of ``long_wait``
    seconds or more is a wait hint, never a rate; ``decrease`` is the concurrency window's
    multiplicative decrease; ``min_rate`` the lowest pace.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_pause: float = DEFAULT_MAX_RETRY_AFTER,
        quiet_period: float = 30.0,
        run_length: int = 4,
        long_wait: float = 0.5,
        decrease: float = 0.75,
        min_rate: float = 1.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_pause = max_pause
        self._quiet_period = quiet_period
        self._run_length = run_length
        self._long_wait = long_wait
        self._decrease = decrease
        self._min_rate = min_rate
        self._mode: str | None = None
        self._refused_at = math.inf
        self._in_flight = 0
        self._completions = 0
        self._ok = 0  # successes, ever
        self._ok_calm = 0  # successes since limiting last ended
        self._calm_since = clock()
        self._run = 0  # consecutive 429s
        self._last_limited = -math.inf
        self._pause_until = -math.inf
        # rate: the pace is _base_rate * _growth(now - _cut_at); _slot is the last grant's slot
        self._base_rate = 0.0
        self._cut_at = 0.0
        self._mark_at = 0.0
        self._mark_ok = 0
        self._seeded = False  # the pace came from a Retry-After, not from a measurement yet
        self._slot = -math.inf
        # concurrency
        self._window = 0.0
        self._md_after = 0  # completions before another multiplicative decrease
        self._peak: int | None = None  # highest Twilio-Concurrent-Requests on a success
        # a window's end, from long Retry-After values
        self._wait_end: float | None = None
        # waiters, released in order by one timer
        self._queue: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatch_soon = False

    # -- state, for diagnostics and tests ----------------------------------------------------

    @property
    def mode(self) -> str | None:
        """``"rate"``, ``"concurrency"`` or None (no limit applied)."""
        return self._mode

    @property
    def rate(self) -> float | None:
        """Requests per second currently allowed, or None when not pacing."""
        return self._pace(self._clock()) if self._mode == RATE else None

    @property
    def window(self) -> int | None:
        """Requests allowed in flight, or None when the concurrency is not limited."""
        return int(self._window) if self._mode == CONCURRENCY else None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self._clock())

    @property
    def idle(self) -> bool:
        """True when :meth:`acquire` returns at once (no limit, no pause, nobody waiting)."""
        now = self._clock()
        if self._mode is not None:
            self._calm(now)
        return self._mode is None and self._pause_until <= now and not self._queue

    # -- the hooks the request loop calls ------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take this request's turn if it may go now: True when taken (the caller then owes
        :meth:`release`), False when it must wait in :meth:`acquire`. Lets the common call,
        with nothing to wait for, skip a coroutine."""
        now = self._clock()
        if self._mode is None:
            if not self._queue and self._pause_until <= now:
                self._in_flight += 1
                return True
        else:
            self._calm(now)
        if self._queue or self._gate(now) > 0.0:
            return False
        self._grant(now)
        return True

    async def acquire(self) -> None:
        """Wait for this request's turn (returns at once while no limit applies)."""
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # waiters of another (finished) loop are gone
            self._queue.clear()
            self._timer = None
            self._timer_at = math.inf
            self._loop = loop
        waiter: asyncio.Future[None] = loop.create_future()
        self._queue.append(waiter)
        self._dispatch()
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._give_back()  # granted, but the caller left before using its turn
            else:
                waiter.cancel()  # still queued: the dispatcher skips it, no slot is taken
            self._dispatch()
            raise

    def release(self) -> None:
        """An attempt :meth:`acquire` let through has ended (any outcome)."""
        if self._in_flight > 0:
            self._in_flight -= 1
        self._completions += 1
        if self._queue and not self._dispatch_soon:
            try:
                loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None and loop is self._loop:
                # Not at once: the caller reports the answer next (in the same step), and the
                # next waiter should go under the limit that answer sets, not the one before.
                self._dispatch_soon = True
                loop.call_soon(self._deferred_dispatch)

    def on_success(self, headers: Mapping[str, str] | None = None) -> None:
        self._run = 0
        self._ok += 1
        mode = self._mode
        if mode is None:
            self._ok_calm += 1
            return
        if headers is not None:
            concurrent = decimal_value(headers.get(CONCURRENT_HEADER))
            if concurrent is not None and (self._peak is None or concurrent > self._peak):
                self._peak = concurrent
        if mode == CONCURRENCY:
            window = self._window
            if self._queue or self._in_flight + 1 >= int(window):
                step = 1.0 / window
                if window + 1.0 >= self._refused_at:  # the probe up to what was refused
                    step /= 4.0
                self._window = min(window + step, _MAX_WINDOW)
        self._calm(self._clock())
        if self._queue:
            self._dispatch()

    def on_rate_limited(
        self,
        retry_after: float | None,
        fallback_delay: float,
        *,
        concurrent: int | None = None,
    ) -> None:
        """Record a 429: ``retry_after`` as the request loop will honour it (None if absent or
        above its cap), ``fallback_delay`` the backoff it uses instead, ``concurrent`` the
        answer's ``Twilio-Concurrent-Requests``."""
        now = self._clock()
        if self._mode is not None:
            self._calm(now)
        self._last_limited = now
        self._run += 1
        wait = retry_after
        if wait is not None and not wait <= self._max_pause:  # absurd, infinite or NaN
            wait = self._max_pause
        if wait is not None and wait < 0:
            wait = None
        kind = self._classify(now, wait, concurrent)
        if kind == CONCURRENCY:
            self._cut_window()
        elif kind == _WINDOW:
            self._pause(now, now + (wait or 0.0), measure_after=True)
        else:
            if kind == RATE:
                self._cut_rate(now, wait)
            if self._run >= self._run_length:
                pause = wait if wait is not None else fallback_delay
                self._pause(now, now + pause, measure_after=kind == _WAIT)
        if self._queue:
            self._dispatch()

    # -- the law -----------------------------------------------------------------------------

    def _classify(self, now: float, wait: float | None, concurrent: int | None) -> str:
        ours = self._in_flight  # this request is already released
        evidence = concurrent is not None and self._peak is not None
        if evidence and concurrent > self._peak:  # type: ignore[operator]
            return CONCURRENCY
        if wait is not None and wait >= self._long_wait:
            end, previous = now + wait, self._wait_end
            self._wait_end = end
            if previous is not None and abs(end - previous) <= max(0.02, 0.02 * wait):
                return _WINDOW
            return _WAIT
        if evidence:
            pass  # a header no higher than the successes': no concurrency cap
        elif self._mode == CONCURRENCY:
            if ours >= 1:
                return CONCURRENCY
        elif self._mode is None and ours >= 2:
            # Refused with several others in flight and no pattern yet: hold the in-flight
            # count the server was serving. (Against a rate limit the window soon falls to
            # one request refused alone, which switches to a pace: a cheaper mistake than
            # pacing a concurrency cap, which starts at a crawl.)
            return CONCURRENCY
        return RATE

    def _cut_window(self) -> None:
        ours = self._in_flight
        # The window size the server just refused (for the first cut: ours plus this one).
        self._refused_at = float(int(self._window) if self._mode == CONCURRENCY else ours + 1)
        # What the server was serving of ours when it refused one more. Ours also counts
        # answers still on their way back, so this keeps the server full; when others share
        # the account, further 429s cut by ``decrease`` once per window until they stop.
        target = max(1.0, float(ours))
        if self._mode != CONCURRENCY:
            self._mode = CONCURRENCY
            self._window = target
            self._md_after = self._completions + ours
            return
        if target < self._window:
            self._window = target
        elif self._completions >= self._md_after:
            self._window = max(1.0, self._window * self._decrease)
        else:
            return  # already cut in this window of completions
        self._md_after = self._completions + ours

    def _cut_rate(self, now: float, wait: float | None) -> None:
        if self._mode != RATE:
            if wait is not None and wait > 0:
                base, self._seeded = 1.0 / wait, True
            elif self._ok_calm:  # what this client sent successfully lately, over 1 s at least
                base, self._seeded = self._ok_calm / max(now - self._calm_since, 1.0), False
            else:
                return  # nothing to pace by yet (a run of 429s still pauses everyone)
            self._mode = RATE
            self._set_base(now, base)
            return
        span = now - self._mark_at
        if span < self._span(now):
            if self._seeded and wait is not None and wait > 0:
                # The first 429s: the longest wait for a token is one interval of the rate.
                self._base_rate = max(min(self._base_rate, 1.0 / wait), self._min_rate)
            return
        current = self._pace(now)
        measured = (self._ok - self._mark_ok) / span
        self._seeded = False
        self._set_base(now, min(current, max(measured, current * 0.25)))

    def _set_base(self, now: float, rate: float) -> None:
        self._base_rate = min(max(rate, self._min_rate), _MAX_RATE)
        self._cut_at = self._mark_at = now
        self._mark_ok = self._ok

    def _span(self, now: float) -> float:
        """The shortest span a rate is measured over: 0.1 s, or 10 requests at the pace."""
        return min(max(0.1, 10.0 / self._pace(now)), 1.0)

    def _pace(self, now: float) -> float:
        return min(self._base_rate * _growth(max(0.0, now - self._cut_at)), _MAX_RATE)

    def _pause(self, now: float, until: float, *, measure_after: bool) -> None:
        until = min(until, now + self._max_pause)
        if until > self._pause_until:
            self._pause_until = until
        if measure_after and self._mode == RATE and until > self._mark_at:
            # Nothing is accepted while everyone waits: measure from the end of the wait.
            self._mark_at, self._mark_ok = until, self._ok

    def _calm(self, now: float) -> None:
        """End limiting after a quiet spell, or once the pace has probed far past its cut."""
        quiet = now - self._last_limited > self._quiet_period
        if not quiet and not (self._mode == RATE and _growth(now - self._cut_at) > _MAX_GROWTH):
            return
        self._mode = None
        self._ok_calm = 0
        self._calm_since = now
        self._peak = None
        self._refused_at = math.inf
        self._wait_end = None
        if self._queue:
            self._dispatch()

    # -- waiters -----------------------------------------------------------------------------

    def _gate(self, now: float) -> float:
        """Seconds until the next request may go; ``inf`` while the window is full."""
        wait = self._pause_until - now
        mode = self._mode
        if mode == RATE:
            wait = max(wait, self._slot + 1.0 / self._pace(now) - now)
        elif mode == CONCURRENCY and self._in_flight >= int(self._window):
            return math.inf
        return wait

    def _grant(self, now: float) -> None:
        self._in_flight += 1
        if self._mode == RATE:
            interval = 1.0 / self._pace(now)
            ideal = self._slot + interval
            # A timer that fires a little late keeps the schedule; after an idle spell (or a
            # pause) the schedule restarts now instead of granting a burst.
            self._slot = ideal if ideal >= now - min(0.5 * interval, 0.01) else now

    def _give_back(self) -> None:
        if self._in_flight > 0:
            self._in_flight -= 1
        if self._mode == RATE:
            self._slot -= 1.0 / self._pace(self._clock())

    def _dispatch(self) -> None:
        queue = self._queue
        now = self._clock()
        while queue:
            waiter = queue[0]
            if waiter.done():  # cancelled while waiting
                queue.popleft()
                continue
            wait = self._gate(now)
            if wait > 0.0:
                if wait != math.inf:
                    self._arm(now + wait)
                return
            queue.popleft()
            self._grant(now)
            waiter.set_result(None)

    def _deferred_dispatch(self) -> None:
        self._dispatch_soon = False
        self._dispatch()

    def _arm(self, at: float) -> None:
        timer = self._timer
        if timer is not None and not timer.done():
            if self._timer_at <= at + 1e-6:
                return  # it fires first and dispatches again
            timer.cancel()
        self._timer_at = at
        self._timer = asyncio.ensure_future(self._tick(at - self._clock()))

    async def _tick(self, wait: float) -> None:
        await self._sleep(max(wait, 0.0))
        if self._timer is asyncio.current_task():
            self._timer = None
            self._timer_at = math.inf
        self._dispatch()

    def __repr__(self) -> str:
        if self._mode == RATE:
            state = f"rate={self._pace(self._clock()):.4g}"
        elif self._mode == CONCURRENCY:
            state = f"window={int(self._window)}"
        else:
            state = "unlimited"
        return f"AdaptiveThrottle({state})"
