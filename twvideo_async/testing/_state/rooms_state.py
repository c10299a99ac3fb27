"""Live rooms: creation and lookup, participants joining and leaving, and published tracks.

Every change to who publishes what is handed to :class:`.recordings_state.RecordingsState`, which
starts and stops recordings as the room's recording rules select tracks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .._twilio_errors import (
    MAX_PARTICIPANTS_OUT_OF_RANGE,
    ROOM_COMPLETED,
    ROOM_EXISTS,
    ROOM_NAME_TOO_LONG,
    ApiError,
    not_found,
)
from .recordings_state import RecordingsState
from .records import Participant, PublishedTrack, Room
from .store import DEFAULT_MAX_PARTICIPANTS, DEFAULT_TRACKS, ROOM_TYPES, Store, is_sid
from .track_rules import select_tracks


class RoomsState:
    """Operations on rooms while they run, their participants and their tracks."""

    def __init__(self, store: Store, recordings: RecordingsState) -> None:
        self._store = store
        self._recordings = recordings

    # -- rooms -----------------------------------------------------------------------------------

    def create_room(
        self,
        *,
        unique_name: str | None = None,
        type: str = "group",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        max_participants: int | None = None,
        max_participant_duration: int = 14_400,
        max_concurrent_published_tracks: int = 0,
        record_participants_on_connect: bool = False,
        video_codecs: Sequence[str] = ("VP8",),
        media_region: str = "us1",
        audio_only: bool = False,
        empty_room_timeout: int = 5,
        unused_room_timeout: int = 5,
        large_room: bool = False,
        recording_rules: list[dict[str, Any]] | None = None,
        at: datetime | None = None,
    ) -> Room:
        """Create an ``in-progress`` room; ``unique_name`` must be free among in-progress rooms."""
        if type not in ROOM_TYPES:
            raise ValueError(f"type must be one of {', '.join(ROOM_TYPES)}")
        if unique_name is not None:
            if len(unique_name) > 128:
                raise ApiError(400, ROOM_NAME_TOO_LONG, "UniqueName is longer than 128 characters")
            if self.in_progress_room_named(unique_name) is not None:
                raise ApiError(
                    400, ROOM_EXISTS, f"Room exists: an in-progress room is named {unique_name}"
                )
        limit = DEFAULT_MAX_PARTICIPANTS[type]
        if max_participants is None:
            max_participants = limit
        elif not 1 <= max_participants <= limit:
            raise ApiError(
                400,
                MAX_PARTICIPANTS_OUT_OF_RANGE,
                f"MaxParticipants must be between 1 and {limit} for {type} rooms",
            )
        when = at or self._store.now()
        sid = self._store.new_sid("RM")
        if recording_rules is None:
            recording_rules = (
                [{"type": "include", "all": True}] if record_participants_on_connect else []
            )
        room = Room(
            sid=sid,
            seq=self._store.next_seq(),
            unique_name=unique_name if unique_name is not None else sid,
            type=type,
            status="in-progress",
            date_created=when,
            date_updated=when,
            status_callback=status_callback,
            status_callback_method=status_callback_method,
            max_participants=max_participants,
            max_participant_duration=max_participant_duration,
            max_concurrent_published_tracks=max_concurrent_published_tracks,
            record_participants_on_connect=record_participants_on_connect,
            video_codecs=list(video_codecs),
            media_region=media_region,
            audio_only=audio_only,
            empty_room_timeout=empty_room_timeout,
            unused_room_timeout=unused_room_timeout,
            large_room=large_room,
            enable_turn=True,
            recording_rules=recording_rules,
            rules_date_created=when,
            rules_date_updated=when,
        )
        self._store.rooms[sid] = room
        return room

    def in_progress_room_named(self, name: str) -> Room | None:
        for room in self._store.rooms.values():
            if room.status == "in-progress" and room.unique_name == name:
                return room
        return None

    def find_room(self, key: str, *, by_name: bool = True) -> Room:
        """Resolve a room SID, or the unique name of an in-progress room; 404 otherwise."""
        room = self._store.rooms.get(key) if is_sid(key, "RM") else None
        if room is None and by_name:
            room = self.in_progress_room_named(key)
        if room is None:
            raise not_found(f"Room {key}")
        return room

    # -- participants and tracks ------------------------------------------------------------------

    def connect_participant(
        self,
        room: Room | str,
        identity: str,
        *,
        tracks: Iterable[tuple[str, str]] = DEFAULT_TRACKS,
        at: datetime | None = None,
    ) -> Participant:
        """Simulate a client joining ``room`` as ``identity``, publishing ``(kind, name)`` tracks.

        A connected participant with the same identity is disconnected first, as Twilio does.
        """
        if isinstance(room, str):
            room = self.find_room(room)
        if room.status != "in-progress":
            raise ApiError(400, ROOM_COMPLETED, f"Room {room.sid} is not in-progress")
        if not identity or len(identity) > 128:
            raise ValueError("identity must be 1 to 128 characters")
        when = at or self._store.now()
        for other in room.participants.values():
            if other.identity == identity and other.status == "connected":
                self.disconnect_participant(other, at=when)
        connected = sum(1 for p in room.participants.values() if p.status == "connected")
        if connected >= room.max_participants:
            raise ValueError(f"room {room.sid} already has {connected} connected participants")
        participant = Participant(
            sid=self._store.new_sid("PA"),
            seq=self._store.next_seq(),
            room_sid=room.sid,
            identity=identity,
            status="connected",
            date_created=when,
            date_updated=when,
            start_time=when,
        )
        room.participants[participant.sid] = participant
        for kind, name in tracks:
            self.publish_track(participant, kind, name, at=when)
        return participant

    def publish_track(
        self,
        participant: Participant,
        kind: str,
        name: str | None = None,
        *,
        at: datetime | None = None,
    ) -> PublishedTrack:
        """Publish a track (``kind`` audio|video|data); recording rules are re-evaluated."""
        if kind not in ("audio", "video", "data"):
            raise ValueError("kind must be audio, video or data")
        if participant.status != "connected":
            raise ValueError(f"participant {participant.sid} is not connected")
        when = at or self._store.now()
        sid = self._store.new_sid("MT")
        track = PublishedTrack(
            sid=sid,
            seq=self._store.next_seq(),
            room_sid=participant.room_sid,
            participant_sid=participant.sid,
            name=name or sid,
            kind=kind,
            enabled=True,
            date_created=when,
            date_updated=when,
        )
        participant.tracks[sid] = track
        self._recordings.apply_recording_rules(self._store.rooms[participant.room_sid], at=when)
        return track

    def unpublish_track(self, track: PublishedTrack, *, at: datetime | None = None) -> None:
        """Remove a published track; its recording (if any) completes."""
        room = self._store.rooms[track.room_sid]
        participant = room.participants[track.participant_sid]
        participant.tracks.pop(track.sid, None)
        self._recordings.stop_recording(room, track.sid, at or self._store.now())

    def disconnect_participant(
        self, participant: Participant, *, at: datetime | None = None
    ) -> None:
        """Simulate a participant leaving: its recordings complete; its tracks stay listed."""
        if participant.status == "disconnected":
            return
        when = at or self._store.now()
        room = self._store.rooms[participant.room_sid]
        participant.status = "disconnected"
        participant.end_time = when
        participant.date_updated = when
        for track_sid in participant.tracks:
            self._recordings.stop_recording(room, track_sid, when)
        for track in participant.tracks.values():
            track.enabled = False
            track.date_updated = when

    def find_participant(self, room: Room, key: str) -> Participant:
        """A participant by SID, or by identity among connected participants; 404 otherwise."""
        if is_sid(key, "PA"):
            found = room.participants.get(key)
        else:
            found = next(
                (
                    p
                    for p in room.participants.values()
                    if p.identity == key and p.status == "connected" and not p.anonymized
                ),
                None,
            )
        if found is None:
            raise not_found(f"Participant {key}")
        return found

    def subscribed_tracks(
        self, participant: Participant
    ) -> list[tuple[PublishedTrack, Participant]]:
        """Tracks of other connected participants selected by ``participant``'s subscribe rules."""
        if participant.status != "connected":
            return []
        room = self._store.rooms[participant.room_sid]
        candidates = [
            (track, other)
            for other in room.participants.values()
            if other is not participant and other.status == "connected"
            for track in other.tracks.values()
        ]
        selected = select_tracks(participant.subscribe_rules, candidates)
        return [(track, owner) for track, owner in candidates if track.sid in selected]
