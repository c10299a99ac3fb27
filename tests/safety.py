"""A wall-clock safety net for tests of hostile servers: a regression fails, it never hangs."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def safety_timeout(seconds: float) -> AsyncIterator[None]:
    """``asyncio.timeout`` (Python 3.11+), or the same by cancelling the task on 3.10."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            yield
        return
    task = asyncio.current_task()  # pragma: no cover - Python 3.10
    assert task is not None
    fired = False

    def fire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(seconds, fire)
    try:
        yield
    except asyncio.CancelledError:
        if fired:
            raise TimeoutError(f"safety timeout of {seconds:g}s ran out") from None
        raise
    finally:
        handle.cancel()
