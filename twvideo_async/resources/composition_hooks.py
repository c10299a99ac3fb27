"""Composition hooks: ``/v1/CompositionHooks``. Every enabled hook composes each group room
of the account when it ends."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import CompositionFormat, CompositionHook
from ._base import SID, Resource, raw
from .compositions import layout_field

_HOOK = parser(CompositionHook)
_HOOK_ITEMS = list_parser(CompositionHook)
_PATTERNS = {"Sid": SID["HK"]}
_FIELDS = (
    "enabled",
    "video_layout",
    "audio_sources",
    "audio_sources_excluded",
    "trim",
    "format",
    "resolution",
    "status_callback",
    "status_callback_method",
)
_CHANGEABLE = frozenset({"friendly_name", *_FIELDS})


class _Keep(enum.Enum):
    """The default of :meth:`CompositionHooks.modify`'s fields: keep the current value (a
    sentinel, since ``None`` is a value there: it clears the field)."""

    KEEP = "keep"


KEEP: Final = _Keep.KEEP


def _hook_form(friendly_name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "FriendlyName": friendly_name,
        "Enabled": fields.get("enabled"),
        "VideoLayout": layout_field(fields.get("video_layout"), fields.get("resolution")),
        "AudioSources": fields.get("audio_sources"),
        "AudioSourcesExcluded": fields.get("audio_sources_excluded"),
        "Trim": fields.get("trim"),
        "Format": fields.get("format"),
        "Resolution": fields.get("resolution"),
        "StatusCallback": fields.get("status_callback"),
        "StatusCallbackMethod": fields.get("status_callback_method"),
    }


class CompositionHooks(Resource):
    """``client.composition_hooks``. ``friendly_name`` (up to 100 characters, unique per
    account) is required on create and update."""

    @cached_property
    def with_raw_response(self) -> CompositionHooksRaw:
        """The one-request methods, returning the raw response too."""
        return CompositionHooksRaw(self)

    async def create(
        self,
        *,
        friendly_name: str,
        enabled: bool | None = None,
        video_layout: Mapping[str, Any] | str | None = None,
        audio_sources: Sequence[str] | None = None,
        audio_sources_excluded: Sequence[str] | None = None,
        resolution: str | None = None,
        format: CompositionFormat | str | None = None,
        status_callback: str | None = None,
        status_callback_method: str | None = None,
        trim: bool | None = None,
        **options: Unpack[CallOptions],
    ) -> CompositionHook:
        """Create a hook (201)."""
        fields = {name: value for name, value in locals().items() if name in _FIELDS}
        return await self._call(
            "POST",
            "/v1/CompositionHooks",
            {},
            form=_hook_form(friendly_name, fields),
            options=make_options(options),
            parse=_HOOK,
        )

    async def fetch(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> CompositionHook:
        """Fetch a hook by SID (``HK...``)."""
        return await self._call(
            "GET",
            "/v1/CompositionHooks/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=_HOOK,
        )

    async def delete(
        self,
        sid: str,
        **options: Unpack[CallOptions],
    ) -> None:
        """Delete a hook (204, immediate).

        A retried delete that finds nothing has done its job: when an attempt's answer was lost
        (dropped connection, timeout, 5xx) and the retry gets 404, this returns normally. A
        404 on the first attempt still raises ``NotFoundError``."""
        await self._call(
            "DELETE",
            "/v1/CompositionHooks/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            options=make_options(options),
            parse=None,
        )

    def list(
        self,
        *,
        enabled: bool | None = None,
        friendly_name: str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[CompositionHook]:
        """List hooks."""
        return self._list(
            "/v1/CompositionHooks",
            {},
            query={
                "Enabled": enabled,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
                "FriendlyName": friendly_name,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_HOOK_ITEMS,
        )

    async def update(
        self,
        sid: str,
        *,
        friendly_name: str,
        enabled: bool | None = None,
        video_layout: Mapping[str, Any] | str | None = None,
        audio_sources: Sequence[str] | None = None,
        audio_sources_excluded: Sequence[str] | None = None,
        trim: bool | None = None,
        format: CompositionFormat | str | None = None,
        resolution: str | None = None,
        status_callback: str | None = None,
        status_callback_method: str | None = None,
        **options: Unpack[CallOptions],
    ) -> CompositionHook:
        """Replace a hook (200). **Not a partial update: Twilio resets every field you leave
        out to its default.** To change a few fields and keep the rest, use :meth:`modify`."""
        fields = {name: value for name, value in locals().items() if name in _FIELDS}
        return await self._call(
            "POST",
            "/v1/CompositionHooks/{Sid}",
            {"Sid": sid},
            patterns=_PATTERNS,
            form=_hook_form(friendly_name, fields),
            idempotent=True,
            options=make_options(options),
            parse=_HOOK,
        )

    async def modify(
        self,
        sid: str,
        *,
        friendly_name: str | _Keep = KEEP,
        enabled: bool | _Keep | None = KEEP,
        video_layout: Mapping[str, Any] | str | _Keep | None = KEEP,
        audio_sources: Sequence[str] | _Keep | None = KEEP,
        audio_sources_excluded: Sequence[str] | _Keep | None = KEEP,
        trim: bool | _Keep | None = KEEP,
        format: CompositionFormat | str | _Keep | None = KEEP,
        resolution: str | _Keep | None = KEEP,
        status_callback: str | _Keep | None = KEEP,
        status_callback_method: str | _Keep | None = KEEP,
        **options: Unpack[CallOptions],
    ) -> CompositionHook:
        """Change some fields of a hook and keep the others: fetches the hook, merges the
        fields you pass over its current state and sends the full state with :meth:`update`.

        A field you leave out keeps its current value; ``None`` clears it (Twilio then
        applies its default, as :meth:`update` does for an omitted field). The fields and
        their types are :meth:`update`'s. ``timeout``, ``max_retries`` and ``extra_headers``
        apply to each of the two requests (the fetch and the update) separately, so the
        whole call can take up to twice ``timeout``."""
        changes = {
            name: value
            for name, value in locals().items()
            if name in _CHANGEABLE and value is not KEEP
        }
        current = await self.fetch(sid, **options)
        state: dict[str, Any] = {name: getattr(current, name) for name in _FIELDS}
        state["format"] = getattr(state["format"], "value", state["format"])
        state["status_callback_method"] = getattr(
            state["status_callback_method"], "value", state["status_callback_method"]
        )
        # Twilio returns {} for "no layout"; sending that back would be refused as invalid.
        state["video_layout"] = dict(state["video_layout"]) if state["video_layout"] else None
        state.update(changes)
        hook_name = state.pop("friendly_name", None) or current.friendly_name or ""
        return await self.update(sid, friendly_name=hook_name, **state, **options)


class CompositionHooksRaw:
    """``CompositionHooks.with_raw_response``: the one-request methods of :class:`CompositionHooks`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: CompositionHooks) -> None:
        self.create = raw(resource.create)
        self.fetch = raw(resource.fetch)
        self.delete = raw(resource.delete)
        self.update = raw(resource.update)
