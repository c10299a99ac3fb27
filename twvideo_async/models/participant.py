"""Participants of a room (``/v1/Rooms/{RoomSid}/Participants``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ._base import Model
from .enums import ParticipantStatus

__all__ = ["Participant", "ParticipantAnonymize"]


@attrs.frozen(kw_only=True)
class Participant(Model):
    """A participant of a room.

    Attributes:
        sid: Participant SID (``PA...``).
        room_sid: SID of the participant's room.
        account_sid: Account that owns the room.
        status: ``connected``, ``disconnected`` or ``reconnecting``.
        identity: Application-defined identity of the user (unique within the room).
        date_created: When the resource was created (UTC).
        date_updated: When the resource was last updated (UTC).
        start_time: When the participant connected (UTC).
        end_time: When the participant disconnected (UTC); ``None`` while connected.
        duration: Seconds connected; set only once disconnected.
        url: Absolute URL of the resource.
        links: URLs of related resources (``published_tracks``, ``subscribed_tracks``, ...).
    """

    sid: str
    room_sid: str | None = None
    account_sid: str | None = None
    status: ParticipantStatus | str | None = None
    identity: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    url: str | None = None
    links: Mapping[str, str] | None = None


@attrs.frozen(kw_only=True)
class ParticipantAnonymize(Model):
    """A participant after ``Anonymize``: ``identity`` now holds the participant SID.

    Attributes:
        sid: Participant SID (``PA...``).
        room_sid: SID of the participant's room.
        account_sid: Account that owns the room.
        status: ``connected`` or ``disconnected``.
        identity: The participant SID, replacing the original identity.
        date_created: When the resource was created (UTC).
        date_updated: When the resource was last updated (UTC).
        start_time: When the participant connected (UTC).
        end_time: When the participant disconnected (UTC).
        duration: Seconds connected; set only once disconnected.
        url: Absolute URL of the resource.
    """

    sid: str
    room_sid: str | None = None
    account_sid: str | None = None
    status: ParticipantStatus | str | None = None
    identity: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    url: str | None = None
