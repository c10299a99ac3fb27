"""The temporary ``.part`` file a download is written to: created beside the final path,
hashed as it is written (SHA-256, and MD5 when storage states one), renamed onto the final path
only at commit, removed on discard. Any OSError of the file (a full disk, a file size limit)
is raised as :class:`MediaWriteError` naming the final path.

A live temporary file holds an exclusive advisory lock (``flock``, where the platform has it).
One whose process died (SIGKILL, power loss) holds none: :func:`remove_stale` deletes those
before a new download of the same final path starts, and never touches a live one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .._logging import logger
from ..errors import MediaWriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-file detection
    fcntl = None  # type: ignore[assignment]


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock without waiting; False if another open file holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale(final: Path) -> int:
    """Delete the temporary files of ``final`` that no live download holds; return how many.

    Only ``.{name}.part-*`` beside ``final`` are considered, and only those whose lock can be
    taken: a download in progress (in this process or another) keeps its lock until it ends.
    """
    prefix = f".{final.name}.part-"
    removed = 0
    try:
        entries = [e for e in os.scandir(final.parent) if e.name.startswith(prefix)]
    except OSError:
        return 0
    for entry in entries:
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _try_lock(fd):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    if removed:
        logger.info("removed %d stale temporary file(s) of %s", removed, final)
    return removed


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

    def __init__(self, final: Path, *, md5: bool) -> None:
        self.final = final
        self.path = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
        try:
            self._file: IO[bytes] = open(self.path, "xb")  # noqa: SIM115 - closed by finish/discard
        except OSError as exc:
            raise _write_error(final, exc) from exc
        # Held until the file is closed: marks it live for remove_stale in other runs.
        _try_lock(self._file.fileno())
        self._lock = threading.Lock()
        self.size = 0
        self.committed = False
        self.closed = False
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
            for chunk in chunks:
                self._file.write(chunk)
                # hashlib releases the GIL for large buffers: hashing here keeps it off the loop.
                self._sha256.update(chunk)
                if self._md5 is not None:
                    self._md5.update(chunk)
                self.size += len(chunk)

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
        with self._lock, self._errors():
            self.closed = True
            self._file.flush()
            if fsync:
                os.fsync(self._file.fileno())
            self._file.close()

    def commit(self) -> None:
        """Rename onto the final path: atomic, so readers see the old file or the new one."""
        with self._errors():
            os.replace(self.path, self.final)
        self.committed = True

    def discard(self) -> None:
        """Close and remove the temporary file; never raises.

        After a write error (a full disk) ``close()`` fails again while flushing the buffered
        bytes, yet it still closes the descriptor: the error is expected and the file must go
        regardless. Runs while another exception is on its way, which must not be replaced.
        """
        with self._lock:
            self.closed = True
            # The descriptor is closed even when the final flush fails.
            with contextlib.suppress(OSError):
                self._file.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("could not remove the temporary file %s: %s", self.path, exc)
