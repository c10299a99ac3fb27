"""What one archived media item is, and where it lives at the destination.

An :class:`ArchiveItem` is the part of a Recording or Composition the archive needs: enough to
name the object, check the copy and write the JSON sidecar without asking Twilio again. Keys are
deterministic (``{yyyy}/{mm}/{dd}/{RoomSid}/{Sid}.{ext}``, date from ``date_created`` in UTC),
so copying an item twice lands on the same key: at-least-once work, exactly-once result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

import attrs

from ..errors import InvalidRequestError

__all__ = ["ArchiveItem", "Kind", "kind_of_sid"]

Kind = Literal["recording", "composition"]

_SID = re.compile(r"^(RT|CJ)[0-9a-fA-F]{32}$")
_ROOM = re.compile(r"^RM[0-9a-fA-F]{32}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
# Used as the room folder when Twilio names no room (it always does for Video media; a
# placeholder keeps the key well-formed rather than failing the item).
NO_ROOM = "no-room"
_CONTENT_TYPES = {
    "mka": "audio/x-matroska",
    "mkv": "video/x-matroska",
    "mp4": "video/mp4",
    "webm": "video/webm",
}


def kind_of_sid(sid: str) -> Kind:
    """``recording`` for ``RT...``, ``composition`` for ``CJ...``; anything else is refused."""
    if not isinstance(sid, str) or not _SID.fullmatch(sid):
        raise InvalidRequestError(
            f"{sid!r} is not a recording or composition SID: expected 'RT' or 'CJ' followed by "
            "32 hex digits"
        )
    return "recording" if sid[:2] == "RT" else "composition"


def _wire(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _utc(value: datetime | None, sid: str) -> datetime:
    if value is None:
        raise InvalidRequestError(f"{sid} has no date_created: its archive key needs one")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@attrs.frozen(kw_only=True)
class ArchiveItem:
    """One recording (``RT``) or composition (``CJ``) as the archive sees it.

    Attributes:
        sid: The SID; also the object's file name.
        kind: ``recording`` or ``composition``.
        room_sid: The room (``grouping_sids.room_sid`` of a recording, ``room_sid`` of a
            composition); names the folder.
        date_created: When Twilio created the resource, UTC; names the date folders.
        size: Bytes of media Twilio states (``None`` while unknown, e.g. a composition still
            processing).
        extension: ``mka``/``mkv`` (recordings' ``container_format``), ``mp4``/``webm``
            (compositions' ``format``).
        status: Twilio's status when the item was read (``completed`` means downloadable).
        media_external_location: Set when the media lives in the account's own S3 bucket; such
            items are recorded as skipped, never downloaded.
        raw: The resource's JSON as Twilio sent it; written to the sidecar document.
    """

    sid: str
    kind: Kind
    room_sid: str
    date_created: datetime
    size: int | None
    extension: str
    status: str | None
    media_external_location: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_model(cls, model: Any) -> ArchiveItem:
        """Build from a ``Recording``, ``RoomRecording`` or ``Composition`` model."""
        sid = getattr(model, "sid", None)
        if not isinstance(sid, str):
            raise InvalidRequestError(f"expected a Recording or Composition, got {model!r}")
        kind = kind_of_sid(sid)
        if kind == "recording":
            grouping = getattr(model, "grouping_sids", None) or {}
            room = grouping.get("room_sid") or getattr(model, "room_sid", None)
            extension = _wire(getattr(model, "container_format", None))
            if extension is None:
                extension = "mkv" if _wire(getattr(model, "type", None)) == "video" else "mka"
        else:
            room = getattr(model, "room_sid", None)
            extension = _wire(getattr(model, "format", None)) or "mp4"
        extension = extension.lower()
        if not _EXTENSION.fullmatch(extension):
            extension = "bin"  # never put an odd value from the wire into a key
        room_sid = room if isinstance(room, str) and _ROOM.fullmatch(room) else NO_ROOM
        size = getattr(model, "size", None)
        return cls(
            sid=sid,
            kind=kind,
            room_sid=room_sid,
            date_created=_utc(getattr(model, "date_created", None), sid),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            extension=extension,
            status=_wire(getattr(model, "status", None)),
            media_external_location=getattr(model, "media_external_location", None) or None,
            raw=dict(getattr(model, "raw", None) or {}),
        )

    # -- keys ----------------------------------------------------------------------------------

    @property
    def folder(self) -> str:
        d = self.date_created
        return f"{d:%Y}/{d:%m}/{d:%d}/{self.room_sid}"

    @property
    def media_key(self) -> str:
        """``{yyyy}/{mm}/{dd}/{RoomSid}/{Sid}.{ext}`` (the sink adds its prefix)."""
        return f"{self.folder}/{self.sid}.{self.extension}"

    @property
    def sidecar_key(self) -> str:
        """``{yyyy}/{mm}/{dd}/{RoomSid}/{Sid}.json``: the Twilio metadata beside the media."""
        return f"{self.folder}/{self.sid}.json"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES.get(self.extension, "application/octet-stream")

    @property
    def ready(self) -> bool:
        """Whether Twilio serves media for it now (status ``completed``)."""
        return self.status == "completed"

    def object_metadata(self) -> dict[str, str]:
        """User metadata of the media object (fixed when an upload starts)."""
        metadata = {"twvideo-sid": self.sid, "twvideo-kind": self.kind}
        if self.size is not None:
            metadata["twvideo-size"] = str(self.size)
        return metadata

    # -- storage in a ledger -------------------------------------------------------------------

    def raw_json(self) -> str:
        return json.dumps(dict(self.raw), sort_keys=True, separators=(",", ":"), default=str)

    @classmethod
    def restore(
        cls,
        *,
        sid: str,
        room_sid: str,
        date_created: str,
        size: int | None,
        extension: str,
        status: str | None,
        media_external_location: str | None,
        raw_json: str | None,
    ) -> ArchiveItem:
        """Rebuild an item from what a ledger stored (see :meth:`raw_json`)."""
        return cls(
            sid=sid,
            kind=kind_of_sid(sid),
            room_sid=room_sid,
            date_created=parse_utc(date_created),
            size=size,
            extension=extension,
            status=status,
            media_external_location=media_external_location,
            raw=json.loads(raw_json) if raw_json else {},
        )


def format_utc(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: sorts as text in time order."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
