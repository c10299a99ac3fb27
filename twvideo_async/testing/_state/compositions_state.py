"""What a completed room produces: compositions (and their progress) and composition hooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .._twilio_errors import not_found
from .records import Composition, CompositionHook, Room
from .store import Store, is_sid


class CompositionsState:
    """Operations on compositions and composition hooks."""

    def __init__(self, store: Store) -> None:
        self._store = store

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
        when = at or self._store.now()
        composition = Composition(
            sid=self._store.new_sid("CJ"),
            seq=self._store.next_seq(),
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
            planned_size=self._store.media_size if planned_size is None else planned_size,
            ready_at=when if room.status != "in-progress" else None,
            hook_sid=hook_sid,
        )
        self._store.compositions[composition.sid] = composition
        if self._store.composition_reads == 0:
            self._progress_composition(composition, read=False)
        return composition

    def find_composition(self, sid: str) -> Composition:
        composition = self._store.compositions.get(sid) if is_sid(sid, "CJ") else None
        if composition is None:
            raise not_found(f"Composition {sid}")
        return composition

    def refresh_compositions(self) -> None:
        """Apply time-based progress (``composition_delay``) without counting a read."""
        for composition in self._store.compositions.values():
            self._progress_composition(composition, read=False)

    def observe_composition(self, composition: Composition) -> None:
        """Advance a composition because a client read it (or because time passed)."""
        self._progress_composition(composition, read=True)

    def _progress_composition(self, composition: Composition, *, read: bool) -> None:
        if composition.status not in ("enqueued", "processing") or composition.ready_at is None:
            return
        if self._store.composition_delay is not None:
            elapsed = (self._store.now() - composition.ready_at).total_seconds()
            if elapsed >= self._store.composition_delay:
                self.complete_composition(
                    composition,
                    at=composition.ready_at + timedelta(seconds=self._store.composition_delay),
                )
            else:
                composition.status = "processing"
            return
        if read:
            composition.reads += 1
        if composition.reads >= self._store.composition_reads:
            self.complete_composition(composition)
        elif read:
            composition.status = "processing"

    def complete_composition(self, composition: Composition, *, at: datetime | None = None) -> None:
        """Finish processing now: status ``completed`` with size, duration and bitrate set."""
        when = at or self._store.now()
        room = self._store.rooms[composition.room_sid]
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
        composition.date_deleted = self._store.now()

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
            sid=self._store.new_sid("HK"),
            seq=self._store.next_seq(),
            friendly_name=friendly_name,
            enabled=enabled,
            date_created=self._store.now(),
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
        self._store.hooks[hook.sid] = hook
        return hook

    def find_hook(self, sid: str) -> CompositionHook:
        hook = self._store.hooks.get(sid) if is_sid(sid, "HK") else None
        if hook is None:
            raise not_found(f"CompositionHook {sid}")
        return hook

    def room_completed(self, room: Room, at: datetime) -> None:
        """Start processing the room's waiting compositions, then let the hooks compose it."""
        for composition in self._store.compositions.values():
            if composition.room_sid == room.sid and composition.ready_at is None:
                composition.ready_at = at
                self._progress_composition(composition, read=False)
        # Every enabled hook composes every group room that completes.
        if room.type not in ("group", "group-small"):
            return
        for hook in sorted(self._store.hooks.values(), key=CompositionHook.sort_key):
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
