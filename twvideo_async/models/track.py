"""Published and subscribed tracks of a participant."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Model
from .enums import TrackKind

__all__ = ["PublishedTrack", "SubscribedTrack"]


@attrs.frozen(kw_only=True)
class PublishedTrack(Model):
    """A track a participant publishes.

    Attributes:
        sid: Track SID (``MT...``).
        participant_sid: SID of the publishing participant.
        room_sid: SID of the room.
        name: Track name (unique among the participant's published tracks).
        date_created: When the resource was created (UTC).
        date_updated: When the resource was last updated (UTC).
        enabled: Whether the track is enabled.
        kind: ``audio``, ``video`` or ``data``.
        url: Absolute URL of the resource.
    """

    sid: str
    participant_sid: str | None = None
    room_sid: str | None = None
    name: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    enabled: bool | None = None
    kind: TrackKind | str | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class SubscribedTrack(Model):
    """A track a participant is subscribed to.

    Attributes:
        sid: Track SID (``MT...``).
        participant_sid: SID of the subscribing participant.
        publisher_sid: SID of the participant that publishes the track.
        room_sid: SID of the room.
        name: Track name.
        date_created: When the resource was created (UTC).
        date_updated: When the resource was last updated (UTC).
        enabled: Whether the track is enabled.
        kind: ``audio``, ``video`` or ``data``.
        url: Absolute URL of the resource.
    """

    sid: str
    participant_sid: str | None = None
    publisher_sid: str | None = None
    room_sid: str | None = None
    name: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    enabled: bool | None = None
    kind: TrackKind | str | None = None
    url: str | None = None
