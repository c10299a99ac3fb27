"""``open_ledger``: the ledger for a location, in a module of its own so the ledger protocol
imports none of its implementations."""

from __future__ import annotations

import os

from ..errors import ConfigurationError
from ._ledger import Ledger
from ._postgres import PostgresLedger
from ._sqlite import SQLiteLedger

__all__ = ["open_ledger"]


def open_ledger(location: str | os.PathLike[str]) -> Ledger:
    """The ledger at ``location``: a file path (SQLite, the default) or a ``postgresql://``
    URL (:class:`PostgresLedger`, the ``postgres`` extra). Use it with ``async with``."""
    text = os.fspath(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresLedger(text)
    if "://" in text and not text.startswith("file://"):
        scheme = text.split("://", 1)[0]
        raise ConfigurationError(
            f"no ledger for {scheme}:// locations; give a SQLite file path or a postgresql:// URL"
        )
    return SQLiteLedger(text.removeprefix("file://"))
