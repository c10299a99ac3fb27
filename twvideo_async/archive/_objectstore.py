"""Object storage (S3, GCS, Azure) as a sink, through obstore (the ``objectstore`` extra).

* Configuration comes from obstore's standard environment variables (``AWS_ACCESS_KEY_ID``,
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``, ``AWS_ALLOW_HTTP=true``,
  ``GOOGLE_SERVICE_ACCOUNT``, ``AZURE_STORAGE_ACCOUNT_NAME``, ...) or an explicit ``config``.
  Destination URLs carrying credentials (userinfo, a query string such as an Azure SAS) are
  refused; :attr:`ObjectStoreSink.url`, reprs, logs and errors never show a credential.
* A writer (``_objectstore_writer``) buffers up to one part, stores a small object with one PUT
  and streams a larger one into a multipart upload; an abort leaves no object and no upload.
* S3 uploads carry ``x-amz-checksum-sha256`` on every part (``checksum=True``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    InvalidPathError,
    NotSupportedError,
    PermissionDeniedError,
    PreconditionError,
    UnauthenticatedError,
)
from obstore.store import from_url

from ..errors import ConfigurationError, InvalidRequestError
from ._objectstore_writer import (
    ABORTS_FAILED_UPLOADS,
    NO_METADATA,
    ObjectStoreWriter,
    raise_detached,
    user_metadata,
)
from ._sink import ObjectInfo, SinkError, check_key, check_metadata, check_size

if TYPE_CHECKING:
    from obstore.store import ObjectStore

__all__ = ["ABORTS_FAILED_UPLOADS", "ObjectStoreSink"]

DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS = 10_000  # S3's maximum number of parts
DEFAULT_MAX_CONCURRENCY = 4
_SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gs", "az": "az", "azure": "az", "abfs": "az"}
_SCHEMES["abfss"] = "az"
_ERROR_CODE = re.compile(r"<Code>([A-Za-z]{1,64})</Code>")
_PERMANENT = (
    FileNotFoundError,  # e.g. a missing bucket
    AlreadyExistsError,
    InvalidPathError,
    NotSupportedError,
    PermissionDeniedError,
    PreconditionError,
    UnauthenticatedError,
)
_SECRET_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _raise_configuration(message: str) -> NoReturn:
    error = ConfigurationError(message)
    try:
        raise error
    finally:
        error.__context__ = None


class ObjectStoreSink:
    """Objects below ``s3://bucket/prefix``, ``gs://bucket/prefix`` or ``az://container/prefix``.

    ``part_size`` (>= 5 MiB) and ``max_concurrency`` bound memory per writer; ``checksum``
    adds per-part SHA-256 checksums on S3; ``config`` (obstore's S3/GCS/Azure config keys)
    supplements the environment. ``store`` uses a ready obstore store instead (its prefix is
    the destination's).
    """

    def __init__(
        self,
        url: str,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        checksum: bool = True,
        config: Mapping[str, Any] | None = None,
        store: ObjectStore | None = None,
    ) -> None:
        self.url = _clean_url(url)
        if isinstance(part_size, bool) or not isinstance(part_size, int):
            raise InvalidRequestError(f"part_size must be an integer, got {part_size!r}")
        if part_size < MIN_PART_SIZE:
            raise InvalidRequestError(f"part_size must be at least 5 MiB, got {part_size}")
        if (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or max_concurrency < 1
        ):
            raise InvalidRequestError(
                f"max_concurrency must be an integer >= 1, got {max_concurrency!r}"
            )
        self.part_size = part_size
        self.max_concurrency = max_concurrency
        options = dict(config or {})
        if store is None:
            if checksum and self.url.startswith("s3://"):
                options.setdefault("checksum_algorithm", "SHA256")
            try:
                store = from_url(url, **options)
            except (BaseError, ValueError, TypeError) as exc:
                self._secrets = self._collect_secrets(options)
                _raise_configuration(
                    f"cannot configure {self.url}: {self._describe(exc)} (obstore reads the "
                    "store's standard environment variables, e.g. AWS_REGION, "
                    "GOOGLE_SERVICE_ACCOUNT, AZURE_STORAGE_ACCOUNT_NAME)"
                )
        self.store: ObjectStore = store
        self._secrets = self._collect_secrets(options)

    @staticmethod
    def _collect_secrets(options: Mapping[str, Any]) -> list[str]:
        values = [os.environ.get(name, "") for name in _SECRET_VARIABLES]
        values += [
            str(value)
            for name, value in options.items()
            if any(word in name.lower() for word in ("key", "secret", "token", "sas"))
        ]
        return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"<ObjectStoreSink {self.url}>"

    def _describe(self, exc: BaseException) -> str:
        """obstore's summary of an error and the store's error code, with any configured
        secret masked. The rest (the response body, a debug dump) is left out: S3 error
        bodies can echo the signed request."""
        text = str(exc)
        first = text.strip().split("\n", 1)[0].split(": <?xml", 1)[0][:300]
        code = _ERROR_CODE.search(text)
        detail = f" ({code.group(1)})" if code else ""
        return _redact(f"{type(exc).__name__}: {first}{detail}", self._secrets)

    def error(self, action: str, key: str, exc: BaseException) -> SinkError:
        transient = not isinstance(exc, _PERMANENT)
        return SinkError(
            f"cannot {action} {key} in {self.url}: {self._describe(exc)}", transient=transient
        )

    async def open_writer(
        self,
        key: str,
        *,
        size: int | None,
        metadata: Mapping[str, str],
        content_type: str | None = None,
    ) -> ObjectStoreWriter:
        check_key(key)
        check_size(size)
        attributes: dict[str, str] = dict(check_metadata(metadata))
        if content_type is not None:
            attributes["Content-Type"] = content_type
        part_size = self.part_size
        if size is not None and size > part_size * MAX_PARTS:
            # Keep within S3's 10,000 parts (with room to spare for a size that was wrong).
            part_size = math.ceil(size / (MAX_PARTS * 0.9))
        return ObjectStoreWriter(self, key, attributes, part_size)

    async def head(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            result = await obstore.get_async(self.store, key, options={"head": True})
        except FileNotFoundError:
            return None
        except (BaseError, OSError) as exc:
            raise_detached(self.error("look up", key, exc))
        meta = result.meta
        return ObjectInfo(key, meta["size"], meta["e_tag"], user_metadata(result.attributes))

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        metadata: Mapping[str, str] = NO_METADATA,
        content_type: str | None = None,
    ) -> ObjectInfo:
        writer = await self.open_writer(
            key, size=len(data), metadata=metadata, content_type=content_type
        )
        try:
            await writer.write(data)
            return await writer.commit()
        except BaseException:
            await writer.abort()
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        check_key(key)
        try:
            result = await obstore.get_async(self.store, key)
        except FileNotFoundError:
            raise_detached(SinkError(f"no object {key} in {self.url}"))
        except (BaseError, OSError) as exc:
            raise_detached(self.error("read", key, exc))
        stream = result.stream(min_chunk_size=1024 * 1024)
        while True:
            try:
                chunk = await stream.__anext__()
            except StopAsyncIteration:
                return
            except (BaseError, OSError) as exc:
                raise_detached(self.error("read", key, exc))
            yield bytes(chunk)

    async def aclose(self) -> None:
        return None


def _clean_url(url: str) -> str:
    """``scheme://bucket/prefix`` without a trailing slash; refuses URLs with credentials
    (without echoing them) and unknown schemes."""
    if not isinstance(url, str):
        raise InvalidRequestError(f"an object store URL must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        has_userinfo = "@" in parts.netloc and parts.scheme.lower() not in ("abfs", "abfss")
        valid = True
    except ValueError:
        valid = False
    if not valid:
        raise InvalidRequestError("the object store URL is not a valid URL")
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise InvalidRequestError(
            f"unsupported object store scheme {parts.scheme!r}: use s3://, gs:// or az://"
        )
    if has_userinfo or parts.query or parts.fragment or parts.password:
        raise InvalidRequestError(
            "refusing an object store URL with user info, a query string or a fragment: "
            "credentials go in the environment (e.g. AWS_ACCESS_KEY_ID), never in the URL"
        )
    if not parts.netloc:
        raise InvalidRequestError(f"the {scheme}:// URL names no bucket or container")
    prefix = parts.path.strip("/")
    return f"{parts.scheme.lower()}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
