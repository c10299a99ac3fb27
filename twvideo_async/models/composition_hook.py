"""Composition hooks (``/v1/CompositionHooks``): compositions created for every finished room."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Model
from .enums import CompositionFormat, HttpMethod

__all__ = ["CompositionHook"]


@attrs.frozen(kw_only=True)
class CompositionHook(Model):
    """A composition hook.

    Attributes:
        account_sid: Account that owns the hook.
        friendly_name: Name of the hook, unique within the account (up to 100 characters).
        enabled: Whether the hook runs for every completed group room.
        date_created: When the hook was created (UTC).
        date_updated: When the hook was last updated (UTC).
        sid: Hook SID (``HK...``).
        audio_sources: Audio track names included in the compositions.
        audio_sources_excluded: Audio track names excluded.
        video_layout: The layout regions of the compositions it creates.
        resolution: ``{width}x{height}``, e.g. ``640x480``.
        trim: Whether intervals without media are removed.
        format: ``mp4`` or ``webm``.
        status_callback: URL Twilio calls with status information.
        status_callback_method: ``POST`` or ``GET``.
        url: Absolute URL of the resource.
    """

    account_sid: str | None = None
    friendly_name: str | None = None
    enabled: bool | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    sid: str
    audio_sources: tuple[str, ...] | None = None
    audio_sources_excluded: tuple[str, ...] | None = None
    video_layout: Mapping[str, Any] | None = None
    resolution: str | None = None
    trim: bool | None = None
    format: CompositionFormat | str | None = None
    status_callback: str | None = None
    status_callback_method: HttpMethod | str | None = None
    url: str | None = None
