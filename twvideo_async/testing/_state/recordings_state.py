"""Track recordings: they start and stop as Twilio's declarative recording rules select tracks,
and deleting one removes its media but keeps its metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._twilio_errors import ROOM_COMPLETED, ApiError, not_found
from .clock import seconds_between
from .records import Participant, PublishedTrack, Recording, Room
from .store import Store, is_sid
from .track_rules import select_tracks


class RecordingsState:
    """Operations on recordings and on the recording rules that drive them."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def set_recording_rules(
        self, room: Room, rules: list[dict[str, Any]], *, at: datetime | None = None
    ) -> None:
        """Replace the room's recording rules (rules are stateless: a POST replaces all)."""
        if room.status != "in-progress":
            raise ApiError(400, ROOM_COMPLETED, f"Room {room.sid} is not in-progress")
        when = at or self._store.now()
        room.recording_rules = rules
        room.rules_date_updated = when
        self.apply_recording_rules(room, at=when)

    def apply_recording_rules(self, room: Room, *, at: datetime | None = None) -> None:
        """Start recordings for newly selected tracks and finish those no longer selected."""
        if room.status != "in-progress":
            return
        when = at or self._store.now()
        candidates = [
            (track, participant)
            for participant in room.participants.values()
            if participant.status == "connected"
            for track in participant.tracks.values()
            if track.kind in ("audio", "video")
        ]
        selected = select_tracks(room.recording_rules, candidates)
        for track, participant in candidates:
            if track.sid in selected and track.sid not in room.active_recordings:
                self.start_recording(room, participant, track, when)
        for track_sid in list(room.active_recordings):
            if track_sid not in selected:
                self.stop_recording(room, track_sid, when)

    def start_recording(
        self, room: Room, participant: Participant, track: PublishedTrack, at: datetime
    ) -> Recording:
        if track.kind == "audio":
            codec, container = "opus", "mka"
        else:
            codec = (room.video_codecs[0] if room.video_codecs else "VP8").lower()
            container = "mkv"
        recording = Recording(
            sid=self._store.new_sid("RT"),
            seq=self._store.next_seq(),
            room_sid=room.sid,
            participant_sid=participant.sid,
            source_sid=track.sid,
            track_name=track.name,
            type=track.kind,
            codec=codec,
            container_format=container,
            status="processing",
            date_created=at,
            offset=int((at - room.date_created).total_seconds() * 1000),
            status_callback=room.status_callback,
            status_callback_method=room.status_callback_method,
            planned_size=self._store.media_size,
        )
        self._store.recordings[recording.sid] = recording
        room.active_recordings[track.sid] = recording.sid
        return recording

    def stop_recording(self, room: Room, track_sid: str, at: datetime) -> None:
        recording_sid = room.active_recordings.pop(track_sid, None)
        if recording_sid is not None:
            recording = self._store.recordings[recording_sid]
            if recording.status == "processing":
                recording.status = "completed"
                recording.duration = seconds_between(recording.date_created, at)
                recording.size = recording.planned_size

    def find_recording(self, sid: str, *, room: Room | None = None) -> Recording:
        recording = self._store.recordings.get(sid) if is_sid(sid, "RT") else None
        if recording is None or (room is not None and recording.room_sid != room.sid):
            raise not_found(f"Recording {sid}")
        return recording

    def delete_recording(self, recording: Recording) -> None:
        """Delete the media; the metadata stays with status ``deleted``."""
        if recording.status == "deleted":
            return
        room = self._store.rooms.get(recording.room_sid)
        if room is not None and room.active_recordings.get(recording.source_sid) == recording.sid:
            del room.active_recordings[recording.source_sid]
        recording.status = "deleted"
        recording.date_deleted = self._store.now()
