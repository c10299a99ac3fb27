"""``open_ledger``: the ledger for a location, in a module of its own so the ledger protocol
imports none of its implementations."""

from __future__ import annotations

import os

from ..errors import ConfigurationError
from ._ledger import Ledger
from ._sqlite import SQLiteLedger

__all__ = ["open_ledger"]


def open_ledger(location: str | os.PathLike[str]) -> Ledger:
    """The ledger at ``location``: a file path (SQLite, the default). Use it with ``async with``.

    Other ledgers (a PostgreSQL URL) plug in here by scheme.
    """
    text = os.fspath(location)
    if "://" in text and not text.startswith("file://"):
        scheme = text.split("://", 1)[0]
        raise ConfigurationError(
            f"no ledger for {scheme}:// locations in this version; give a SQLite file path"
        )
    return SQLiteLedger(text.removeprefix("file://"))
