"""The emulator's in-memory store: every record of one emulated account, SIDs and the clock.

The store only holds data; the operations on it live in the state parts (``rooms_state``,
``recordings_state``, ``compositions_state``, ``transcriptions_state``), which
:class:`.account_state.State` composes.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import datetime

from .clock import EmulatorClock
from .records import Composition, CompositionHook, Recording, Room, StorageSettings

ROOM_TYPES = ("group", "group-small", "peer-to-peer", "go")
DEFAULT_MAX_PARTICIPANTS = {"group": 50, "group-small": 4, "peer-to-peer": 10, "go": 2}
DEFAULT_TRACKS: tuple[tuple[str, str], ...] = (("audio", "microphone"), ("video", "camera"))
_SID_RE = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def is_sid(value: str, prefix: str) -> bool:
    """Whether ``value`` looks like a SID with ``prefix`` (two letters + 32 hex digits)."""
    return value.startswith(prefix) and bool(_SID_RE.match(value))


class Store:
    """Records and identifiers; SIDs come from a generator seeded by the emulator's seed."""

    def __init__(
        self,
        *,
        seed: int,
        account_sid: str,
        clock: EmulatorClock,
        media_size: int = 65_536,
        composition_delay: float | None = None,
        composition_reads: int = 2,
    ) -> None:
        self.rng = random.Random(seed)
        self.account_sid = account_sid
        self.clock = clock
        self.media_size = media_size
        self.composition_delay = composition_delay
        self.composition_reads = composition_reads
        self.rooms: dict[str, Room] = {}
        self.recordings: dict[str, Recording] = {}
        self.compositions: dict[str, Composition] = {}
        self.hooks: dict[str, CompositionHook] = {}
        self.recording_settings = StorageSettings()
        self.composition_settings = StorageSettings()
        self._seq = 0

    # -- identifiers -------------------------------------------------------------------------

    def new_sid(self, prefix: str) -> str:
        """A fresh SID; the sequence is fixed by the emulator's seed."""
        return f"{prefix}{self.rng.getrandbits(128):032x}"

    def new_ttid(self) -> str:
        """A transcriptions id in the documented ``video_transcriptions_<uuid>`` form."""
        return f"video_transcriptions_{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def now(self) -> datetime:
        return self.clock.now()
