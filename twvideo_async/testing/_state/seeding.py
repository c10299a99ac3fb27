"""Deterministic sample data: completed rooms with participants, tracks, recordings and
compositions, laid out on a timeline that starts at ``Seed.start``.

The same emulator seed and the same ``Seed`` always produce the same SIDs, names, dates and media
bytes, so tests can assert on exact values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .account_state import State
from .records import PublishedTrack, Room
from .video_layout import region


@dataclass(frozen=True)
class Seed:
    """What :meth:`Emulator.seed` creates, per room.

    Each participant publishes an audio (``microphone``) and a video (``camera``) track; the
    recordings cycle over those tracks (a track recorded twice gets two recording SIDs, as a
    stopped and restarted recording does on Twilio). Every recording and composition has
    ``media_size`` bytes of media.
    """

    rooms: int = 1
    participants_per_room: int = 2
    recordings_per_room: int = 2
    compositions_per_room: int = 1
    media_size: int = 65_536
    start: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc)

    def __post_init__(self) -> None:
        for name in ("rooms", "recordings_per_room", "compositions_per_room", "media_size"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.participants_per_room < 1:
            raise ValueError("participants_per_room must be at least 1")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")


@dataclass(frozen=True)
class Seeded:
    """SIDs created by one :meth:`Emulator.seed` call, oldest first."""

    rooms: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    compositions: list[str] = field(default_factory=list)


def populate(state: State, seed: Seed) -> Seeded:
    """Create ``seed``'s rooms in ``state`` and return their SIDs."""
    result = Seeded()
    base = len(state.rooms)
    for index in range(seed.rooms):
        opened = seed.start + timedelta(hours=index, seconds=state.rng.randrange(600))
        room = state.create_room(unique_name=f"seed-room-{base + index + 1}", at=opened)
        result.rooms.append(room.sid)
        tracks: list[PublishedTrack] = []
        for number in range(seed.participants_per_room):
            joined = opened + timedelta(seconds=10 * number)
            participant = state.connect_participant(
                room, f"participant-{number + 1}", tracks=(), at=joined
            )
            result.participants.append(participant.sid)
            tracks.append(state.publish_track(participant, "audio", "microphone", at=joined))
            tracks.append(state.publish_track(participant, "video", "camera", at=joined))
        end = _record(state, room, tracks, seed, result)
        state.complete_room(room, at=end)
        for number in range(seed.compositions_per_room):
            created = end + timedelta(minutes=number + 1)
            composition = state.create_composition(
                room,
                audio_sources=["*"],
                video_layout={"grid": region(["*"])},
                format="mp4" if number % 2 == 0 else "webm",
                planned_size=seed.media_size,
                at=created,
            )
            state.complete_composition(composition, at=created + timedelta(minutes=2))
            result.compositions.append(composition.sid)
    return result


def _record(
    state: State, room: Room, tracks: list[PublishedTrack], seed: Seed, result: Seeded
) -> datetime:
    """Record ``seed.recordings_per_room`` one-minute takes; return when the room can end."""
    first = room.date_created + timedelta(seconds=10 * seed.participants_per_room)
    clock = first
    if seed.recordings_per_room:
        room.recording_rules = [{"type": "include", "all": True}]
        room.rules_date_updated = first
    for number in range(seed.recordings_per_room):
        track = tracks[number % len(tracks)]
        take, _ = divmod(number, len(tracks))
        started = first + timedelta(minutes=take)
        participant = room.participants[track.participant_sid]
        recording = state.start_recording(room, participant, track, started)
        recording.planned_size = seed.media_size
        state.stop_recording(room, track.sid, started + timedelta(seconds=59))
        result.recordings.append(recording.sid)
        clock = max(clock, started + timedelta(minutes=1))
    return clock + timedelta(seconds=30)
