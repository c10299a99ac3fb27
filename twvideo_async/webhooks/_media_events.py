"""Recording callbacks (sent to the Room's callback URL) and composition callbacks."""

from __future__ import annotations

from typing import Any

import attrs

from ._event_base import EventType, KnownEvent
from ._fields import FieldReader

__all__ = [
    "CompositionAvailable",
    "CompositionEnqueued",
    "CompositionEvent",
    "CompositionFailed",
    "CompositionHookFailed",
    "CompositionProgress",
    "CompositionStarted",
    "RecordingCompleted",
    "RecordingEvent",
    "RecordingFailed",
    "RecordingStarted",
]


def _media_kwargs(r: FieldReader) -> dict[str, Any]:
    uri, url = r.url("MediaUri")
    return {
        "media_uri": uri,
        "media_url": url,
        "duration": r.integer("Duration"),
        "size": r.integer("Size"),
        "media_external_location": r.optional("MediaExternalLocation"),
    }


@attrs.frozen(kw_only=True)
class RecordingEvent(KnownEvent):
    """A track recording changed state.

    ``recording_uri`` is relative as Twilio sends it, ``recording_url`` absolute. ``source_sid``
    is the recorded track (``MT...``); ``container`` is ``mka``/``mkv``, ``codec``
    ``PCMU``/``OPUS``/``VP8``/``H264``, ``type`` ``audio``/``video``.
    ``offset_from_twilio_video_epoch`` (ms) aligns the tracks of one room.
    """

    recording_sid: str
    room_sid: str
    room_name: str | None = None
    room_type: str | None = None
    participant_sid: str | None = None
    participant_identity: str | None = None
    source_sid: str | None = None
    track_name: str | None = None
    recording_uri: str | None = None
    recording_url: str | None = None
    container: str | None = None
    codec: str | None = None
    type: str | None = None
    offset_from_twilio_video_epoch: int | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        uri, url = r.url("RecordingUri")
        return {
            **super()._kwargs(r),
            "recording_sid": r.required("RecordingSid"),
            "room_sid": r.required("RoomSid"),
            "room_name": r.optional("RoomName"),
            "room_type": r.optional("RoomType"),
            "participant_sid": r.optional("ParticipantSid"),
            "participant_identity": r.optional("ParticipantIdentity"),
            "source_sid": r.optional("SourceSid"),
            "track_name": r.optional("TrackName"),
            "recording_uri": uri,
            "recording_url": url,
            "container": r.optional("Container"),
            "codec": r.optional("Codec"),
            "type": r.optional("Type"),
            "offset_from_twilio_video_epoch": r.integer("OffsetFromTwilioVideoEpoch"),
        }


@attrs.frozen(kw_only=True)
class RecordingStarted(RecordingEvent):
    """``recording-started``."""

    EVENT = EventType.RECORDING_STARTED


@attrs.frozen(kw_only=True)
class RecordingCompleted(RecordingEvent):
    """``recording-completed``: the media is ready. ``media_url`` is the ``/Media`` endpoint to
    download from, ``duration`` in seconds, ``size`` in bytes. ``media_external_location`` is
    set when recordings go to your own S3 bucket."""

    EVENT = EventType.RECORDING_COMPLETED
    media_uri: str | None = None
    media_url: str | None = None
    duration: int | None = None
    size: int | None = None
    media_external_location: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), **_media_kwargs(r)}


@attrs.frozen(kw_only=True)
class RecordingFailed(RecordingEvent):
    """``recording-failed``; ``failed_operation`` is ``RecordingStart``/``RecordingComplete``/
    ``RecordingUpload``."""

    EVENT = EventType.RECORDING_FAILED
    failed_operation: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), "failed_operation": r.optional("FailedOperation")}


@attrs.frozen(kw_only=True)
class CompositionEvent(KnownEvent):
    """An event sent to a Composition's or a CompositionHook's ``StatusCallback``."""

    room_sid: str

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), "room_sid": r.required("RoomSid")}


@attrs.frozen(kw_only=True)
class _OneComposition(CompositionEvent):
    composition_sid: str
    composition_uri: str | None = None
    composition_url: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        uri, url = r.url("CompositionUri")
        return {
            **super()._kwargs(r),
            "composition_sid": r.required("CompositionSid"),
            "composition_uri": uri,
            "composition_url": url,
        }


def _hook_kwargs(r: FieldReader, *, required: bool) -> dict[str, Any]:
    uri, url = r.url("HookUri")
    return {
        "hook_sid": r.required("HookSid") if required else r.optional("HookSid"),
        "hook_uri": uri,
        "hook_url": url,
        "hook_friendly_name": r.optional("HookFriendlyName"),
    }


@attrs.frozen(kw_only=True)
class CompositionEnqueued(_OneComposition):
    """``composition-enqueued``: sent only for compositions a CompositionHook created."""

    EVENT = EventType.COMPOSITION_ENQUEUED
    hook_sid: str | None = None
    hook_uri: str | None = None
    hook_url: str | None = None
    hook_friendly_name: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), **_hook_kwargs(r, required=False)}


@attrs.frozen(kw_only=True)
class CompositionHookFailed(CompositionEvent):
    """``composition-hook-failed``: the hook could not create a composition (none exists)."""

    EVENT = EventType.COMPOSITION_HOOK_FAILED
    hook_sid: str
    hook_uri: str | None = None
    hook_url: str | None = None
    hook_friendly_name: str | None = None
    failed_operation: str | None = None
    error_message: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            **_hook_kwargs(r, required=True),
            "failed_operation": r.optional("FailedOperation"),
            "error_message": r.optional("ErrorMessage"),
        }


@attrs.frozen(kw_only=True)
class CompositionStarted(_OneComposition):
    """``composition-started``."""

    EVENT = EventType.COMPOSITION_STARTED


@attrs.frozen(kw_only=True)
class CompositionProgress(_OneComposition):
    """``composition-progress``, about every 10 %."""

    EVENT = EventType.COMPOSITION_PROGRESS
    percentage_done: int | None = None
    seconds_remaining: int | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "percentage_done": r.integer("PercentageDone"),
            "seconds_remaining": r.integer("SecondsRemaining"),
        }


@attrs.frozen(kw_only=True)
class CompositionAvailable(_OneComposition):
    """``composition-available``: the media can be downloaded from ``media_url``; ``duration``
    in seconds, ``size`` in bytes."""

    EVENT = EventType.COMPOSITION_AVAILABLE
    media_uri: str | None = None
    media_url: str | None = None
    duration: int | None = None
    size: int | None = None
    media_external_location: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {**super()._kwargs(r), **_media_kwargs(r)}


@attrs.frozen(kw_only=True)
class CompositionFailed(_OneComposition):
    """``composition-failed``."""

    EVENT = EventType.COMPOSITION_FAILED
    failed_operation: str | None = None
    error_message: str | None = None

    @classmethod
    def _kwargs(cls, r: FieldReader) -> dict[str, Any]:
        return {
            **super()._kwargs(r),
            "failed_operation": r.optional("FailedOperation"),
            "error_message": r.optional("ErrorMessage"),
        }
