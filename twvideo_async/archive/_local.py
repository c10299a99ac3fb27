"""A local directory as a sink, with the download layer's temporary-file-and-rename guarantees.

* Bytes go to ``.{name}.part-<random>`` in the target directory and are renamed onto the final
  name (``os.replace``, atomic) only at commit, after an optional ``fsync`` of the file; the
  directory is synced too, so a committed object survives a power loss. Abort and cancellation
  remove the temporary file; the final name never holds a partial object.
* Metadata lives in a hidden sidecar ``.{name}.twvideo-meta.json`` that names the inode, size
  and mtime of the file it describes; it is renamed into place right after the data. A sidecar
  that does not match the file at the key (a crash between the two renames, a file replaced by
  hand) is ignored, so :meth:`LocalSink.head` never reports metadata of another version, and a
  failed commit leaves the previous object and its metadata as they were.
* File work runs in worker threads; writes are batched up to 1 MiB so memory stays bounded.
  A cancellation never leaks what a thread was making (see ``_owned``). A commit cancelled
  while its thread renames may still complete: the object is then whole and verified, since
  commit comes only after every check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

from ..errors import InvalidRequestError
from ._sink import ObjectInfo, SinkError, check_key, check_metadata, check_size

T = TypeVar("T")
WRITE_BATCH = 1024 * 1024
READ_SIZE = 1024 * 1024
_SIDECAR = ".{}.twvideo-meta.json"
_NO_METADATA: Mapping[str, str] = {}


def _etag(stat: os.stat_result) -> str:
    return f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"


def _sync_directory(directory: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories
    finally:
        os.close(fd)


class LocalSink:
    """Objects as files below ``root`` (created if missing). ``fsync`` (default on) makes
    each commit durable before it is reported."""

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root).expanduser().absolute()
        self.fsync = fsync
        self.url = self.root.as_uri()

    def __repr__(self) -> str:
        return f"<LocalSink {self.url}>"

    def path_of(self, key: str) -> Path:
        """The final file of ``key`` (checked: it cannot leave the root or hit a hidden name)."""
        check_key(key)
        if any(segment.startswith(".") for segment in key.split("/")):
            # Dot names are this sink's own (temporary files, sidecars).
            raise InvalidRequestError(
                f"object key {key!r} has a segment starting with '.', reserved for local files"
            )
        return self.root.joinpath(*key.split("/"))

    async def open_writer(
        self,
        key: str,
        *,
        size: int | None,
        metadata: Mapping[str, str],
        content_type: str | None = None,
    ) -> LocalWriter:
        final = self.path_of(key)
        check_size(size)
        stored = check_metadata(metadata)
        return await _owned(
            LocalWriter, (self, key, final, stored, content_type), LocalWriter.discard
        )

    async def head(self, key: str) -> ObjectInfo | None:
        return await asyncio.to_thread(self._head, key, self.path_of(key))

    def _head(self, key: str, path: Path) -> ObjectInfo | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SinkError(f"cannot look up {key} in {self.url}: {exc.strerror}") from None
        if not path.is_file():
            raise SinkError(f"{key} in {self.url} is not a regular file")
        return ObjectInfo(key, stat.st_size, _etag(stat), _read_sidecar(path, stat))

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        metadata: Mapping[str, str] = _NO_METADATA,
        content_type: str | None = None,
    ) -> ObjectInfo:
        writer = await self.open_writer(
            key, size=len(data), metadata=metadata, content_type=content_type
        )
        try:
            await writer.write(data)
            return await writer.commit()
        except BaseException:
            await writer.abort()
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            handle: IO[bytes] = await _owned(_open_for_reading, (path,), _close)
        except FileNotFoundError:
            raise SinkError(f"no object {key} in {self.url}") from None
        try:
            while chunk := await asyncio.to_thread(handle.read, READ_SIZE):
                yield chunk
        finally:
            handle.close()

    async def aclose(self) -> None:
        return None


def _open_for_reading(path: Path) -> IO[bytes]:
    return open(path, "rb")


def _close(handle: IO[bytes]) -> None:
    handle.close()


async def _owned(func: Callable[..., T], args: tuple[Any, ...], cleanup: Callable[[T], None]) -> T:
    """``func(*args)`` in a worker thread. If the caller is cancelled meanwhile, the thread
    still finishes: what it made (an open temporary file) is then cleaned up, not leaked."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:

        def release(done: asyncio.Future[T]) -> None:
            if not done.cancelled() and done.exception() is None:
                cleanup(done.result())

        future.add_done_callback(release)
        raise


