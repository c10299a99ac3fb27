"""Offline testing tools: a local Twilio Video v1 emulator and its pytest fixtures.

``from twvideo_async.testing import Emulator, Seed`` gives a stateful API server plus an S3-like
storage origin on loopback, seeded deterministically, with fault injection for rate limits,
server errors and broken downloads. Names are loaded on first use, so importing this package (as
the pytest plugin does in every test run) costs nothing until an emulator is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import EmulatorClock
    from ._context import StorageRequest
    from ._fault_rules import ConcurrencyLimit, FaultRule, RateLimit
    from ._faults import Faults
    from ._keystream import iter_media, media_bytes, media_etag, media_sha256
    from ._seed import Seed, Seeded
    from ._state import State
    from .emulator import Emulator, serve

_EXPORTS = {
    "ConcurrencyLimit": "._fault_rules",
    "Emulator": ".emulator",
    "EmulatorClock": "._clock",
    "FaultRule": "._fault_rules",
    "Faults": "._faults",
    "RateLimit": "._fault_rules",
    "Seed": "._seed",
    "Seeded": "._seed",
    "State": "._state",
    "StorageRequest": "._context",
    "iter_media": "._keystream",
    "media_bytes": "._keystream",
    "media_etag": "._keystream",
    "media_sha256": "._keystream",
    "serve": ".emulator",
}

__all__ = [
    "ConcurrencyLimit",
    "Emulator",
    "EmulatorClock",
    "FaultRule",
    "Faults",
    "RateLimit",
    "Seed",
    "Seeded",
    "State",
    "StorageRequest",
    "iter_media",
    "media_bytes",
    "media_etag",
    "media_sha256",
    "serve",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
