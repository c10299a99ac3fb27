"""Live rooms: creation and lookup, participants joining and leaving, published tracks, and
recordings that start and stop as Twilio's declarative recording rules select tracks."""

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
from .clock import seconds_between
from .records import Participant, PublishedTrack, Recording, Room
from .store import DEFAULT_MAX_PARTICIPANTS, DEFAULT_TRACKS, ROOM_TYPES, Store, is_sid
from .track_rules import select_tracks


class LiveState(Store):
    """Operations on rooms while they run (see :class:`._state.State`)."""

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
        when = at or self.now()
        sid = self.new_sid("RM")
        if recording_rules is None:
            recording_rules = (
                [{"type": "include", "all": True}] if record_participants_on_connect else []
            )
        room = Room(
            sid=sid,
            seq=self.next_seq(),
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
        self.rooms[sid] = room
        return room

    def in_progress_room_named(self, name: str) -> Room | None:
        for room in self.rooms.values():
            if room.status == "in-progress" and room.unique_name == name:
                return room
        return None

    def find_room(self, key: str, *, by_name: bool = True) -> Room:
        """Resolve a room SID, or the unique name of an in-progress room; 404 otherwise."""
        room = self.rooms.get(key) if is_sid(key, "RM") else None
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
        when = at or self.now()
        for other in room.participants.values():
            if other.identity == identity and other.status == "connected":
                self.disconnect_participant(other, at=when)
        connected = sum(1 for p in room.participants.values() if p.status == "connected")
        if connected >= room.max_participants:
            raise ValueError(f"room {room.sid} already has {connected} connected participants")
        participant = Participant(
            sid=self.new_sid("PA"),
            seq=self.next_seq(),
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
        when = at or self.now()
        sid = self.new_sid("MT")
        track = PublishedTrack(
            sid=sid,
            seq=self.next_seq(),
            room_sid=participant.room_sid,
            participant_sid=participant.sid,
            name=name or sid,
            kind=kind,
            enabled=True,
            date_created=when,
            date_updated=when,
        )
        participant.tracks[sid] = track
        self.apply_recording_rules(self.rooms[participant.room_sid], at=when)
        return track

    def unpublish_track(self, track: PublishedTrack, *, at: datetime | None = None) -> None:
        """Remove a published track; its recording (if any) completes."""
        room = self.rooms[track.room_sid]
        participant = room.participants[track.participant_sid]
        participant.tracks.pop(track.sid, None)
        self.stop_recording(room, track.sid, at or self.now())

    def disconnect_participant(
        self, participant: Participant, *, at: datetime | None = None
    ) -> None:
        """Simulate a participant leaving: its recordings complete; its tracks stay listed."""
        if participant.status == "disconnected":
            return
        when = at or self.now()
        room = self.rooms[participant.room_sid]
        participant.status = "disconnected"
        participant.end_time = when
        participant.date_updated = when
        for track_sid in participant.tracks:
            self.stop_recording(room, track_sid, when)
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
        room = self.rooms[participant.room_sid]
        candidates = [
            (track, other)
            for other in room.participants.values()
            if other is not participant and other.status == "connected"
            for track in other.tracks.values()
        ]
        selected = select_tracks(participant.subscribe_rules, candidates)
        return [(track, owner) for track, owner in candidates if track.sid in selected]

    # -- recordings ------------------------------------------------------------------------------

    def set_recording_rules(
        self, room: Room, rules: list[dict[str, Any]], *, at: datetime | None = None
    ) -> None:
        """Replace the room's recording rules (rules are stateless: a POST replaces all)."""
        if room.status != "in-progress":
            raise ApiError(400, ROOM_COMPLETED, f"Room {room.sid} is not in-progress")
        when = at or self.now()
        room.recording_rules = rules
        room.rules_date_updated = when
        self.apply_recording_rules(room, at=when)

    def apply_recording_rules(self, room: Room, *, at: datetime | None = None) -> None:
        """Start recordings for newly selected tracks and finish those no longer selected."""
        if room.status != "in-progress":
            return
        when = at or self.now()
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
            sid=self.new_sid("RT"),
            seq=self.next_seq(),
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
            planned_size=self.media_size,
        )
        self.recordings[recording.sid] = recording
        room.active_recordings[track.sid] = recording.sid
        return recording

    def stop_recording(self, room: Room, track_sid: str, at: datetime) -> None:
        recording_sid = room.active_recordings.pop(track_sid, None)
        if recording_sid is not None:
            recording = self.recordings[recording_sid]
            if recording.status == "processing":
                recording.status = "completed"
                recording.duration = seconds_between(recording.date_created, at)
                recording.size = recording.planned_size

    def find_recording(self, sid: str, *, room: Room | None = None) -> Recording:
        recording = self.recordings.get(sid) if is_sid(sid, "RT") else None
        if recording is None or (room is not None and recording.room_sid != room.sid):
            raise not_found(f"Recording {sid}")
        return recording

    def delete_recording(self, recording: Recording) -> None:
        """Delete the media; the metadata stays with status ``deleted``."""
        if recording.status == "deleted":
            return
        room = self.rooms.get(recording.room_sid)
        if room is not None and room.active_recordings.get(recording.source_sid) == recording.sid:
            del room.active_recordings[recording.source_sid]
        recording.status = "deleted"
        recording.date_deleted = self.now()
