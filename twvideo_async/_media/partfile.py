"""The temporary ``.part`` file a download is written to: created beside the final path,
hashed as it is written (SHA-256, and MD5 when storage states one), renamed onto the final path
only at commit, removed on discard."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import IO


class PartFile:
    """The temporary file beside the final path, with running SHA-256 (and MD5 if needed).

    :meth:`write` runs in a worker thread; a lock keeps :meth:`discard` from closing the file
    under a write that a cancellation left running.
    """

    def __init__(self, final: Path, *, md5: bool) -> None:
        self.final = final
        self.path = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
        self._file: IO[bytes] = open(self.path, "xb")  # noqa: SIM115 - closed by finish/discard
        self._lock = threading.Lock()
        self.size = 0
        self.committed = False
        self._start_hashes(md5)

    def _start_hashes(self, md5: bool) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False) if md5 else None

    def write(self, chunks: list[bytes]) -> None:
        with self._lock:
            for chunk in chunks:
                self._file.write(chunk)
                # hashlib releases the GIL for large buffers: hashing here keeps it off the loop.
                self._sha256.update(chunk)
                if self._md5 is not None:
                    self._md5.update(chunk)
                self.size += len(chunk)

    def reset(self, *, md5: bool) -> None:
        """Back to an empty file (storage ignored Range, or the bytes failed a check)."""
        with self._lock:
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
        with self._lock:
            self._file.flush()
            if fsync:
                os.fsync(self._file.fileno())
            self._file.close()

    def commit(self) -> None:
        """Rename onto the final path: atomic, so readers see the old file or the new one."""
        os.replace(self.path, self.final)
        self.committed = True

    def discard(self) -> None:
        with self._lock:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