def _read_sidecar(path: Path, stat: os.stat_result) -> dict[str, str]:
    """The sidecar's metadata if it describes exactly this file, else none."""
    try:
        raw = json.loads((path.parent / _SIDECAR.format(path.name)).read_bytes())
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(raw, dict)
        or raw.get("inode") != stat.st_ino
        or raw.get("size") != stat.st_size
        or raw.get("mtime_ns") != stat.st_mtime_ns
        or not isinstance(raw.get("metadata"), dict)
    ):
        return {}
    return {str(k): str(v) for k, v in raw["metadata"].items()}


class LocalWriter:
    """One temporary file on its way to a key. A lock keeps :meth:`abort` from closing the
    file under a write that a cancellation left running in its thread."""

    def __init__(
        self,
        sink: LocalSink,
        key: str,
        final: Path,
        metadata: dict[str, str],
        content_type: str | None,
    ) -> None:
        self.sink = sink
        self.content_type = content_type
        self.key = key
        self.final = final
        self.metadata = metadata
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_dir():
            raise SinkError(f"{key} in {sink.url} is a directory")
        self.temp = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
        self._file: IO[bytes] | None = open(self.temp, "xb")  # noqa: SIM115 - closed by commit/abort
        self._lock = threading.Lock()
        self._batch: list[bytes] = []
        self._pending = 0
        self._done = False

    def __repr__(self) -> str:
        return f"<LocalWriter {self.key} in {self.sink.url}>"

    async def write(self, chunk: bytes) -> None:
        if self._done:
            raise SinkError(f"the writer of {self.key} is already closed")
        if chunk:
            self._batch.append(chunk)
            self._pending += len(chunk)
            if self._pending >= WRITE_BATCH:
                await self._flush()

    async def _flush(self) -> None:
        batch, self._batch, self._pending = self._batch, [], 0
        if batch:
            await asyncio.to_thread(self._write, batch)

    def _write(self, batch: list[bytes]) -> None:
        with self._lock:
            if self._file is None:
                raise SinkError(f"the writer of {self.key} was aborted")
            try:
                self._file.writelines(batch)
            except OSError as exc:
                raise SinkError(f"cannot write {self.key} in {self.sink.url}: {exc}") from None

    async def commit(self, late_metadata: Mapping[str, str] = _NO_METADATA) -> ObjectInfo:
        if self._done:
            raise SinkError(f"the writer of {self.key} is already closed")
        metadata = {**self.metadata, **check_metadata(late_metadata)}
        try:
            await self._flush()
            info = await asyncio.to_thread(self._commit, metadata)
        except BaseException:
            self.discard()
            raise
        self._done = True
        return info

    def _commit(self, metadata: dict[str, str]) -> ObjectInfo:
        with self._lock:
            handle = self._file
            if handle is None:
                raise SinkError(f"the writer of {self.key} was aborted")
            try:
                handle.flush()
                if self.sink.fsync:
                    os.fsync(handle.fileno())
                stat = os.fstat(handle.fileno())
                handle.close()
                self._file = None
                os.replace(self.temp, self.final)
                self._write_sidecar(stat, metadata)
                if self.sink.fsync:
                    _sync_directory(self.final.parent)
                stat = self.final.stat()
            except OSError as exc:
                raise SinkError(f"cannot store {self.key} in {self.sink.url}: {exc}") from None
        return ObjectInfo(self.key, stat.st_size, _etag(stat), metadata)

    def _write_sidecar(self, stat: os.stat_result, metadata: dict[str, str]) -> None:
        sidecar = self.final.with_name(_SIDECAR.format(self.final.name))
        document: dict[str, Any] = {
            "inode": stat.st_ino,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "metadata": metadata,
            "content_type": self.content_type,
        }
        temp = sidecar.with_name(f"{sidecar.name}.part-{secrets.token_hex(4)}")
        try:
            with open(temp, "xb") as handle:
                handle.write(json.dumps(document, sort_keys=True).encode())
                if self.sink.fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temp, sidecar)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    async def abort(self) -> None:
        # Synchronous on purpose: it runs in cleanup paths, possibly while being cancelled.
        self._batch, self._pending = [], 0
        self.discard()

    def discard(self) -> None:
        """Close and remove the temporary file (what :meth:`abort` does, without a loop)."""
        self._done = True
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp)
