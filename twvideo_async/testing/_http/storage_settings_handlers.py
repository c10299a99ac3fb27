"""The ``/Default`` storage settings singletons of compositions and recordings.

An update replaces the whole singleton: fields the POST leaves out go back to their defaults.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from .._state.records import StorageSettings
from .handler_context import body, context, query, renderer

SETTINGS_FIELDS = frozenset(
    {
        "FriendlyName",
        "AwsCredentialsSid",
        "EncryptionKeySid",
        "AwsS3Url",
        "AwsStorageEnabled",
        "EncryptionEnabled",
    }
)


def _settings(request: web.Request) -> StorageSettings:
    state = context(request).state
    if request.path.startswith("/v1/CompositionSettings"):
        return state.composition_settings
    return state.recording_settings


async def fetch_settings(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response(renderer(request).settings(_settings(request), request.path))


async def update_settings(request: web.Request) -> web.Response:
    params = await body(request, SETTINGS_FIELDS)
    settings = _settings(request)
    # Validate everything first, then replace the whole singleton (omitted fields reset).
    values = StorageSettings(
        friendly_name=params.required("FriendlyName"),
        aws_credentials_sid=params.sid("AwsCredentialsSid", "CR"),
        aws_s3_url=params.url("AwsS3Url"),
        aws_storage_enabled=params.flag("AwsStorageEnabled", False),
        encryption_key_sid=params.sid("EncryptionKeySid", "CR"),
        encryption_enabled=params.flag("EncryptionEnabled", False),
    )
    for item in dataclasses.fields(values):
        setattr(settings, item.name, getattr(values, item.name))
    return web.json_response(renderer(request).settings(settings, request.path))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v1/CompositionSettings/Default", fetch_settings, allow_head=False),
        web.post("/v1/CompositionSettings/Default", update_settings),
        web.get("/v1/RecordingSettings/Default", fetch_settings, allow_head=False),
        web.post("/v1/RecordingSettings/Default", update_settings),
    ]
