"""What the test servers (``redis_server``, ``pg_server``, ``s3_server``) share: a missing server
skips its tests with the reason, or fails them when ``TWVIDEO_REQUIRE_SERVERS=1`` (set by
``.ci/run``, so CI never passes by skipping); a free loopback port; finding a server's binary and
the client library its tests need."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["REQUIRE", "find_binary", "free_port", "need_module", "unavailable"]

REQUIRE = os.environ.get("TWVIDEO_REQUIRE_SERVERS") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip (a developer machine) or fail (CI) for a missing server."""
    if REQUIRE:
        pytest.fail(f"TWVIDEO_REQUIRE_SERVERS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on now (for servers that must be told their port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def find_binary(name: str, folders: Iterable[str] = ()) -> str | None:
    """``name`` on the ``PATH``, else in one of ``folders``; None if neither has it."""
    found = shutil.which(name)
    if found:
        return found
    for folder in folders:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return None


def need_module(name: str, hint: str) -> None:
    """:func:`unavailable` unless the module ``name`` imports (``hint``: how to install it)."""
    try:
        importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} is not installed ({hint})")
