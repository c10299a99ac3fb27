"""The account's default recording and composition settings (external S3, encryption)."""

from __future__ import annotations

import attrs

from ._base import Model

__all__ = ["CompositionSettings", "RecordingSettings"]


@attrs.frozen(kw_only=True)
class _StorageSettings(Model):
    """Fields both settings singletons share (the two spec schemas are identical).

    Attributes:
        account_sid: Account the settings belong to.
        friendly_name: Name shown in the console.
        aws_credentials_sid: SID of the stored AWS credential (``CR...``).
        aws_s3_url: S3 URL (bucket and path) media is written to.
        aws_storage_enabled: Whether media is written to ``aws_s3_url`` instead of Twilio.
        encryption_key_sid: SID of the public key used for encryption (``CR...``).
        encryption_enabled: Whether media is stored encrypted.
        url: Absolute URL of the resource.
    """

    account_sid: str
    friendly_name: str | None = None
    aws_credentials_sid: str | None = None
    aws_s3_url: str | None = None
    aws_storage_enabled: bool | None = None
    encryption_key_sid: str | None = None
    encryption_enabled: bool | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class CompositionSettings(_StorageSettings):
    """Where and how compositions are stored (``/v1/CompositionSettings/Default``)."""


@attrs.frozen(kw_only=True)
class RecordingSettings(_StorageSettings):
    """Where and how recordings are stored (``/v1/RecordingSettings/Default``)."""
