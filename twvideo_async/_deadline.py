"""One timer per event loop for every time limit in flight: call deadlines and read gaps.

``asyncio.timeout()`` (or ``wait_for``) costs a timer handle per call: built, pushed on the
loop's heap, cancelled, popped again. So does aiohttp's read-gap timeout, and that one is re-armed
on every chunk of every answer. At thousands of calls per second those timers were a fifth of
the client's CPU per fetch, although almost none of them ever fires.

A :class:`Sweeper` holds the limits of one event loop instead. Watching a limit is a set
insertion and a float; one loop timer is armed for the earliest due time, and when it fires the
sweeper ends what has expired and re-arms for the earliest still pending. A limit that is pushed
back (a read gap re-armed by new bytes) or let go (a finished call) costs nothing more: the
timer finds it later, not expired. Nothing fires late: a new limit earlier than the armed one
re-arms the timer at once.

The sweeper owns no task, so there is nothing to leak: its one timer handle belongs to its loop
and stops re-arming once nothing is watched (:meth:`Sweeper.close` cancels it outright). Times
are ``time.monotonic()`` seconds; the loop timer is set by delay, so a loop whose own clock
differs (uvloop) still fires at the right moment.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Callable

_INF = math.inf

# A timer may run up to the loop's clock resolution early: a limit due within this of now is
# treated as expired rather than re-armed for a few microseconds.
_SLACK = 0.001


class Watch:
    """A time limit: ``due`` in ``time.monotonic()`` seconds, and what to do when it passes."""

    __slots__ = ("due",)

    def __init__(self) -> None:
        self.due = math.inf

    def expire(self) -> None:
        raise NotImplementedError


class CallDeadline(Watch):
    """The deadline of the task that is running now: expiring cancels the task, the way
    ``asyncio.timeout()`` does, and :meth:`timed_out` tells that cancellation apart from one
    that came from outside (which must propagate as ``CancelledError``)."""

    __slots__ = ("_cancelling", "_task", "expired")

    def __init__(self) -> None:
        self.due = _INF
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - the request loop always runs in a task
            raise RuntimeError("a call deadline needs a running task")
        self._task = task
        self._cancelling = 0
        if sys.version_info >= (3, 11):
            self._cancelling = task.cancelling()
        self.expired = False

    def expire(self) -> None:
        self.expired = True
        self._task.cancel()

    def timed_out(self) -> bool:
        """Called on ``CancelledError`` (or on leaving after an expiry): True when the
        cancellation is this deadline's own, which is then withdrawn from the task's count."""
        if not self.expired:
            return False
        if sys.version_info >= (3, 11):
            return self._task.uncancel() <= self._cancelling
        return True  # pragma: no cover - Python 3.10 cannot tell the two apart


class Sweeper:
    """The time limits of one event loop, checked by one timer."""

    __slots__ = ("_clock", "_handle", "_loop", "_watched", "_when")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._loop = loop
        self._clock = clock
        self._watched: set[Watch] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf  # due time the timer is armed for; inf when none is

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def __len__(self) -> int:
        return len(self._watched)

    def watch(self, watch: Watch, due: float) -> None:
        """Watch (or re-arm) ``watch`` until ``due``; expire it then unless let go first."""
        watch.due = due
        self._watched.add(watch)
        if due < self._when:
            self._arm(due)

    def watch_for(self, watch: Watch, seconds: float) -> None:
        # ``watch`` inlined: one call fewer for every call's deadline.
        due = watch.due = self._clock() + seconds
        self._watched.add(watch)
        if due < self._when:
            self._arm(due)

    def unwatch(self, watch: Watch) -> None:
        self._watched.discard(watch)

    def _arm(self, due: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._when = due
        self._handle = self._loop.call_later(max(due - self._clock(), 0.0), self._sweep)

    def _sweep(self) -> None:
        self._handle = None
        self._when = math.inf
        now = self._clock() + _SLACK
        expired = [w for w in self._watched if w.due <= now]
        for watch in expired:
            self._watched.discard(watch)
        if self._watched:
            self._arm(min(w.due for w in self._watched))
        for watch in expired:
            # One limit's handler must not keep the others from firing: a failure here is
            # the loop's to report, like any callback's.
            try:
                watch.expire()
            except Exception as exc:  # pragma: no cover - expire() methods do not raise
                self._loop.call_exception_handler(
                    {"message": "a time limit's expiry failed", "exception": exc}
                )

    def close(self) -> None:
        """Stop the timer. Limits still watched are kept and re-arm it when one is added."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = math.inf
        if self._watched and not self._loop.is_closed():
            # Calls still in flight keep their limits: re-arm for the earliest.
            self._arm(min(w.due for w in self._watched))
