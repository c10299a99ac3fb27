"""The media object behind a recording or composition SID: size, type, name and storage path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .._state.account_state import State
from .._state.store import is_sid


@dataclass(frozen=True)
class MediaObject:
    """What the storage origin needs to serve one recording's or composition's media."""

    sid: str
    size: int
    content_type: str
    filename: str
    status: str
    modified: datetime

    @property
    def available(self) -> bool:
        return self.status == "completed"


def media_object(state: State, sid: str) -> MediaObject | None:
    """The media behind a recording (``RT``) or composition (``CJ``) SID, if it exists."""
    if is_sid(sid, "RT") and sid in state.recordings:
        rec = state.recordings[sid]
        finished = rec.date_created + timedelta(seconds=rec.duration)
        return MediaObject(sid, rec.size, rec.content_type, rec.filename, rec.status, finished)
    if is_sid(sid, "CJ") and sid in state.compositions:
        comp = state.compositions[sid]
        finished = comp.date_completed or comp.date_created
        return MediaObject(sid, comp.size, comp.content_type, comp.filename, comp.status, finished)
    return None


def storage_path(state: State, obj: MediaObject) -> str:
    folder = "Recordings" if obj.sid.startswith("RT") else "Compositions"
    return f"/{state.account_sid}/{folder}/{obj.filename}"
