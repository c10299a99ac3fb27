"""Offline testing tools: a local Twilio Video v1 emulator and its pytest fixtures.

``from twvideo_async.testing import Emulator, Seed`` gives a stateful API server plus an S3-like
storage origin on loopback, seeded deterministically, with fault injection for rate limits,
server errors and broken downloads. Names are loaded on first use, so importing this package (as
the pytest plugin does in every test run) costs nothing until an emulator is needed.

Layout (everything below is private; the names above are the public API):

- ``emulator.py``: :class:`Emulator` and :func:`serve`, which wire the parts below together.
- ``pytest_plugin.py``: the ``twvideo_emulator`` and ``twvideo_client`` fixtures (``pytest11``).
- ``_twilio_errors.py``: Twilio's error codes and ``ApiError``, raised by every layer below.
- ``_state/``: the in-memory account. ``records`` (rooms, participants, tracks, recordings,
  compositions, hooks, settings, transcriptions), ``store`` (records, SIDs, the clock),
  ``account_state`` (:class:`State`, composed of ``rooms_state``, ``recordings_state``,
  ``compositions_state`` and ``transcriptions_state``), ``clock`` (:class:`EmulatorClock`),
  ``track_rules`` and ``video_layout`` (the JSON documents the state validates) and ``seeding``
  (:class:`Seed`).
- ``_faults/``: ``fault_rules`` (the rules and the errors they answer) and ``controls``
  (:class:`Faults`, ``emu.faults``: installing rules and deciding each request's fate).
- ``_storage/``: the S3-like origin. ``origin`` (the aiohttp app, ``Range``, S3 XML errors,
  :class:`StorageRequest`), ``url_signing`` (expiring signed URLs), ``media_objects`` (which
  object a SID names) and ``media_keystream`` (the deterministic bytes, :func:`media_bytes`).
- ``_http/``: the API origin. ``api_app`` (the middleware: auth, faults, Twilio's envelope),
  ``handler_context``, ``form_params``, ``paging_envelope``, ``error_answers``, ``resource_json``
  (response bodies) and one ``*_handlers`` module per resource.

Layers import downward only: ``_http`` -> ``_storage`` -> ``_faults`` -> ``_state`` ->
``_twilio_errors`` (``tests/test_emulator_layout.py`` checks it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._faults.controls import Faults
    from ._faults.fault_rules import ConcurrencyLimit, FaultRule, RateLimit
    from ._state.account_state import State
    from ._state.clock import EmulatorClock
    from ._state.seeding import Seed, Seeded
    from ._storage.media_keystream import iter_media, media_bytes, media_etag, media_sha256
    from ._storage.origin import StorageRequest
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
    "StorageRequest": "._storage.origin",
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
