"""What a killed run left beside a final path: resumed when it can be proved to be the same
storage object, removed otherwise, never touched while a live download holds it.

A run killed hard (SIGKILL, a power cut) leaves its ``.{name}.part-XXXXXXXX`` and, when storage
gave something to prove it by, the sidecar ``.{name}.part-XXXXXXXX.json`` (see ``partfile``).
Before a download of the same final path starts, :func:`take_leftover`:

* takes the lock of every leftover that no live download holds (a live one keeps its lock
  until it ends, so it is never considered, and two reruns cannot both take one);
* keeps, of those whose sidecar is readable and well-formed, whose bytes do not pass the
  recorded size and whose recorded size is the listing's (when one is known), the one with
  the most bytes, and removes every other one with its sidecar (a file without a sidecar has
  nothing to prove, so it goes too);
* re-reads the kept bytes from disk to hash them (SHA-256, and MD5 when storage stated one):
  the hashes of the final file cover every byte of it, not only this run's.

Whether storage still serves that object is decided by the next request (``Range`` from the
kept size with ``If-Range``; see ``transfer``). A sidecar whose file is gone is removed too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import IO

import attrs

from .._logging import logger
from .integrity import Expected
from .partfile import Kept, read_sidecar, remove_sidecar, try_lock

_READ = 1024 * 1024


@attrs.define
class _Dead:
    """A leftover whose lock this run holds."""

    path: Path
    file: IO[bytes]
    size: int
    recorded: Expected | None


# A temporary file of final name F, or its sidecar: ``.F.part-xxxxxxxx[.json[.tmp]]``.
_TEMPORARY = re.compile(r"\.(?P<final>.+)\.part-[0-9a-f]{8}(?P<sidecar>\.json(\.tmp)?)?")


def _temporary(name: str) -> tuple[str, str] | None:
    """(final name, temporary file name) of a temporary file or sidecar; None otherwise."""
    m = _TEMPORARY.fullmatch(name)
    if m is None:
        return None
    sidecar = m.group("sidecar")
    return m.group("final"), name[: -len(sidecar)] if sidecar else name


class Leftovers:
    """The temporary files of one directory, from one scan, by final name.

    ``download_many`` writes every file into one directory: scanning it again for each file
    would make a batch of n files O(n**2) (100,000 recordings, 10**10 entries read). One scan
    at the start finds everything a killed run left; what this run creates later is live
    (locked) and never a leftover. Each final name's set is handed out once."""

    def __init__(self, directory: Path) -> None:
        self._by_final: dict[str, set[str]] = {}
        try:
            entries = list(os.scandir(directory))
        except OSError:
            entries = []
        for entry in entries:
            pair = _temporary(entry.name)
            if pair is not None:
                self._by_final.setdefault(pair[0], set()).add(pair[1])

    def take(self, final: Path) -> set[str]:
        return self._by_final.pop(final.name, set())

    def __len__(self) -> int:
        return len(self._by_final)


def _names_of(final: Path, index: Leftovers | None) -> set[str]:
    """The temporary file names of ``final`` beside it, sidecars mapped to their file: from
    ``index``, or from a scan of the directory made now."""
    return (index if index is not None else Leftovers(final.parent)).take(final)


def _take(path: Path) -> _Dead | None:
    """Lock ``path`` if no live download holds it; None if one does (or it is unreadable).

    A missing file whose sidecar is still there (an orphan) has its sidecar removed.
    """
    try:
        file = open(path, "r+b")  # noqa: SIM115 - closed by _remove or the adopting PartFile
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            remove_sidecar(path)
        return None
    except OSError:
        return None
    try:
        # Same inode still at the path: a file renamed away meanwhile is not a leftover.
        if try_lock(file.fileno()) and os.stat(path).st_ino == os.fstat(file.fileno()).st_ino:
            # Read only with the lock held: a live download may be rewriting the sidecar.
            size = os.fstat(file.fileno()).st_size
            return _Dead(path, file, size, read_sidecar(path))
    except OSError:
        pass
    file.close()
    return None


def _remove(dead: _Dead) -> bool:
    """Remove a leftover and its sidecar (the sidecar first, the lock held throughout)."""
    try:
        remove_sidecar(dead.path)
        os.unlink(dead.path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        logger.warning("could not remove the stale temporary file %s: %s", dead.path, exc)
        return False
    finally:
        dead.file.close()
    return True


def _fits(dead: _Dead, expected_size: int | None) -> bool:
    recorded = dead.recorded
    total = None if recorded is None else recorded.total
    # One byte of a one-byte object is no head start (see _rehash): nothing to resume.
    if total is None or total < 2 or not 0 < dead.size <= total:
        return False
    return expected_size is None or expected_size == total


def _rehash(dead: _Dead) -> Kept:
    """Hash the kept bytes from disk; the file is left positioned at their end."""
    recorded = dead.recorded
    assert recorded is not None  # noqa: S101 - checked by _fits
    file, size = dead.file, dead.size
    if size == recorded.total:
        # Complete but never committed: keep all but the last byte, so the next request still
        # asks storage for something and its answer proves the object unchanged.
        size -= 1
        file.truncate(size)
    sha256 = hashlib.sha256()
    md5 = None if recorded.md5 is None else hashlib.md5(usedforsecurity=False)
    file.seek(0)
    done = 0
    while done < size:
        chunk = file.read(min(_READ, size - done))
        if not chunk:
            raise OSError(f"{dead.path} ended after {done} of {size} bytes")
        sha256.update(chunk)
        if md5 is not None:
            md5.update(chunk)
        done += len(chunk)
    file.seek(size)
    return Kept(path=dead.path, file=file, size=size, sha256=sha256, md5=md5, expected=recorded)


def _sweep(
    final: Path, expected_size: int | None, index: Leftovers | None, *, resume: bool
) -> tuple[Kept | None, int]:
    names = _names_of(final, index)
    dead = [d for name in sorted(names) if (d := _take(final.with_name(name)))]
    chosen = None
    if resume:
        fitting = [d for d in dead if _fits(d, expected_size)]
        chosen = max(fitting, key=lambda d: d.size, default=None)
    removed = sum(_remove(d) for d in dead if d is not chosen)
    kept = None
    if chosen is not None:
        try:
            kept = _rehash(chosen)
        except OSError as exc:
            logger.info("could not resume from %s: %s", chosen.path, exc)
            removed += _remove(chosen)
    if removed:
        logger.info("removed %d stale temporary file(s) of %s", removed, final)
    if kept is not None and kept.size:
        logger.info("resuming %s from byte %d left by an earlier run", final, kept.size)
    return kept, removed


def take_leftover(
    final: Path, expected_size: int | None, index: Leftovers | None = None
) -> Kept | None:
    """The leftover of ``final`` to resume from (locked, hashed), having removed the others;
    None if there is none worth resuming. ``expected_size`` is the listing's size, if known;
    ``index`` a scan of the directory made earlier (else it is scanned now)."""
    return _sweep(final, expected_size, index, resume=True)[0]


def take_named(
    directory: Path, names: list[str], expected_size: int | None, index: Leftovers | None = None
) -> tuple[Path, Kept] | None:
    """The first of ``names`` (final paths not decided yet) with a leftover to resume."""
    for name in names:
        kept = take_leftover(directory / name, expected_size, index)
        if kept is not None:
            return directory / name, kept
    return None


def remove_stale(final: Path, index: Leftovers | None = None) -> int:
    """Remove every leftover of ``final`` that no live download holds; return how many."""
    return _sweep(final, None, index, resume=False)[1]
