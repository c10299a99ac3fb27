"""In-memory records behind the emulator's resources.

Plain mutable dataclasses: the emulator updates them in place as rooms complete, recordings finish
and compositions progress. ``seq`` is a global creation counter that breaks ties between records
created within the same second, so list order is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class PublishedTrack:
    """A track a participant publishes (``MT`` SID)."""

    sid: str
    seq: int
    room_sid: str
    participant_sid: str
    name: str
    kind: str
    enabled: bool
    date_created: datetime
    date_updated: datetime

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)


@dataclass(eq=False)
class Participant:
    """A participant (``PA`` SID) of a room, connected or disconnected."""

    sid: str
    seq: int
    room_sid: str
    identity: str
    status: str
    date_created: datetime
    date_updated: datetime
    start_time: datetime
    end_time: datetime | None = None
    anonymized: bool = False
    tracks: dict[str, PublishedTrack] = field(default_factory=dict)
    subscribe_rules: list[dict[str, Any]] = field(
        default_factory=lambda: [{"type": "include", "all": True}]
    )
    rules_date_created: datetime | None = None
    rules_date_updated: datetime | None = None

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)


@dataclass(eq=False)
class Transcription:
    """The real-time transcriptions resource of a room (``ttid``)."""

    ttid: str
    seq: int
    room_sid: str
    source_sid: str
    status: str
    date_created: datetime
    date_updated: datetime
    start_time: datetime | None
    configuration: dict[str, Any]
    end_time: datetime | None = None
    # Seconds spent in ``started`` before the current run, for ``duration``.
    accumulated: int = 0

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)


@dataclass(eq=False)
class Room:
    """A video room (``RM`` SID)."""

    sid: str
    seq: int
    unique_name: str
    type: str
    status: str
    date_created: datetime
    date_updated: datetime
    status_callback: str | None
    status_callback_method: str
    max_participants: int
    max_participant_duration: int
    max_concurrent_published_tracks: int
    record_participants_on_connect: bool
    video_codecs: list[str]
    media_region: str
    audio_only: bool
    empty_room_timeout: int
    unused_room_timeout: int
    large_room: bool
    enable_turn: bool
    recording_rules: list[dict[str, Any]]
    rules_date_created: datetime
    rules_date_updated: datetime
    end_time: datetime | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    transcriptions: dict[str, Transcription] = field(default_factory=dict)
    # Track SID -> SID of the recording currently capturing it.
    active_recordings: dict[str, str] = field(default_factory=dict)

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)

    @property
    def duration(self) -> int | None:
        if self.end_time is None:
            return None
        return max(0, int((self.end_time - self.date_created).total_seconds()))


@dataclass(eq=False)
class Recording:
    """A track recording (``RT`` SID)."""

    sid: str
    seq: int
    room_sid: str
    participant_sid: str
    source_sid: str
    track_name: str
    type: str
    codec: str
    container_format: str
    status: str
    date_created: datetime
    offset: int
    status_callback: str | None
    status_callback_method: str
    size: int = 0
    duration: int = 0
    date_deleted: datetime | None = None
    # Size the media will have once the recording completes.
    planned_size: int = 0

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)

    @property
    def content_type(self) -> str:
        return "audio/x-matroska" if self.type == "audio" else "video/x-matroska"

    @property
    def filename(self) -> str:
        return f"{self.sid}.{self.container_format}"


@dataclass(eq=False)
class Composition:
    """A composition (``CJ`` SID) moving enqueued -> processing -> completed."""

    sid: str
    seq: int
    room_sid: str
    status: str
    date_created: datetime
    audio_sources: list[str]
    audio_sources_excluded: list[str]
    video_layout: dict[str, Any]
    resolution: str
    trim: bool
    format: str
    status_callback: str | None
    status_callback_method: str
    planned_size: int
    date_completed: datetime | None = None
    date_deleted: datetime | None = None
    bitrate: int = 0
    size: int = 0
    duration: int = 0
    # Reads observed while the room was completed (drives per-fetch progress).
    reads: int = 0
    # When processing could start: the room's completion (or creation if already completed).
    ready_at: datetime | None = None
    hook_sid: str | None = None

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)

    @property
    def content_type(self) -> str:
        return "video/mp4" if self.format == "mp4" else "video/webm"

    @property
    def filename(self) -> str:
        return f"{self.sid}.{self.format}"


@dataclass(eq=False)
class CompositionHook:
    """A composition hook (``HK`` SID)."""

    sid: str
    seq: int
    friendly_name: str
    enabled: bool
    date_created: datetime
    date_updated: datetime | None
    audio_sources: list[str]
    audio_sources_excluded: list[str]
    video_layout: dict[str, Any]
    resolution: str
    trim: bool
    format: str
    status_callback: str | None
    status_callback_method: str

    def sort_key(self) -> tuple[datetime, int]:
        return (self.date_created, self.seq)


@dataclass(eq=False)
class StorageSettings:
    """``CompositionSettings/Default`` or ``RecordingSettings/Default``."""

    friendly_name: str | None = None
    aws_credentials_sid: str | None = None
    aws_s3_url: str | None = None
    aws_storage_enabled: bool | None = None
    encryption_key_sid: str | None = None
    encryption_enabled: bool | None = None
