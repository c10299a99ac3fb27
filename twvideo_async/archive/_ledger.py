"""The ledger: one durable row per media item, and the protocol every ledger implements.

The ledger is the archive's memory and its audit trail: what was discovered, what was copied
where with which SHA-256, what was verified, what was deleted at Twilio and when. The job never
trusts the destination alone, and the delete step never trusts the ledger alone.

Work is handed out with leases, the mechanism job queues on PostgreSQL use: ``claim`` marks rows
as held by one worker until ``lease_until``; a worker renews its leases while a long transfer
runs; every state change is fenced (``WHERE sid=? AND worker=? AND state=?``), so a worker that
lost its lease (it stalled, another took the row over) changes nothing. The SQLite ledger
implements this for one host and several processes; a PostgreSQL ledger (``FOR UPDATE SKIP
LOCKED``) implements the same protocol for many machines.
"""

from __future__ import annotations

import enum
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import attrs

from ..errors import TwilioVideoError
from ._keys import ArchiveItem

__all__ = [
    "CHANGE_FIELDS",
    "Ledger",
    "LedgerError",
    "LedgerRow",
    "State",
    "WORK_STATES",
    "iter_rows",
    "local_worker_is_dead",
    "new_worker_id",
]


class LedgerError(TwilioVideoError):
    """The ledger could not be read or written (disk full, a locked or damaged file, ...).

    The run stops: without its record nothing may be copied, verified or deleted.
    """


class State(str, enum.Enum):
    """Where one item stands.

    ``discovered``: listed at Twilio, nothing copied yet. ``pending``: not ready at Twilio yet
    (a recording not ``completed``, a composition ``enqueued``/``processing``, a ``/Media`` 404);
    retried after ``not_before``. ``archived``: the media object is committed at its key (its
    size, Twilio's MD5 and its SHA-256 were checked in flight); the sidecar or the check of the
    committed object may still be missing. ``verified``: object and sidecar checked at the
    destination. ``source_deleted``: verified, then deleted at Twilio. ``failed``: the last
    attempt failed (``last_error``). ``skipped``: deliberately not copied (``reason``).
    """

    DISCOVERED = "discovered"
    PENDING = "pending"
    ARCHIVED = "archived"
    VERIFIED = "verified"
    SOURCE_DELETED = "source_deleted"
    FAILED = "failed"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return str(self.value)


# What ``run_archive`` works on; everything else is final for a run.
WORK_STATES: tuple[State, ...] = (State.DISCOVERED, State.PENDING, State.ARCHIVED)
# Columns a transition may set besides the state (anything else is a programming error).
CHANGE_FIELDS = frozenset(
    {"sha256", "dest_key", "etag", "size", "last_error", "reason", "not_before", "item"}
)


@attrs.frozen(kw_only=True)
class LedgerRow:
    """One item's row. Times are seconds since the Unix epoch (``None`` when not yet).

    Attributes:
        item: The item as last read from Twilio (its keys, size, status, raw JSON).
        state: See :class:`State`.
        sha256: Hex SHA-256 of the archived object, computed while it streamed.
        dest_key: The key the media object was committed at (relative to the sink).
        etag: The destination's etag of the object at commit: a rewrite changes it.
        attempts: Copy attempts so far (each claim for copying counts one).
        last_error: Why the last attempt failed (one line, no credentials or signed URLs).
        reason: Why the item was skipped.
        worker: The worker holding the row's lease, if any.
        lease_until: When that lease expires.
        not_before: A pending item is retried from then on.
    """

    item: ArchiveItem
    state: State
    sha256: str | None = None
    dest_key: str | None = None
    etag: str | None = None
    attempts: int = 0
    last_error: str | None = None
    reason: str | None = None
    worker: str | None = None
    lease_until: float | None = None
    not_before: float | None = None
    discovered_at: float | None = None
    updated_at: float | None = None
    archived_at: float | None = None
    verified_at: float | None = None
    deleted_at: float | None = None

    @property
    def sid(self) -> str:
        return self.item.sid

    @property
    def size(self) -> int | None:
        return self.item.size


