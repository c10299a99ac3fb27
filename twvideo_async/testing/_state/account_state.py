"""The emulator's state (``emu.state``): one store of records plus the parts that change them.

Handlers validate requests and call these operations; tests can call them directly (through
``emu.state``) to simulate what only a client SDK or Twilio's media servers can do over REST:
participants joining, publishing tracks and leaving. Recording rules are evaluated on every change,
so recordings start and stop the way Twilio's declarative rules make them.

:class:`State` is composed, not inherited: it holds a :class:`.store.Store` (records, SIDs, clock)
and one part per concern, each with its own methods: :class:`.rooms_state.RoomsState`,
:class:`.recordings_state.RecordingsState`, :class:`.compositions_state.CompositionsState` and
:class:`.transcriptions_state.TranscriptionsState`. It re-exports the parts' operations under their
historical names (``emu.state.create_room(...)``) and implements the one operation that spans them
all, :meth:`State.complete_room`.
"""

from __future__ import annotations

import random
from datetime import datetime

from .._twilio_errors import ROOM_STATUS_INVALID, ApiError
from .clock import EmulatorClock
from .compositions_state import CompositionsState
from .recordings_state import RecordingsState
from .records import Room
from .rooms_state import RoomsState
from .store import DEFAULT_MAX_PARTICIPANTS, DEFAULT_TRACKS, ROOM_TYPES, Store, is_sid
from .transcriptions_state import TranscriptionsState

__all__ = ["DEFAULT_MAX_PARTICIPANTS", "DEFAULT_TRACKS", "ROOM_TYPES", "State", "is_sid"]


class State:
    """Every resource of one emulated account, plus the operations that change them."""

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
        store = Store(
            seed=seed,
            account_sid=account_sid,
            clock=clock,
            media_size=media_size,
            composition_delay=composition_delay,
            composition_reads=composition_reads,
        )
        self.store = store
        self.recordings_state = RecordingsState(store)
        self.rooms_state = RoomsState(store, self.recordings_state)
        self.compositions_state = CompositionsState(store)
        self.transcriptions_state = TranscriptionsState(store)

        # The records, shared with the parts (the same objects, never rebound).
        self.rng: random.Random = store.rng
        self.account_sid = store.account_sid
        self.clock = store.clock
        self.rooms = store.rooms
        self.recordings = store.recordings
        self.compositions = store.compositions
        self.hooks = store.hooks
        self.recording_settings = store.recording_settings
        self.composition_settings = store.composition_settings
        self.new_sid = store.new_sid
        self.new_ttid = store.new_ttid
        self.next_seq = store.next_seq
        self.now = store.now

        # Each part's operations, under the names tests and handlers call on ``emu.state``.
        rooms = self.rooms_state
        self.create_room = rooms.create_room
        self.in_progress_room_named = rooms.in_progress_room_named
        self.find_room = rooms.find_room
        self.connect_participant = rooms.connect_participant
        self.publish_track = rooms.publish_track
        self.unpublish_track = rooms.unpublish_track
        self.disconnect_participant = rooms.disconnect_participant
        self.find_participant = rooms.find_participant
        self.subscribed_tracks = rooms.subscribed_tracks
        recordings = self.recordings_state
        self.set_recording_rules = recordings.set_recording_rules
        self.apply_recording_rules = recordings.apply_recording_rules
        self.start_recording = recordings.start_recording
        self.stop_recording = recordings.stop_recording
        self.find_recording = recordings.find_recording
        self.delete_recording = recordings.delete_recording
        compositions = self.compositions_state
        self.create_composition = compositions.create_composition
        self.find_composition = compositions.find_composition
        self.refresh_compositions = compositions.refresh_compositions
        self.observe_composition = compositions.observe_composition
        self.complete_composition = compositions.complete_composition
        self.fail_composition = compositions.fail_composition
        self.delete_composition = compositions.delete_composition
        self.create_hook = compositions.create_hook
        self.find_hook = compositions.find_hook
        transcriptions = self.transcriptions_state
        self.create_transcription = transcriptions.create_transcription
        self.set_transcription_status = transcriptions.set_transcription_status
        self.transcription_duration = transcriptions.transcription_duration

    # Settings a test may change after start; they live on the store, where the parts read them.

    @property
    def media_size(self) -> int:
        """Bytes of media each new recording or composition gets."""
        return self.store.media_size

    @media_size.setter
    def media_size(self, value: int) -> None:
        self.store.media_size = value

    @property
    def composition_delay(self) -> float | None:
        """Seconds on the clock after which a composition completes (None: count reads)."""
        return self.store.composition_delay

    @composition_delay.setter
    def composition_delay(self, value: float | None) -> None:
        self.store.composition_delay = value

    @property
    def composition_reads(self) -> int:
        """Reads of a composition of a completed room before it completes."""
        return self.store.composition_reads

    @composition_reads.setter
    def composition_reads(self, value: int) -> None:
        self.store.composition_reads = value

    def complete_room(self, room: Room, *, at: datetime | None = None) -> Room:
        """End an in-progress room: participants leave, recordings finish, hooks run."""
        if room.status != "in-progress":
            raise ApiError(
                400, ROOM_STATUS_INVALID, f"Room {room.sid} is not in-progress ({room.status})"
            )
        when = at or self.now()
        for participant in list(room.participants.values()):
            if participant.status != "disconnected":
                self.disconnect_participant(participant, at=when)
        for transcription in room.transcriptions.values():
            if transcription.status == "started":
                self.set_transcription_status(transcription, "stopped", at=when)
        room.status = "completed"
        room.end_time = when
        room.date_updated = when
        self.compositions_state.room_completed(room, when)
        return room
