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
    from ._faults.controls import Faults
    from ._faults.fault_rules import ConcurrencyLimit, FaultRule, RateLimit
    from ._http.handler_context import StorageRequest
    from ._state.account_state import State
    from ._state.clock import EmulatorClock
    from ._state.seeding import Seed, Seeded
    from ._storage.media_keystream import iter_media, media_bytes, media_etag, media_sha256
    from .emulator import Emulator, serve

_EXPORTS = {
    "ConcurrencyLimit": "._faults.fault_rules",
    "Emulator": ".emulator",
    "EmulatorClock": "._state.clock",
    "FaultRule": "._faults.fault_rules",
    "Faults": "._faults.controls",
    "RateLimit": "._faults.fault_rules",
    "Seed": "._state.seeding",
    "Seeded": "._state.seeding",
    "State": "._state.account_state",
    "StorageRequest": "._http.handler_context",
    "iter_media": "._storage.media_keystream",
    "media_bytes": "._storage.media_keystream",
    "media_etag": "._storage.media_keystream",
    "media_sha256": "._storage.media_keystream",
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
