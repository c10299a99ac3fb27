"""The temporary ``.part`` file a download is written to: created beside the final path,
hashed as it is written (SHA-256, and MD5 when storage states one), renamed onto the final path
only at commit, removed on discard. Any OSError of the file (a full disk, a file size limit)
is raised as :class:`MediaWriteError` naming the final path.

A live temporary file holds an exclusive advisory lock (``flock``, where the platform has it).
One whose process died (SIGKILL, power loss) holds none: ``leftover`` finds those before a new
download of the same final path starts, resumes from one it can prove belongs to the same
storage object and removes the rest, never touching a live one.

The proof is the sidecar ``<part>.json`` (:class:`Validators`): the storage object's strong
``ETag`` (or ``Last-Modified`` when it has no ETag), its size and the MD5 storage vouches for.
It is written atomically (a temporary file renamed over it) whenever a full answer's headers
arrive, before any byte of that body reaches the file, and removed when the file is removed or
committed (first, so a sidecar never outlives its file). An object with no validator or no
known size gets none.

The sidecar is not fsynced. A killed process leaves everything it wrote in the page cache, so
a rerun finds it; after a power cut a sidecar that was lost only means starting from zero, and
the body's own bytes were never fsynced either (so a durable sidecar would vouch for nothing
more). An fsync per file, on the other hand, cost 3.7 ms here and, on ext4, can make the
journal write out other downloads' dirty data too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from .._logging import logger
from ..errors import MediaWriteError
from .integrity import Expected

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-file detection
    fcntl = None  # type: ignore[assignment]


def try_lock(fd: int) -> bool:
    """Take an exclusive lock without waiting; False if another open file holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


