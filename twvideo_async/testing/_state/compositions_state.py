"""What rooms produce after the fact: compositions (and their progress), composition hooks, and
real-time transcriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .._twilio_errors import ROOM_COMPLETED, ApiError, not_found
from .records import Composition, CompositionHook, Room, Transcription
from .store import Store, is_sid


class ProducedState(Store):
    """Operations on compositions, hooks and transcriptions (see :class:`._state.State`)."""

    # -- compositions and hooks ------------------------------------------------------------------

    def create_composition(
        self,
        room: Room,
        *,
        audio_sources: Sequence[str] = (),
        audio_sources_excluded: Sequence[str] = (),
        video_layout: dict[str, Any] | None = None,
        resolution: str = "640x480",
        trim: bool = True,
        format: str = "webm",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        hook_sid: str | None = None,
        planned_size: int | None = None,
        at: datetime | None = None,
    ) -> Composition:
        """Enqueue a composition; processing starts once the room has completed."""
        when = at or self.now()
        composition = Composition(
            sid=self.new_sid("CJ"),
            seq=self.next_seq(),
            room_sid=room.sid,
            status="enqueued",
            date_created=when,
            audio_sources=list(audio_sources),
            audio_sources_excluded=list(audio_sources_excluded),
            video_layout=dict(video_layout or {}),
            resolution=resolution,
            trim=trim,
            format=format,
            status_callback=status_callback,
            status_callback_method=status_callback_method,
            planned_size=self.media_size if planned_size is None else planned_size,
            ready_at=when if room.status != "in-progress" else None,
            hook_sid=hook_sid,
        )
        self.compositions[composition.sid] = composition
        if self.composition_reads == 0:
            self._progress_composition(composition, read=False)
        return composition

    def find_composition(self, sid: str) -> Composition:
        composition = self.compositions.get(sid) if is_sid(sid, "CJ") else None
        if composition is None:
            raise not_found(f"Composition {sid}")
        return composition

    def refresh_compositions(self) -> None:
        """Apply time-based progress (``composition_delay``) without counting a read."""
        for composition in self.compositions.values():
            self._progress_composition(composition, read=False)

    def observe_composition(self, composition: Composition) -> None:
        """Advance a composition because a client read it (or because time passed)."""
        self._progress_composition(composition, read=True)

    def _progress_composition(self, composition: Composition, *, read: bool) -> None:
        if composition.status not in ("enqueued", "processing") or composition.ready_at is None:
            return
        if self.composition_delay is not None:
            elapsed = (self.now() - composition.ready_at).total_seconds()
            if elapsed >= self.composition_delay:
                self.complete_composition(
                    composition,
                    at=composition.ready_at + timedelta(seconds=self.composition_delay),
                )
            else:
                composition.status = "processing"
            return
        if read:
            composition.reads += 1
        if composition.reads >= self.composition_reads:
            self.complete_composition(composition)
        elif read:
            composition.status = "processing"

    def complete_composition(self, composition: Composition, *, at: datetime | None = None) -> None:
        """Finish processing now: status ``completed`` with size, duration and bitrate set."""
        when = at or self.now()
        room = self.rooms[composition.room_sid]
        composition.status = "completed"
        composition.date_completed = when
        composition.size = composition.planned_size
        composition.duration = max(1, room.duration or 0)
        composition.bitrate = max(1, composition.size * 8 // 1000 // composition.duration)

    def fail_composition(self, composition: Composition) -> None:
        """Mark a composition ``failed`` (for tests of error handling)."""
        composition.status = "failed"

    def delete_composition(self, composition: Composition) -> None:
        if composition.status == "deleted":
            return
        composition.status = "deleted"
        composition.date_deleted = self.now()

    def create_hook(
        self,
        friendly_name: str,
        *,
        enabled: bool = True,
        audio_sources: Sequence[str] = (),
        audio_sources_excluded: Sequence[str] = (),
        video_layout: dict[str, Any] | None = None,
        resolution: str = "640x480",
        trim: bool = True,
        format: str = "webm",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
    ) -> CompositionHook:
        """Register a composition hook; enabled hooks compose every group room that completes."""
        hook = CompositionHook(
            sid=self.new_sid("HK"),
            seq=self.next_seq(),
            friendly_name=friendly_name,
            enabled=enabled,
            date_created=self.now(),
            date_updated=None,
            audio_sources=list(audio_sources),
            audio_sources_excluded=list(audio_sources_excluded),
            video_layout=dict(video_layout or {}),
            resolution=resolution,
            trim=trim,
            format=format,
            status_callback=status_callback,
            status_callback_method=status_callback_method,
        )
        self.hooks[hook.sid] = hook
        return hook

    def find_hook(self, sid: str) -> CompositionHook:
        hook = self.hooks.get(sid) if is_sid(sid, "HK") else None
        if hook is None:
            raise not_found(f"CompositionHook {sid}")
        return hook

    def _run_hooks(self, room: Room, at: datetime) -> None:
        # Every enabled hook composes every group room that completes.
        if room.type not in ("group", "group-small"):
            return
        for hook in sorted(self.hooks.values(), key=CompositionHook.sort_key):
            if hook.enabled:
                self.create_composition(
                    room,
                    audio_sources=hook.audio_sources,
                    audio_sources_excluded=hook.audio_sources_excluded,
                    video_layout=hook.video_layout,
                    resolution=hook.resolution,
                    trim=hook.trim,
                    format=hook.format,
                    status_callback=hook.status_callback,
                    status_callback_method=hook.status_callback_method,
                    hook_sid=hook.sid,
                    at=at,
                )

    # -- transcriptions --------------------------------------------------------------------------

    def create_transcription(
        self, room: Room, configuration: dict[str, Any], *, at: datetime | None = None
    ) -> Transcription:
        """Start real-time transcription of an in-progress room."""
        if room.status != "in-progress":
            raise ApiError(400, ROOM_COMPLETED, f"Room {room.sid} is not in-progress")
        when = at or self.now()
        transcription = Transcription(
            ttid=self.new_ttid(),
            seq=self.next_seq(),
            room_sid=room.sid,
            source_sid=self.new_sid("CA"),
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
        when = at or self.now()
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
