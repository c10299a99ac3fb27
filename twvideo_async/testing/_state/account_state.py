"""The emulator's state: the store plus every Video API state transition.

Handlers validate requests and call these methods; tests can call them directly (through
``emu.state``) to simulate what only a client SDK or Twilio's media servers can do over REST:
participants joining, publishing tracks and leaving. Recording rules are evaluated on every change,
so recordings start and stop the way Twilio's declarative rules make them.
"""

from __future__ import annotations

from datetime import datetime

from .._twilio_errors import ROOM_STATUS_INVALID, ApiError
from .compositions_state import ProducedState
from .records import Room
from .rooms_state import LiveState
from .store import DEFAULT_MAX_PARTICIPANTS, DEFAULT_TRACKS, ROOM_TYPES, is_sid

__all__ = ["DEFAULT_MAX_PARTICIPANTS", "DEFAULT_TRACKS", "ROOM_TYPES", "State", "is_sid"]


class State(LiveState, ProducedState):
    """Every resource of one emulated account, plus the operations that change them."""

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
        for composition in self.compositions.values():
            if composition.room_sid == room.sid and composition.ready_at is None:
                composition.ready_at = when
                self._progress_composition(composition, read=False)
        self._run_hooks(room, when)
        return room
