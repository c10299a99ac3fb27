"""The per-loop sweeper (``_deadline``): call deadlines and read gaps without a timer per call.

Unit tests drive :class:`Sweeper` directly; the loopback tests prove the guarantees it carries
for the client: a call's deadline still ends a hanging call with the same ``APITimeoutError``, a
stalled body still hits the read-gap limit while a slow but steady one does not, an outside
cancellation stays a cancellation, and no per-call timer is created on the fetch path.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.client_proto import ResponseHandler

from tests.helpers import ROOM_SID, base_url, make_client, room_json, serve
from twvideo_async._deadline import CallDeadline, Sweeper, Watch
from twvideo_async._options import Timeout
from twvideo_async._transport import sweep_read_gaps
from twvideo_async.errors import APITimeoutError


class Flag(Watch):
    __slots__ = ("event",)

    def __init__(self) -> None:
        super().__init__()
        self.event = asyncio.Event()

    def expire(self) -> None:
        self.event.set()


async def test_the_earliest_limit_fires_and_the_later_ones_wait() -> None:
    sweeper = Sweeper(asyncio.get_running_loop())
    soon, later, let_go = Flag(), Flag(), Flag()
    sweeper.watch_for(later, 60)
    sweeper.watch_for(let_go, 0.01)
    sweeper.watch_for(soon, 0.02)  # earlier than the armed 60 s: re-arms the timer
    sweeper.unwatch(let_go)
    await asyncio.wait_for(soon.event.wait(), 10)
    assert not later.event.is_set() and not let_go.event.is_set()
    assert len(sweeper) == 1
    sweeper.close()  # the call still watched keeps its limit
    assert len(sweeper) == 1
    sweeper.unwatch(later)
    sweeper.close()


async def test_a_limit_pushed_back_fires_at_its_new_time_only() -> None:
    sweeper = Sweeper(asyncio.get_running_loop())
    gap, marker = Flag(), Flag()
    sweeper.watch_for(gap, 0.01)
    sweeper.watch_for(gap, 30)  # new bytes arrived: the gap starts over
    sweeper.watch_for(marker, 0.05)
    await asyncio.wait_for(marker.event.wait(), 10)
    # The timer armed for 0.01 s ran first and found the gap not yet due.
    assert not gap.event.is_set() and len(sweeper) == 1
    sweeper.unwatch(gap)
    sweeper.close()


async def test_a_call_deadline_cancels_its_task_and_says_so() -> None:
    sweeper = Sweeper(asyncio.get_running_loop())

    async def call() -> str:
        limit = CallDeadline()
        sweeper.watch_for(limit, 0.01)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            if limit.timed_out():
                return "timed out"
            raise
        finally:
            sweeper.unwatch(limit)
        return "finished"

    assert await asyncio.create_task(call()) == "timed out"
    task = asyncio.current_task()
    if sys.version_info >= (3, 11):
        assert task is not None and task.cancelling() == 0
    assert len(sweeper) == 0


async def test_an_outside_cancel_is_not_taken_for_the_deadline() -> None:
    sweeper = Sweeper(asyncio.get_running_loop())
    started = asyncio.Event()

    async def call() -> None:
        limit = CallDeadline()
        sweeper.watch_for(limit, 30)
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            assert not limit.timed_out()
            raise
        finally:
            sweeper.unwatch(limit)

    task = asyncio.create_task(call())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sweeper.close()


def hanging(before: Callable[[web.StreamResponse], Any] | None = None) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.json_response(room_json())

    return handler


async def test_a_hanging_server_meets_the_call_deadline_with_the_same_error() -> None:
    async with serve([("GET", "/v1/Rooms/{sid}", hanging())]) as server:
        async with make_client(base_url(server), max_retries=0) as client:
            with pytest.raises(APITimeoutError, match=r"did not finish within its 0\.3s timeout"):
                await client.rooms.fetch(ROOM_SID, timeout=0.3)
            # The limit was let go, and the client keeps working on the same loop.
            assert len(client._transport.sweeper()) == 0


def stalling_body(gap: float, pieces: int) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        body = b'{"sid": "' + ROOM_SID.encode() + b'"' + b" " * pieces + b"}"
        for i in range(pieces):
            await resp.write(body[i : i + 1])
            await asyncio.sleep(gap)
        await resp.write(body[pieces:])
        await resp.write_eof()
        return resp

    return handler


async def test_a_stalled_body_hits_the_read_gap_limit() -> None:
    async with serve([("GET", "/v1/Rooms/{sid}", stalling_body(30, 2))]) as server:
        timeout = Timeout(total=60, read=0.3)
        async with make_client(base_url(server), timeout=timeout, max_retries=0) as client:
            with pytest.raises(APITimeoutError, match=r"(Server|Socket)TimeoutError"):
                await client.rooms.fetch(ROOM_SID)
            assert client._transport.read_gaps_swept
            assert len(client._transport.sweeper()) == 0


async def test_a_slow_but_steady_body_is_not_a_read_gap() -> None:
    # Eight gaps of 0.2 s: 1.6 s in all, past the 1 s read limit, but no single gap is.
    async with serve([("GET", "/v1/Rooms/{sid}", stalling_body(0.2, 8))]) as server:
        timeout = Timeout(total=60, read=1.0)
        async with make_client(base_url(server), timeout=timeout, max_retries=0) as client:
            room = await client.rooms.fetch(ROOM_SID)
            assert room.sid == ROOM_SID and client._transport.read_gaps_swept


# Callbacks of the per-call timers the sweeper replaces: asyncio.timeout's, wait_for's and
# aiohttp's read-gap timer.
_PER_CALL_TIMERS = ("Timeout._on_timeout", "_release_waiter", "_on_read_timeout")


async def test_the_fetch_path_schedules_no_timer_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    scheduled: list[str] = []
    call_at = loop.call_at

    def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        name = getattr(callback, "__qualname__", None) or getattr(
            getattr(callback, "func", None), "__qualname__", repr(callback)
        )
        scheduled.append(str(name))
        return call_at(when, callback, *args, **kwargs)

    async with serve([("GET", "/v1/Rooms/{sid}", ok)]) as server:
        async with make_client(base_url(server)) as client:
            # Connections opened first (opening one has its own connect timer), sweeper armed.
            await asyncio.gather(*(client.rooms.fetch(ROOM_SID) for _ in range(40)))
            monkeypatch.setattr(loop, "call_at", counting)
            await asyncio.gather(*(client.rooms.fetch(ROOM_SID) for _ in range(40)))
            for _ in range(10):
                await client.rooms.fetch(ROOM_SID)
            monkeypatch.undo()
    per_call = [name for name in scheduled if name.endswith(_PER_CALL_TIMERS)]
    assert per_call == []
    sweeps = [name for name in scheduled if name.endswith("Sweeper._sweep")]
    assert len(sweeps) <= 2  # re-armed only when an earlier limit came in


async def test_calls_waiting_for_the_concurrency_cap_get_no_timer_or_task_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A call queued behind the cap waits under its deadline through the sweeper too: no
    ``wait_for`` (a task and a timer per waiting call), and the deadline still holds."""
    loop = asyncio.get_running_loop()
    scheduled: list[str] = []
    tasks: list[str] = []
    call_at, create_task = loop.call_at, loop.create_task

    def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        scheduled.append(str(getattr(callback, "__qualname__", repr(callback))))
        return call_at(when, callback, *args, **kwargs)

    def counting_task(coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        tasks.append(getattr(coro, "__qualname__", repr(coro)))
        return create_task(coro, **kwargs)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        return web.json_response(room_json())

    async with serve([("GET", "/v1/Rooms/{sid}", slow)]) as server:
        async with make_client(base_url(server), max_concurrency=2) as client:
            await asyncio.gather(*(client.rooms.fetch(ROOM_SID) for _ in range(4)))
            calls = [asyncio.ensure_future(client.rooms.fetch(ROOM_SID)) for _ in range(30)]
            monkeypatch.setattr(loop, "call_at", counting)
            monkeypatch.setattr(loop, "create_task", counting_task)
            rooms = await asyncio.gather(*calls)
            monkeypatch.undo()
            assert {room.sid for room in rooms} == {ROOM_SID}
            # The deadline still ends a call that waits too long for the cap.
            held = [asyncio.ensure_future(client.rooms.fetch(ROOM_SID)) for _ in range(2)]
            await asyncio.sleep(0.001)
            with pytest.raises(APITimeoutError, match="rate limiter or concurrency cap"):
                await client.rooms.fetch(ROOM_SID, timeout=0.005)
            await asyncio.gather(*held)
    assert [name for name in scheduled if name.endswith(_PER_CALL_TIMERS)] == []
    # The test server's handler tasks run on this loop too; the client's would be Requester's.
    assert [name for name in tasks if "Requester" in name] == []
    assert any("RequestHandler" in name for name in tasks)  # the spy did see task creation


async def ok(request: web.Request) -> web.Response:
    return web.json_response(room_json())


def test_a_client_reused_across_event_loops_gets_a_sweeper_per_loop() -> None:
    async def run() -> tuple[asyncio.AbstractEventLoop, Sweeper, str | None]:
        async with serve([("GET", "/v1/Rooms/{sid}", ok)]) as server:
            async with client:
                client._requester.origin = base_url(server)
                room = await client.rooms.fetch(ROOM_SID, timeout=5)
                sweeper = client._transport.sweeper()
                return asyncio.get_running_loop(), sweeper, room.sid

    client = make_client("http://127.0.0.1:9")
    first = asyncio.run(run())
    second = asyncio.run(run())
    assert first[2] == second[2] == ROOM_SID
    assert first[1] is not second[1]
    assert first[1].loop is first[0] and second[1].loop is second[0]


async def test_without_the_protocol_hooks_aiohttps_own_read_timer_is_kept() -> None:
    """The fallback: a connector whose protocol factory is not the plain ``ResponseHandler``
    one is left alone, and a user's own session (never modified) still meets its read gap."""
    connector = aiohttp.TCPConnector()
    try:
        connector._factory = functools.partial(ResponseHandler, loop=asyncio.get_running_loop())
        swept = sweep_read_gaps(connector, Sweeper(asyncio.get_running_loop()))
        assert swept  # the plain factory is recognised...
        custom = functools.partial(ResponseHandler, asyncio.get_running_loop())
        connector._factory = custom
        assert not sweep_read_gaps(connector, Sweeper(asyncio.get_running_loop()))
        assert connector._factory is custom  # ...anything else is left as it was
    finally:
        await connector.close()
    async with serve([("GET", "/v1/Rooms/{sid}", stalling_body(30, 2))]) as server:
        async with aiohttp.ClientSession() as session:
            # The client's read limit is passed per request on a user's session.
            timeout = Timeout(total=60, read=0.3)
            async with make_client(
                base_url(server), session=session, timeout=timeout, max_retries=0
            ) as client:
                with pytest.raises(APITimeoutError, match=r"(Server|Socket)TimeoutError"):
                    await client.rooms.fetch(ROOM_SID)
                assert not client._transport.read_gaps_swept
