"""Archive an account's media into storage you own, verified and resumable, then delete at
Twilio only what is proven copied.

- :func:`open_sink` gives a :class:`Sink` for ``s3://bucket/prefix``, ``gs://...``, ``az://...``
  (through obstore, the ``objectstore`` extra) or a local directory (:class:`LocalSink`).
- :func:`copy_to_sink` streams one media object into a sink, checking size, storage's MD5 and a
  SHA-256 before the object becomes visible; it retries transient failures.
- A *ledger* (:class:`SQLiteLedger` by default, :class:`PostgresLedger` for many machines,
  any :class:`Ledger`) keeps one durable row per
  media item: what was discovered, copied where with which SHA-256, verified, deleted at Twilio.

Writers are all-or-nothing: nothing appears at a key until it is committed, and an aborted or
failed copy leaves nothing behind.
"""

from __future__ import annotations

from ._copy import CopyResult, copy_to_sink
from ._delete import delete_source
from ._job import ArchiveEvent, ArchiveReport, run_archive
from ._keys import ArchiveItem, kind_of_sid
from ._ledger import (
    Ledger,
    LedgerError,
    LedgerRow,
    State,
    iter_rows,
    local_worker_is_dead,
    new_worker_id,
)
from ._local import LocalSink
from ._one import ItemResult, archive_one
from ._open import open_sink
from ._open_ledger import open_ledger
from ._postgres import PostgresLedger
from ._sink import ObjectInfo, Sink, SinkError, SinkWriter, check_key
from ._sqlite import SQLiteLedger
from ._verify import verify_archive

__all__ = [
    "ArchiveEvent",
    "ArchiveItem",
    "ArchiveReport",
    "CopyResult",
    "ItemResult",
    "Ledger",
    "LedgerError",
    "LedgerRow",
    "LocalSink",
    "ObjectInfo",
    "PostgresLedger",
    "SQLiteLedger",
    "Sink",
    "SinkError",
    "SinkWriter",
    "State",
    "archive_one",
    "check_key",
    "copy_to_sink",
    "delete_source",
    "iter_rows",
    "kind_of_sid",
    "local_worker_is_dead",
    "new_worker_id",
    "open_ledger",
    "open_sink",
    "run_archive",
    "verify_archive",
]
