"""Subscribe rules of a participant and recording rules of a room, as Twilio returns them.

To *send* rules, use :mod:`twvideo_async.rules`, which validates them first.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Model

__all__ = ["RecordingRule", "RecordingRules", "SubscribeRule", "SubscribeRules"]


@attrs.frozen(kw_only=True)
class SubscribeRule(Model):
    """One subscribe rule. Filters that the rule does not use are ``None``.

    Attributes:
        type: ``include`` or ``exclude``.
        all: ``True`` when the rule matches every track.
        publisher: Identity or SID of the publishing participant.
        track: Track name or SID.
        kind: ``audio``, ``video`` or ``data``.
        priority: Track priority.
    """

    type: str | None = None
    all: bool | None = None
    publisher: str | None = None
    track: str | None = None
    kind: str | None = None
    priority: str | None = None


@attrs.frozen(kw_only=True)
class SubscribeRules(Model):
    """The subscribe rules in force for a participant.

    Attributes:
        participant_sid: SID of the participant the rules apply to.
        room_sid: SID of the room.
        rules: The rules, applied in order.
        date_created: When the rules were created (UTC); may be ``None``.
        date_updated: When the rules were last updated (UTC); may be ``None``.
    """

    participant_sid: str
    room_sid: str
    rules: tuple[SubscribeRule, ...] | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None


@attrs.frozen(kw_only=True)
class RecordingRule(Model):
    """One recording rule. Filters that the rule does not use are ``None``.

    Attributes:
        type: ``include`` or ``exclude``.
        all: ``True`` when the rule matches every track.
        publisher: Identity or SID of the publishing participant.
        track: Track name or SID.
        kind: ``audio`` or ``video``.
    """

    type: str | None = None
    all: bool | None = None
    publisher: str | None = None
    track: str | None = None
    kind: str | None = None


@attrs.frozen(kw_only=True)
class RecordingRules(Model):
    """The recording rules in force for a room.

    Attributes:
        room_sid: SID of the room.
        rules: The rules, applied in order.
        date_created: When the rules were created (UTC); may be ``None``.
        date_updated: When the rules were last updated (UTC); may be ``None``.
    """

    room_sid: str
    rules: tuple[RecordingRule, ...] | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
