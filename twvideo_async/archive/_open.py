"""``open_sink(dest)``: the sink for a destination URL or path.

A module of its own so that ``_sink`` (the interface) imports none of its implementations; the
object-store sink is imported only when a destination needs it (obstore is an optional extra).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConfigurationError, InvalidRequestError
from ._local import LocalSink
from ._sink import Sink

_OBJECT_SCHEMES = ("s3", "s3a", "gs", "az", "azure", "abfs", "abfss")


def open_sink(dest: str | os.PathLike[str], **options: Any) -> Sink:
    """The sink for ``dest``: ``s3://bucket/prefix``, ``gs://bucket/prefix``,
    ``az://container/prefix`` (object storage, the ``objectstore`` extra), or a local
    directory as ``file:///abs/dir`` or a plain path. ``options`` go to the sink's
    constructor (:class:`LocalSink` or :class:`ObjectStoreSink`).
    """
    text = os.fspath(dest)
    if not isinstance(text, str) or not text:
        raise InvalidRequestError(f"a destination must be a non-empty path or URL, got {dest!r}")
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in _OBJECT_SCHEMES:
        try:
            from ._objectstore import ObjectStoreSink
        except ImportError as exc:
            if exc.name is None or not exc.name.startswith("obstore"):
                raise
            raise ConfigurationError(
                f"{scheme}:// destinations need obstore: pip install 'twvideo_async[objectstore]'"
            ) from None
        return ObjectStoreSink(text, **options)
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise InvalidRequestError(
                f"file:// destinations must be local (file:///abs/dir), got host {parts.netloc!r}"
            )
        return LocalSink(unquote(parts.path), **options)
    if scheme:
        raise InvalidRequestError(
            f"unsupported destination scheme {scheme!r}: use s3://, gs://, az://, file:// or a path"
        )
    return LocalSink(text, **options)