# Header-safe validator text: visible ASCII and spaces (it is sent back as ``If-Range``).
_TEXT = re.compile(r"^[\x20-\x7e]{1,1024}$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_MD5_SOURCES = ("Content-MD5", "ETag")
MAX_SIDECAR = 4096  # bytes; anything longer is not ours


def sidecar_of(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def dump_record(expected: Expected) -> bytes:
    md5 = None if expected.md5 is None else list(expected.md5)
    record = {"sidecar": 1, "size": expected.total, "etag": expected.etag}
    return json.dumps({**record, "last_modified": expected.last_modified, "md5": md5}).encode()


def parse_record(raw: bytes) -> Expected | None:
    """A sidecar's record, or None for anything malformed or unprovable (the file is then
    removed). Its texts are sent back as ``If-Range``: visible ASCII only."""
    try:
        record: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("sidecar") != 1:
        return None
    size, etag, md5 = record.get("size"), record.get("etag"), record.get("md5")
    modified = record.get("last_modified")
    if type(size) is not int or not 0 < size < 2**62:
        return None
    for text in (etag, modified):
        if text is not None and not (isinstance(text, str) and _TEXT.fullmatch(text)):
            return None
    if md5 is not None:
        if not (isinstance(md5, list) and len(md5) == 2 and md5[1] in _MD5_SOURCES):
            return None
        if not (isinstance(md5[0], str) and _MD5.fullmatch(md5[0])):
            return None
        md5 = (md5[0], md5[1])
    expected = Expected(size, etag, modified, md5)
    return expected if expected.provable else None


def read_sidecar(part: Path) -> Expected | None:
    """The record beside ``part``; None if it is missing, unreadable or malformed."""
    try:
        with open(sidecar_of(part), "rb") as file:
            raw = file.read(MAX_SIDECAR + 1)
    except OSError:
        return None
    return None if len(raw) > MAX_SIDECAR else parse_record(raw)


def remove_sidecar(part: Path) -> None:
    """Remove ``part``'s sidecar and a half-written one; a missing one is fine."""
    for path in (sidecar_of(part), part.with_name(part.name + ".json.tmp")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _write_sidecar(part: Path, expected: Expected) -> None:
    """Write the sidecar atomically: a temporary file renamed over it, so a kill at any point
    leaves the old record, the new one, or none (never a torn one). Not fsynced: see the
    module docstring."""
    final = sidecar_of(part)
    tmp = part.with_name(part.name + ".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, dump_record(expected))
    finally:
        os.close(fd)
    os.replace(tmp, final)


@attrs.frozen(kw_only=True)
class Kept:
    """A leftover taken over by this run: its open, locked file at its end and the hashes of
    the bytes already in it (``leftover`` re-read them from disk)."""

    path: Path
    file: IO[bytes]
    size: int
    sha256: hashlib._Hash
    md5: hashlib._Hash | None
    expected: Expected  # what its sidecar recorded


def _write_error(final: Path, exc: OSError) -> MediaWriteError:
    return MediaWriteError(
        exc.errno,
        f"could not write the download to {final}: {exc.strerror or exc}; "
        "the partial file is removed and the target left untouched",
        str(final),
    )


class PartFile:
    """The temporary file beside the final path, with running SHA-256 (and MD5 if needed).

    :meth:`write` runs in a worker thread. A lock keeps :meth:`discard` from closing the file
    under a running write, and a write that starts after :meth:`discard` writes nothing: once
    ``discard()`` has returned, no thread writes to the file again (whatever a cancellation
    left queued or running).
    """

    def __init__(self, final: Path, *, md5: bool = False, kept: Kept | None = None) -> None:
        self.final = final
        self._lock = threading.Lock()
        self.committed = False
        self.closed = False
        self._recorded: Expected | None = None  # to record before the next bytes
        self._file: IO[bytes]
        if kept is not None:  # a killed run's file, resumed (its lock is already held)
            self.path, self._file, self.size = kept.path, kept.file, kept.size
            self._sha256, self._md5 = kept.sha256, kept.md5
            return
        self.path = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
        try:
            self._file = open(self.path, "xb")  # noqa: SIM115 - closed by commit/discard
        except OSError as exc:
            raise _write_error(final, exc) from exc
        # Held until the file is closed: marks it live for the leftover sweep of other runs.
        try_lock(self._file.fileno())
        self.size = 0
        self._start_hashes(md5)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise _write_error(self.final, exc) from exc

    def _start_hashes(self, md5: bool) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False) if md5 else None

    def write(self, chunks: list[bytes]) -> None:
        """Append and hash ``chunks`` (in a worker thread); nothing once the file is closed."""
        with self._lock, self._errors():
            if self.closed:
                return  # discarded meanwhile: the download has ended
            recorded, self._recorded = self._recorded, None
            if recorded is not None:  # the first bytes of an answer: say whose they are
                if recorded.provable:
                    _write_sidecar(self.path, recorded)
                else:
                    remove_sidecar(self.path)
            for chunk in chunks:
                self._file.write(chunk)
                # hashlib releases the GIL for large buffers: hashing here keeps it off the loop.
                self._sha256.update(chunk)
                if self._md5 is not None:
                    self._md5.update(chunk)
                self.size += len(chunk)

    def record(self, expected: Expected) -> None:
        """A full answer begins: its first :meth:`write`, before any of its bytes, records
        (or, with nothing to prove, forgets) which object the file holds, so a rerun after a
        kill can resume from it. Nothing is written here: a pause between an answer's headers
        and its body would let a connection drop take the bytes aiohttp had buffered."""
        self._recorded = expected

    def reset(self, *, md5: bool) -> None:
        """Back to an empty file (storage ignored Range, or the bytes failed a check)."""
        with self._lock, self._errors():
            self._file.seek(0)
            self._file.truncate()
            self.size = 0
            self._start_hashes(md5)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str | None:
        return None if self._md5 is None else self._md5.hexdigest()

    def finish(self, fsync: bool) -> None:
        """No more writes; the bytes flushed (and fsynced if asked). The file stays open, and
        so locked, until :meth:`commit`: another run must never take it over meanwhile."""
        with self._lock, self._errors():
            self.closed = True
            self._file.flush()
            if fsync:
                os.fsync(self._file.fileno())

    def commit(self) -> None:
        """Rename onto the final path: atomic, so readers see the old file or the new one."""
        with self._lock, self._errors():
            remove_sidecar(self.path)  # first: a sidecar never outlives its file
            if fcntl is None:  # pragma: no cover - Windows cannot rename an open file
                self._file.close()
            os.replace(self.path, self.final)
            self.committed = True
        with contextlib.suppress(OSError):  # flushed in finish(): nothing left to fail on
            self._file.close()

    def discard(self) -> None:
        """Close and remove the temporary file; never raises.

        After a write error (a full disk) ``close()`` fails again while flushing the buffered
        bytes, yet it still closes the descriptor: the error is expected and the file must go
        regardless. Runs while another exception is on its way, which must not be replaced.
        """
        with self._lock:
            self.closed = True
            try:
                remove_sidecar(self.path)  # first: a sidecar never outlives its file
            except OSError as exc:
                logger.warning("could not remove the sidecar of %s: %s", self.path, exc)
            # The descriptor is closed even when the final flush fails.
            with contextlib.suppress(OSError):
                self._file.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("could not remove the temporary file %s: %s", self.path, exc)
