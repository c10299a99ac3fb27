"""Archiving Twilio media into storage you own: sinks and verified copies.

- :func:`open_sink` gives a :class:`Sink` for ``s3://bucket/prefix``, ``gs://...``, ``az://...``
  (through obstore, the ``objectstore`` extra) or a local directory (:class:`LocalSink`).
- :func:`copy_to_sink` streams one media object into a sink, checking size, storage's MD5 and a
  SHA-256 before the object becomes visible; it retries transient failures.

Writers are all-or-nothing: nothing appears at a key until it is committed, and an aborted or
failed copy leaves nothing behind.
"""

from __future__ import annotations

from ._copy import CopyResult, copy_to_sink
from ._local import LocalSink
from ._open import open_sink
from ._sink import ObjectInfo, Sink, SinkError, SinkWriter, check_key

__all__ = [
    "CopyResult",
    "LocalSink",
    "ObjectInfo",
    "Sink",
    "SinkError",
    "SinkWriter",
    "check_key",
    "copy_to_sink",
    "open_sink",
]
