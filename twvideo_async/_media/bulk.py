"""``download_many``: many media files into one directory, a fixed number at a time.

A pool of ``concurrency`` workers pulls items one by one, so an async iterable (a paginated
listing) streams in while downloads run and is never materialised. Each worker holds at most
one storage connection at a time, which bounds the storage connections of the call. One file's
failure is recorded in its result and never stops the others; only cancellation, an exception
from the item source, or one from the progress callback ends the call early.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from pathlib import Path
from typing import Any

import attrs

from .._constants import DEFAULT_CONCURRENCY
from .._options import Unpack, option_names, reject_unknown
from .._request import Requester
from ..errors import InvalidRequestError
from .attempts import Transfer
from .leftover import Leftovers
from .naming import check_file_name
from .options import DownloadManyOptions, FileSettings
from .progress import ProgressCallbackError, ProgressKind, Tally
from .resolve import FetchOptions, MediaPath, MediaSource


@attrs.frozen
class MediaItem:
    """One file for :func:`download_many`: what to fetch and the name to give it.

    Without ``file_name`` the file is the SID plus the extension of the storage answer's
    ``Content-Type`` (``RT....mka``/``RT....mkv``/``CJ....mp4``). ``expected_size`` (a
    resource's ``size``) lets a rerun skip a complete file without any request.
    """

    sid: str
    media_path: MediaPath | str
    file_name: str | None = None
    expected_size: int | None = None


def _wire(value: object) -> str | None:
    """An enum member's wire value, or a plain string; None for anything else."""
    value = getattr(value, "value", value)
    return value if isinstance(value, str) and value else None


def recording_item(
    value: Any, media_path: Callable[[str], MediaPath] = MediaPath.recording
) -> MediaItem:
    """A MediaItem for a recording SID (``RT...``) or a Recording / RoomRecording model.

    A model gives the file name ``RT....mka|mkv`` (its ``container_format``) and the expected
    size, so a rerun skips complete files without a request; a bare SID is named by storage.
    ``media_path`` picks the ``/Media`` endpoint (account-wide by default, or a room's).
    """
    if isinstance(value, str):
        return MediaItem(value, media_path(value))
    sid = value.sid
    extension = _wire(getattr(value, "container_format", None))
    size = getattr(value, "size", None)
    return MediaItem(
        sid,
        media_path(sid),
        f"{sid}.{extension}" if extension else None,
        size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def composition_item(value: Any) -> MediaItem:
    """A MediaItem for a composition SID (``CJ...``) or a Composition model (``CJ....mp4``)."""
    if isinstance(value, str):
        return MediaItem(value, MediaPath.composition(value))
    sid = value.sid
    extension = _wire(getattr(value, "format", None))
    size = getattr(value, "size", None)
    return MediaItem(
        sid,
        MediaPath.composition(sid),
        f"{sid}.{extension}" if extension else None,
        size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


@attrs.frozen(kw_only=True)
class DownloadResult:
    """What happened to one item. ``sha256`` is None for skipped and failed files."""

    sid: str
    path: Path | None
    bytes: int
    sha256: str | None
    error: Exception | None
    skipped: bool = False
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen(kw_only=True)
class DownloadSummary:
    """One result per input item, in input order, and the totals of the call."""

    results: tuple[DownloadResult, ...]
    seconds: float

    @property
    def files(self) -> int:
        return len(self.results)

    @property
    def succeeded(self) -> int:
        """Files downloaded by this call (skipped ones not included)."""
        return sum(1 for r in self.results if r.ok and not r.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    @property
    def bytes(self) -> int:
        """Bytes downloaded by this call (skipped files not included)."""
        return sum(r.bytes for r in self.results if r.ok and not r.skipped)

    @property
    def throughput(self) -> float:
        """Downloaded bytes per second of wall time."""
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> list[DownloadResult]:
        return [r for r in self.results if not r.ok]

    def __iter__(self) -> Iterator[DownloadResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


class _Items:
    """Hands out ``(index, value)`` pairs to workers, one at a time, from any iterable.

    It reads one item ahead, so the total is known (for progress events) as soon as the last
    item is handed out, at the cost of pulling each item one hand-out early.
    """

    def __init__(self, items: Iterable[Any] | AsyncIterable[Any]) -> None:
        self._sync: Iterator[Any] | None = None
        self._async: AsyncIterator[Any] | None = None
        if isinstance(items, AsyncIterable):
            self._async = aiter(items)
        elif isinstance(items, Iterable):
            self._sync = iter(items)
        else:
            raise InvalidRequestError(
                "items must be an iterable or async iterable of MediaItem, "
                f"got {type(items).__name__}"
            )
        self.total = len(items) if isinstance(items, Sized) else None
        self.count = 0
        self.error: BaseException | None = None
        self._ahead: list[Any] = []
        self._started = self._exhausted = False
        self._lock = asyncio.Lock()

    async def _pull(self) -> None:
        """Read the next item into the look-ahead slot, or note the end (or the error)."""
        try:
            if self._async is not None:
                self._ahead.append(await anext(self._async))
            else:
                assert self._sync is not None  # noqa: S101 - invariant; narrows the type
                self._ahead.append(next(self._sync))
        except (StopIteration, StopAsyncIteration):
            self._exhausted = True
        except Exception as exc:
            # In-flight downloads finish; the error is raised once they have.
            self._exhausted = True
            self.error = exc

    async def next(self) -> tuple[int, Any] | None:
        async with self._lock:
            if not self._started:
                self._started = True
                await self._pull()
            if not self._ahead:
                return None
            item = self._ahead.pop()
            index = self.count
            self.count += 1
            if not self._exhausted:
                await self._pull()
            if self._exhausted and self.error is None:
                self.total = self.count + len(self._ahead)
            return index, item


def _check_concurrency(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"concurrency must be an integer >= 1, got {value!r}")
    return value


def _prepare_directory(directory: str | os.PathLike[str]) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return path


DOWNLOAD_MANY_OPTIONS = option_names(DownloadManyOptions)


async def download_many(
    requester: Requester,
    items: Iterable[Any] | AsyncIterable[Any],
    directory: str | os.PathLike[str],
    *,
    to_item: Callable[[Any], MediaItem] | None = None,
    **options: Unpack[DownloadManyOptions],
) -> DownloadSummary:
    """Download every item into ``directory``, at most ``concurrency`` at a time.

    ``items`` (an iterable or an async iterable, read lazily) are MediaItems, or anything
    ``to_item`` turns into one (e.g. :func:`recording_item` for SIDs and Recording models);
    the mapping runs per item, so a bad SID fails only its own result. Returns one
    :class:`DownloadResult` per item, in input order; a failed file has ``error`` set and never
    stops the others. With ``skip_existing`` (the default) a file already on disk with the
    expected size (``MediaItem.expected_size`` or storage's ``Content-Length``) is kept, so a
    rerun finishes an interrupted batch. Cancelling the call cancels every download and leaves
    no partial file behind. ``progress`` receives :class:`Progress` events with per-file and
    overall counts; an exception it raises stops the whole call. An exception from ``items``
    itself is raised once the downloads already started have finished.
    """
    reject_unknown(options, DOWNLOAD_MANY_OPTIONS, "download_many")
    concurrency = _check_concurrency(options.get("concurrency", DEFAULT_CONCURRENCY))
    settings = FileSettings.build(options, skip_existing=True)
    fetch = FetchOptions.build(options)
    pending = _Items(items)
    folder = await asyncio.to_thread(_prepare_directory, directory)
    leftovers = await asyncio.to_thread(Leftovers, folder)  # one scan for the whole batch
    tally = Tally(settings.progress, pending.total)
    results: dict[int, DownloadResult] = {}
    names: set[str] = set()
    started = time.monotonic()

    def claim(name: str) -> None:
        # Two items may not write one file: the second would silently replace the first.
        if name in names:
            raise InvalidRequestError(f"two items share the file name {name!r}")
        names.add(name)

    async def one(value: Any) -> DownloadResult:
        sid = value if isinstance(value, str) else getattr(value, "sid", None)
        sid = sid if isinstance(sid, str) else repr(value)
        transfer: Transfer | None = None
        try:
            item = value if to_item is None else to_item(value)
            if not isinstance(item, MediaItem):
                raise InvalidRequestError(f"expected a MediaItem, got {type(item).__name__}")
            name = item.file_name
            if name is not None:
                claim(check_file_name(name))
            transfer = Transfer(
                MediaSource(requester, item.media_path, fetch),
                folder,
                name,
                report=tally.reporter(sid, folder / (name or "")),
                claim=claim,
                expected_size=item.expected_size,
                skip_existing=settings.skip_existing,
                overwrite=settings.overwrite,
                max_attempts=settings.max_attempts,
                fsync=settings.fsync,
                leftovers=leftovers,
            )
            outcome = await transfer.run()
        except ProgressCallbackError:
            raise
        except Exception as exc:
            report = transfer.report if transfer else tally.reporter(sid, folder)
            await report(ProgressKind.FAILED, 0, None, exc)
            return DownloadResult(
                sid=sid,
                path=None,
                bytes=0,
                sha256=None,
                error=exc,
                attempts=transfer.attempts if transfer else 0,
            )
        return DownloadResult(
            sid=sid,
            path=outcome.path,
            bytes=outcome.bytes,
            sha256=outcome.sha256,
            error=None,
            skipped=outcome.skipped,
            attempts=outcome.attempts,
        )

    async def worker() -> None:
        while (next_item := await pending.next()) is not None:
            index, item = next_item
            tally.files_total = pending.total
            results[index] = await one(item)

    count = concurrency if pending.total is None else max(1, min(concurrency, pending.total))
    workers = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*workers)
    except BaseException as exc:
        # Cancellation, or the progress callback raised: stop every download and wait for
        # their clean-up (temporary files removed) before leaving.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if isinstance(exc, ProgressCallbackError) and exc.__cause__ is not None:
            raise exc.__cause__ from None
        raise
    if pending.error is not None:
        raise pending.error
    return DownloadSummary(
        results=tuple(results[i] for i in range(pending.count)),
        seconds=time.monotonic() - started,
    )
