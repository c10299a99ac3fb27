"""Account-wide ``CompositionSettings/Default`` and ``RecordingSettings/Default`` singletons."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .._client import make_options as options
from .._request import Timeout
from ..models import CompositionSettings, RecordingSettings
from ._base import Resource, parser

T = TypeVar("T")
_Headers = Mapping[str, str] | None


class _Settings(Resource, Generic[T]):
    _path: str
    _parse: Callable[[Mapping[str, Any]], T]

    async def fetch(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> T:
        """The current settings."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            self._path,
            {},
            options=options(timeout, max_retries, extra_headers),
            parse=self._parse,
        )

    async def update(
        self,
        *,
        friendly_name: str,
        aws_credentials_sid: str | None = None,
        encryption_key_sid: str | None = None,
        aws_s3_url: str | None = None,
        aws_storage_enabled: bool | None = None,
        encryption_enabled: bool | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> T:
        """Replace the settings (200). Send the full desired state: treat omitted fields as
        reset. ``aws_s3_url`` with ``aws_storage_enabled=True`` stores media in your bucket
        (such media cannot be composed); ``encryption_key_sid`` is a ``CR...`` public key."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            self._path,
            {},
            form={
                "FriendlyName": friendly_name,
                "AwsCredentialsSid": aws_credentials_sid,
                "EncryptionKeySid": encryption_key_sid,
                "AwsS3Url": aws_s3_url,
                "AwsStorageEnabled": aws_storage_enabled,
                "EncryptionEnabled": encryption_enabled,
            },
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=self._parse,
        )


class CompositionSettingsResource(_Settings[CompositionSettings]):
    """``client.composition_settings``: where and how compositions are stored."""

    _path = "/v1/CompositionSettings/Default"
    _parse = staticmethod(parser(CompositionSettings))


class RecordingSettingsResource(_Settings[RecordingSettings]):
    """``client.recording_settings``: where and how recordings are stored."""

    _path = "/v1/RecordingSettings/Default"
    _parse = staticmethod(parser(RecordingSettings))
