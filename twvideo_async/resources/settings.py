"""Account-wide ``CompositionSettings/Default`` and ``RecordingSettings/Default`` singletons."""

from __future__ import annotations

from functools import cached_property
from typing import Generic, TypeVar

from .._decode.parsers import Parser, parser
from .._options import CallOptions, Unpack, make_options
from ..models import CompositionSettings, RecordingSettings
from ._base import Resource, raw

T = TypeVar("T")


class _Settings(Resource, Generic[T]):
    _path: str
    _parse: Parser[T]

    @cached_property
    def with_raw_response(self) -> SettingsRaw[T]:
        """``fetch`` and ``update`` returning the raw response too."""
        return SettingsRaw(self)

    async def fetch(
        self,
        **options: Unpack[CallOptions],
    ) -> T:
        """The current settings."""
        return await self._call(
            "GET",
            self._path,
            {},
            options=make_options(options),
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
        **options: Unpack[CallOptions],
    ) -> T:
        """Replace the settings (200). Send the full desired state: treat omitted fields as
        reset. ``aws_s3_url`` with ``aws_storage_enabled=True`` stores media in your bucket
        (such media cannot be composed); ``encryption_key_sid`` is a ``CR...`` public key."""
        return await self._call(
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
            options=make_options(options),
            parse=self._parse,
        )


class CompositionSettingsResource(_Settings[CompositionSettings]):
    """``client.composition_settings``: where and how compositions are stored."""

    _path = "/v1/CompositionSettings/Default"
    _parse = parser(CompositionSettings)


class RecordingSettingsResource(_Settings[RecordingSettings]):
    """``client.recording_settings``: where and how recordings are stored."""

    _path = "/v1/RecordingSettings/Default"
    _parse = parser(RecordingSettings)


class SettingsRaw(Generic[T]):
    """``*_settings.with_raw_response``: ``fetch`` and ``update`` returning a
    :class:`~twvideo_async.RawResponse` around the settings."""

    def __init__(self, resource: _Settings[T]) -> None:
        self.fetch = raw(resource.fetch)
        self.update = raw(resource.update)