@runtime_checkable
class Ledger(Protocol):
    """What the archive job, ``verify_archive`` and ``delete_source`` need from a ledger.

    Every method is a coroutine that never blocks the event loop. ``claim``, ``renew``,
    ``transition`` and ``release`` are the lease API: rows are held by a worker id (see
    :func:`new_worker_id`) and every change is fenced by worker and current state.
    """

    async def bind_destination(self, url: str) -> None:
        """Record ``url`` as this ledger's destination, or refuse (``ConfigurationError``) if
        the ledger was created for another one."""
        ...

    async def destination(self) -> str | None:
        """The destination URL the ledger was created for (``None`` if never used)."""
        ...

    async def upsert(self, items: Sequence[ArchiveItem]) -> int:
        """Insert new items as ``discovered`` and refresh the Twilio fields of rows not yet
        copied; return how many were new. Idempotent."""
        ...

    async def claim(
        self,
        worker: str,
        limit: int,
        lease_seconds: float,
        *,
        states: Collection[State] = WORK_STATES,
        sids: Collection[str] | None = None,
        count_attempt: bool = False,
    ) -> list[LedgerRow]:
        """Lease up to ``limit`` rows in ``states`` that no live lease holds (pending ones only
        once their ``not_before`` passed), oldest first; only ``sids`` if given."""
        ...

    async def renew(self, worker: str, sids: Collection[str], lease_seconds: float) -> int:
        """Extend ``worker``'s leases on ``sids``; return how many it still held."""
        ...

    async def transition(
        self,
        sid: str,
        worker: str,
        from_state: State,
        to_state: State,
        *,
        changes: Mapping[str, Any] | None = None,
        release: bool = True,
    ) -> bool:
        """Move ``sid`` from ``from_state`` to ``to_state`` if ``worker`` holds it; set
        ``changes`` (keys from :data:`CHANGE_FIELDS`); drop the lease unless ``release`` is
        false. False (and nothing changed) when the fence does not match."""
        ...

    async def release(self, worker: str, sids: Collection[str] | None = None) -> int:
        """Drop ``worker``'s leases (all of them, or on ``sids``) without changing states."""
        ...

    async def release_dead(self, is_dead: Callable[[str], bool]) -> int:
        """Drop the live leases of every worker ``is_dead`` says is gone (a killed process)."""
        ...

    async def requeue_failed(self) -> int:
        """Make ``failed`` rows ``discovered`` again (a new run retries them)."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """``async with ledger.exclusive("discovery") as mine:``: hold the ledger-wide lock
        ``name`` for the block if no other worker holds it; ``mine`` says whether this one got
        it. Never waits; a holder that dies loses the lock at once."""
        ...

    async def get(self, sid: str) -> LedgerRow | None: ...

    async def rows(
        self,
        *,
        states: Collection[State] | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> list[LedgerRow]:
        """One page of rows ordered by SID, starting after SID ``after``."""
        ...

    async def counts(self) -> dict[State, tuple[int, int]]:
        """``{state: (items, bytes)}``."""
        ...

    async def next_wakeup(self) -> float | None:
        """The earliest ``not_before`` of a pending row (``None`` if none is pending)."""
        ...

    async def get_cursor(self, name: str) -> str | None: ...

    async def set_cursor(self, name: str, value: str) -> None: ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Ledger: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


async def iter_rows(
    ledger: Ledger, *, states: Collection[State] | None = None, page: int = 500
) -> AsyncIterator[LedgerRow]:
    """Every row (in ``states``), by SID, a page at a time (bounded memory)."""
    after: str | None = None
    while True:
        rows = await ledger.rows(states=states, after=after, limit=page)
        for row in rows:
            yield row
        if len(rows) < page:
            return
        after = rows[-1].sid


def new_worker_id() -> str:
    """``host:pid:random``: unique per run, and tells a same-host ledger whether it is alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def local_worker_is_dead(worker: str) -> bool:
    """True for a worker id of this host whose process no longer exists.

    Lets a rerun after SIGKILL take over the dead run's leases at once instead of waiting for
    them to expire. Workers of other hosts are never judged here (their leases expire).
    """
    if os.name != "posix":
        return False  # signal 0 means something else on Windows
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by someone else
    return False
