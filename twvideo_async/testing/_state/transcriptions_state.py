"""Real-time transcriptions of a room: started and stopped, with the time spent transcribing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._twilio_errors import ROOM_COMPLETED, ApiError
from .records import Room, Transcription
from .store import Store


class TranscriptionsState:
    """Operations on a room's transcriptions resource."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create_transcription(
        self, room: Room, configuration: dict[str, Any], *, at: datetime | None = None
    ) -> Transcription:
        """Start real-time transcription of an in-progress room."""
        if room.status != "in-progress":
            raise ApiError(400, ROOM_COMPLETED, f"Room {room.sid} is not in-progress")
        when = at or self._store.now()
        transcription = Transcription(
            ttid=self._store.new_ttid(),
            seq=self._store.next_seq(),
            room_sid=room.sid,
            source_sid=self._store.new_sid("CA"),
            status="started",
            date_created=when,
            date_updated=when,
            start_time=when,
            configuration=dict(configuration),
        )
        room.transcriptions[transcription.ttid] = transcription
        return transcription

    def set_transcription_status(
        self, transcription: Transcription, status: str, *, at: datetime | None = None
    ) -> None:
        """Move between ``started`` and ``stopped``; the same status again changes nothing."""
        if status == transcription.status:
            return
        when = at or self._store.now()
        if status == "stopped" and transcription.start_time is not None:
            transcription.accumulated += int((when - transcription.start_time).total_seconds())
            transcription.end_time = when
        if status == "started":
            transcription.start_time = when
            transcription.end_time = None
        transcription.status = status
        transcription.date_updated = when

    def transcription_duration(self, transcription: Transcription) -> int | None:
        """Seconds spent in ``started``; null while a run is still going, like the API example."""
        if transcription.status == "started":
            return None
        return transcription.accumulated
