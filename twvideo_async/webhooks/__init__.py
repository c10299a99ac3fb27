"""Twilio Programmable Video status callbacks: signature validation, typed events, server helpers.

- :class:`RequestValidator` checks ``X-Twilio-Signature`` with the account's primary **Auth
  Token** (an API key secret cannot validate callbacks).
- :func:`parse_event` turns callback parameters into typed events (:class:`RoomEnded`,
  :class:`RecordingCompleted`, ...). Order events by ``timestamp``, not ``sequence_number``.
- :func:`twilio_webhook` (aiohttp) and :class:`TwilioWebhook` (Starlette/FastAPI, needs the
  ``starlette`` extra, imported on first use) do both for a web handler and answer 403 to
  unsigned requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._aiohttp_server import aiohttp_public_url, twilio_webhook
from ._errors import (
    InvalidSignature,
    WebhookConfigurationError,
    WebhookError,
    WebhookPayloadError,
)
from ._fields import DEFAULT_BASE_URL
from ._http import public_url
from ._signature import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    SignatureAlgorithm,
)
from .events import (
    CompositionAvailable,
    CompositionEnqueued,
    CompositionEvent,
    CompositionFailed,
    CompositionHookFailed,
    CompositionProgress,
    CompositionStarted,
    EventType,
    ParticipantConnected,
    ParticipantDisconnected,
    ParticipantEvent,
    RecordingCompleted,
    RecordingEvent,
    RecordingFailed,
    RecordingStarted,
    RoomCreated,
    RoomEnded,
    RoomEvent,
    TrackAdded,
    TrackDisabled,
    TrackEnabled,
    TrackEvent,
    TrackRemoved,
    UnknownEvent,
    VideoEvent,
    parse_event,
)

if TYPE_CHECKING:
    from ._starlette import TwilioWebhook as TwilioWebhook

# TwilioWebhook is left out of __all__ so that ``import *`` does not require Starlette.
__all__ = [
    "DEFAULT_BASE_URL",
    "SIGNATURE_HEADER",
    "SIGNATURE_SETTINGS_HEADER",
    "CompositionAvailable",
    "CompositionEnqueued",
    "CompositionEvent",
    "CompositionFailed",
    "CompositionHookFailed",
    "CompositionProgress",
    "CompositionStarted",
    "EventType",
    "InvalidSignature",
    "ParticipantConnected",
    "ParticipantDisconnected",
    "ParticipantEvent",
    "RecordingCompleted",
    "RecordingEvent",
    "RecordingFailed",
    "RecordingStarted",
    "RequestValidator",
    "RoomCreated",
    "RoomEnded",
    "RoomEvent",
    "SignatureAlgorithm",
    "TrackAdded",
    "TrackDisabled",
    "TrackEnabled",
    "TrackEvent",
    "TrackRemoved",
    "UnknownEvent",
    "VideoEvent",
    "WebhookConfigurationError",
    "WebhookError",
    "WebhookPayloadError",
    "aiohttp_public_url",
    "parse_event",
    "public_url",
    "twilio_webhook",
]


def __getattr__(name: str) -> Any:
    # Starlette is optional: import it only when the Starlette helper is asked for.
    if name == "TwilioWebhook":
        from ._starlette import TwilioWebhook as TwilioWebhook

        return TwilioWebhook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
