"""Typed Programmable Video status-callback events.

:func:`parse_event` turns a callback's form parameters into one of the classes below, chosen by
``StatusCallbackEvent``. Values are typed (integers as ``int``, ``Timestamp`` as an aware UTC
``datetime``), relative URIs are also given as absolute URLs, parameters Twilio adds later are
kept in ``raw``, and an event this SDK does not know yet becomes an :class:`UnknownEvent`.

**Order events by** ``timestamp``, **not** ``sequence_number``: Twilio documents
``SequenceNumber`` as internal and says it does not give the order of events. Callbacks can also
arrive out of order and more than once, so make handlers idempotent.

Parsing does not check the signature: validate the request first (see :class:`RequestValidator`
or the aiohttp/Starlette helpers, which do both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._event_base import EventType, KnownEvent, UnknownEvent, VideoEvent
from ._fields import DEFAULT_BASE_URL, FieldReader
from ._media_events import (
    CompositionAvailable,
    CompositionEnqueued,
    CompositionEvent,
    CompositionFailed,
    CompositionHookFailed,
    CompositionProgress,
    CompositionStarted,
    RecordingCompleted,
    RecordingEvent,
    RecordingFailed,
    RecordingStarted,
)
from ._room_events import (
    ParticipantConnected,
    ParticipantDisconnected,
    ParticipantEvent,
    RoomCreated,
    RoomEnded,
    RoomEvent,
    TrackAdded,
    TrackDisabled,
    TrackEnabled,
    TrackEvent,
    TrackRemoved,
)

__all__ = [
    "CompositionAvailable",
    "CompositionEnqueued",
    "CompositionEvent",
    "CompositionFailed",
    "CompositionHookFailed",
    "CompositionProgress",
    "CompositionStarted",
    "EventType",
    "ParticipantConnected",
    "ParticipantDisconnected",
    "ParticipantEvent",
    "RecordingCompleted",
    "RecordingEvent",
    "RecordingFailed",
    "RecordingStarted",
    "RoomCreated",
    "RoomEnded",
    "RoomEvent",
    "TrackAdded",
    "TrackDisabled",
    "TrackEnabled",
    "TrackEvent",
    "TrackRemoved",
    "UnknownEvent",
    "VideoEvent",
    "parse_event",
]


_EVENT_CLASSES: dict[str, type[KnownEvent]] = {
    cls.EVENT.value: cls
    for cls in (
        RoomCreated,
        RoomEnded,
        ParticipantConnected,
        ParticipantDisconnected,
        TrackAdded,
        TrackRemoved,
        TrackEnabled,
        TrackDisabled,
        RecordingStarted,
        RecordingCompleted,
        RecordingFailed,
        CompositionEnqueued,
        CompositionHookFailed,
        CompositionStarted,
        CompositionProgress,
        CompositionAvailable,
        CompositionFailed,
    )
    if cls.EVENT is not None
}


def parse_event(
    params: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    base_url: str = DEFAULT_BASE_URL,
) -> VideoEvent:
    """Build the typed event for one status callback.

    Args:
        params: the callback's parameters: the POST form (a dict, an aiohttp/Starlette
            multidict, or ``(name, value)`` pairs) or, for GET callbacks, the query string.
        base_url: joined with relative URIs (``MediaUri``, ``RecordingUri``, ...) to give the
            ``*_url`` fields; set it when callbacks come from a local emulator.

    Returns:
        An instance of the class for ``StatusCallbackEvent`` (``RoomEnded``,
        ``RecordingCompleted``, ...) or :class:`UnknownEvent` for an event this SDK does not know.

    Raises:
        WebhookPayloadError: ``StatusCallbackEvent`` or a required SID is missing, a number is not
            an integer or ``Timestamp`` is not ISO-8601; ``field`` names the parameter.
    """
    if "://" not in base_url:
        raise ValueError("base_url must be absolute, e.g. 'https://video.twilio.com'")
    reader = FieldReader(params, base_url)
    name = reader.required("StatusCallbackEvent")
    cls: type[VideoEvent] = _EVENT_CLASSES.get(name, UnknownEvent)
    return cls(**cls._kwargs(reader))
