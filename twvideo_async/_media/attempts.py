"""The attempt loop of one file download (:class:`Transfer`): temporary name, resume,
integrity, progress. ``transfer.download_media`` and ``bulk.download_many`` run it.

Guarantees (each has a test):

* bytes go to ``.{name}.part-<random>`` beside the final path and are renamed onto it
  (``os.replace``) only once their count equals storage's ``Content-Length`` and their MD5
  matches where storage states one (``_partfile.expected_md5``); a cancelled or failed download
  removes its temporary file and never touches the final path;
* when the size is known (storage's ``Content-Length``, else the resource's ``size``) a body that
  ends short is never committed (the next attempt resumes after it), and reading stops at the
  network chunk that passes the size: a longer (or endless chunked) body is refused, never
  written past the size;
* a write error (a full disk) removes the temporary file and raises :class:`MediaWriteError`
  naming the final path;
* a dropped or stalled connection resumes with ``Range: bytes=N-`` and ``If-Range``: the 206
  must start at N, with the same total, ``ETag`` and ``Last-Modified`` as the first answer (a
  missing one counts as changed), else the file starts again from zero; a storage that
  ignores ``Range`` (answers 200) restarts the file; a 403 (the signed URL expired) gets a
  fresh URL from ``/Media`` first. A rerun resumes from a killed run's file the same way when
  its sidecar proves the object (``leftover``); a refusal then restarts at no attempt's cost;
* ``max_attempts`` bounds consecutive attempts that bring no new bytes: an attempt that makes
  progress resets the count, so a long file on a flaky link still finishes while a storage that
  keeps failing is given up on quickly. Waits between attempts back off exponentially;
* bodies are read as the network delivers them and hashed and written in batches of about
  1 MiB in a worker thread while the next batch is read (``bodycopy``): memory does not grow
  with the file size and the event loop never waits on a disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import attrs

from .._constants import DEFAULT_MAX_ATTEMPTS
from .._logging import logger
from .._retry import backoff_delay
from ..errors import APIConnectionError, APIError, APIResponseValidationError, IntegrityError
from .bodycopy import BodyCopy
from .integrity import Expected, Mismatch
from .leftover import Leftovers, remove_stale, take_named
from .naming import existing_size, name_from_response, possible_names
from .partfile import PartFile
from .progress import ProgressKind, Reporter
from .resolve import MediaSource
from .storage import StorageResponse, is_expired_url_error, is_retryable


@attrs.frozen(kw_only=True)
class FileOutcome:
    path: Path
    bytes: int
    sha256: str | None
    skipped: bool
    attempts: int


class Transfer:
    """The attempt loop for one file. ``run()`` returns once the file is final or skipped."""

    def __init__(
        self,
        source: MediaSource,
        directory: Path,
        name: str | None,
        *,
        report: Reporter,
        claim: Callable[[str], None] | None = None,
        expected_size: int | None = None,
        skip_existing: bool = False,
        overwrite: bool = True,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        fsync: bool = False,
        leftovers: Leftovers | None = None,
    ) -> None:
        self.source = source
        self.leftovers = leftovers  # the directory's scan, shared by a bulk download
        self.directory = directory
        # Without a name, the first storage answer names the file (see name_from_response);
        # ``claim`` then vets the name (download_many refuses two items with one name).
        self.final = None if name is None else directory / name
        self.claim = claim
        self.report = report
        self.expected_size = expected_size
        self.skip_existing = skip_existing
        self.overwrite = overwrite
        self.max_attempts = max_attempts
        self.fsync = fsync
        self.existing: int | None = None
        self.part: PartFile | None = None
        self.url: str | None = None
        self.expect = Expected()  # what storage said of the object
        self.answered = False  # a first full answer arrived (existing file checked)
        self.attempts = 0
        self.swept = False  # stale temporary files of the final path removed (or one taken)
        self.resuming = False  # bytes of a killed run, not yet confirmed by storage
        self.started = False  # STARTED reported

    @property
    def total(self) -> int | None:
        return self.expect.total

    def _skipped(self, final: Path, size: int) -> FileOutcome:
        return FileOutcome(
            path=final, bytes=size, sha256=None, skipped=True, attempts=self.attempts
        )

    async def _look_at_final(self, final: Path) -> None:
        """Note a file already at the final path; refuse it early if it may not be replaced."""
        self.existing = await asyncio.to_thread(existing_size, final)
        if self.existing is not None and not self.overwrite and not self.skip_existing:
            raise FileExistsError(f"{final} exists; pass overwrite=True to replace it")

    async def _sweep(self, final: Path) -> None:
        """Remove leftovers of a killed run (no live download holds them), once, and before a
        request when the name is known: a pause between an answer's headers and its body lets
        a connection drop take the bytes aiohttp had buffered."""
        if not self.swept:
            self.swept = True
            await asyncio.to_thread(remove_stale, final, self.leftovers)

    async def _take_leftover(self) -> None:
        """Before the first request: take over a killed run's file to resume from and remove
        the other leftovers (``leftover``). Without a name yet, under any name storage may give
        (the SID and an extension): the resumed answer must then give that one (``_resumed``)."""
        final = self.final
        names = possible_names(self.source.media.sid) if final is None else [final.name]
        found = await asyncio.to_thread(
            take_named, self.directory, names, self.expected_size, self.leftovers
        )
        self.swept = final is not None
        if found is not None:
            path, kept = found
            self.expect, self.resuming = kept.expected, True
            self.part = PartFile(path, kept=kept)

    async def run(self) -> FileOutcome:
        final = self.final
        if final is not None:
            await self._look_at_final(final)
            existing = self.existing
            if self.skip_existing and existing is not None and existing == self.expected_size:
                await self.report(ProgressKind.SKIPPED, existing, existing)
                return self._skipped(final, existing)
        try:
            await self._take_leftover()
            return await self._attempts()
        finally:
            part = self.part
            if part is not None and not part.committed:
                part.discard()

    async def _attempts(self) -> FileOutcome:
        requester = self.source.requester
        stalled = 0
        # Progress is a new high-water mark, not more bytes than this attempt started with: a
        # storage that ignores Range and always cuts at the same byte would otherwise look
        # like progress on every other attempt and be retried forever.
        best = 0
        while True:
            self.attempts += 1
            if self.url is None:
                self.url = await self.source.resolve()
            before = 0 if self.part is None else self.part.size
            try:
                outcome = await self._attempt(self.url, before)
                if outcome is not None:
                    return outcome
                return await self._finish()
            except APIError as exc:
                if self.resuming and exc.status == 416:
                    await self._forget_leftover()  # the object is shorter now: it changed
                    continue
                if not is_retryable(exc):
                    raise
                size = 0 if self.part is None else self.part.size
                stalled = 0 if size > best else stalled + 1
                best = max(best, size)
                if stalled >= self.max_attempts:
                    exc.retries_taken = self.attempts - 1
                    raise
                if is_expired_url_error(exc):
                    self.url = None  # a fresh signed URL from /Media; no reason to wait
                    continue
                reason = type(exc).__name__
                failure: Exception = exc
            except Mismatch as exc:
                if self.resuming:
                    logger.info("media %s: %s; starting again", self.source.media.template, exc)
                    await self._forget_leftover()
                    continue
                stalled += 1
                if stalled >= self.max_attempts:
                    raise IntegrityError(
                        f"the download of {self.source.media.sid} failed its integrity check: "
                        f"{exc}; nothing was kept"
                    ) from None
                await self._restart()
                reason = str(exc)
                failure = exc
            delay = backoff_delay(stalled, requester.rng)
            logger.info(
                "media %s: %s; attempt %d in %.2fs from byte %d",
                self.source.media.template,
                reason,
                self.attempts + 1,
                delay,
                0 if self.part is None else self.part.size,
            )
            # Shown by progress displays: without it a file between attempts has no row.
            kept = 0 if self.part is None else self.part.size
            await self.report(ProgressKind.RETRYING, kept, self.total, failure)
            await requester.sleep(delay)

    async def _attempt(self, url: str, offset: int) -> FileOutcome | None:
        """One storage request from ``offset``; a FileOutcome only when the file is skipped."""
        if_range = self.expect.if_range if offset else None
        async with await self.source.open(url, start=offset, if_range=if_range) as response:
            if response.status == 200:
                skipped = await self._begin(response)
                if skipped is not None:
                    return skipped
            elif response.status == 206 and offset:
                self.expect.check_resume(response.headers, offset, strict=self.resuming)
                if self.resuming:
                    skipped = await self._resumed(response, offset)
                    if skipped is not None:
                        return skipped
            else:
                raise APIResponseValidationError(
                    f"the storage host {response.host} answered HTTP {response.status} to a "
                    f"request from byte {offset}",
                    method="GET",
                    status=response.status,
                )
            assert self.part is not None  # noqa: S101 - invariant; narrows the type
            await self._pump(response, self.part)
        return None

    async def _begin(self, response: StorageResponse) -> FileOutcome | None:
        """A full answer: the file starts at zero (again, if storage ignored ``Range``)."""
        self.resuming = False  # whatever a killed run left is replaced by this answer
        self.expect = Expected.of(response.headers, response.content_length)
        expected = self.expected_size
        if expected is not None and self.total is not None and self.total != expected:
            raise Mismatch(f"storage announced {self.total} bytes where {expected} are listed")
        if not self.answered:
            skipped = await self._first_answer(response)
            if skipped is not None:
                return skipped
        if self.part is not None and self.part.final != self.final:
            self.part.discard()  # a killed run's file, of another name than storage gives
            self.part = None
        if self.part is None:
            final = self.final
            assert final is not None  # noqa: S101 - invariant; narrows the type
            await self._sweep(final)
            self.part = PartFile(final, md5=self.expect.md5 is not None)
        elif self.part.size and self.started:
            logger.debug("storage host %s ignored Range: restarting", response.host)
            await self._restart()
        else:  # empty, or a killed run's bytes not of this object: hashes as this answer needs
            await asyncio.to_thread(self.part.reset, md5=self.expect.md5 is not None)
        self.part.record(self.expect)  # which object the file holds, before its first byte
        if not self.started:
            self.started = True
            await self.report(ProgressKind.STARTED, 0, self.total)
        return None

    async def _first_answer(
        self, response: StorageResponse, guess: Path | None = None
    ) -> FileOutcome | None:
        """The name, when storage gives it (a leftover taken under a ``guess`` must have the
        same one), then keep (skip) or refuse a file already at the final path."""
        final = self.final
        if final is None:
            name = name_from_response(response.headers, self.source.media.sid)
            if guess is not None and name != guess.name:
                raise Mismatch("storage gives the file another name than the leftover's")
            if self.claim is not None:
                self.claim(name)
            final = self.final = self.report.path = self.directory / name
            await self._look_at_final(final)
        self.answered = True
        existing = self.existing
        if existing is not None:
            if self.skip_existing and existing in (self.total, self.expected_size):
                await self.report(ProgressKind.SKIPPED, existing, existing)
                return self._skipped(final, existing)
            if not self.overwrite:
                raise FileExistsError(
                    f"{final} exists but is incomplete; pass overwrite=True to replace it"
                )
        return None

    async def _resumed(self, response: StorageResponse, offset: int) -> FileOutcome | None:
        """Storage confirmed a killed run's bytes (the same object, the recorded size)."""
        assert self.part is not None  # noqa: S101 - invariant; narrows the type
        skipped = None if self.answered else await self._first_answer(response, self.part.final)
        self.resuming = False
        if skipped is None and not self.started:
            self.started = True
            # Shown from the bytes kept: the file does not start from zero.
            await self.report(ProgressKind.STARTED, offset, self.total)
        return skipped

    async def _forget_leftover(self) -> None:
        """A killed run's bytes are not of the object storage serves now: start from zero."""
        self.resuming = False
        self.expect = Expected()
        if self.part is not None:
            await asyncio.to_thread(self.part.reset, md5=False)

    def _expected(self) -> int | None:
        """The size the file must reach: storage's ``Content-Length``, else the resource's."""
        return self.total if self.total is not None else self.expected_size

    async def _restart(self) -> None:
        if self.part is not None:
            await asyncio.to_thread(self.part.reset, md5=self.expect.md5 is not None)
            await self.report(ProgressKind.RESTARTED, 0, self.total)

    async def _pump(self, response: StorageResponse, part: PartFile) -> None:
        """Copy the body (see ``bodycopy``); bytes that arrived before a failure are kept."""

        async def on_batch(size: int) -> None:
            await self.report(ProgressKind.BYTES, size, self.total)

        await BodyCopy(part, limit=self._expected(), on_batch=on_batch).run(response)

    async def _finish(self) -> FileOutcome:
        part = self.part
        assert part is not None  # noqa: S101 - invariant; narrows the type
        expected = self._expected()
        if expected is not None and part.size > expected:
            raise Mismatch(f"got {part.size} bytes where {expected} were expected")
        if expected is not None and part.size < expected:
            # A body that ended early (close-delimited or chunked, so aiohttp saw no error):
            # never committed; the next attempt resumes after the bytes kept.
            raise APIConnectionError(
                f"the storage host ended the body after {part.size} of {expected} bytes",
                method="GET",
            )
        md5 = self.expect.md5
        if md5 is not None and part.md5 != md5[0]:
            raise Mismatch(f"the MD5 of the bytes does not match storage's {md5[1]}")
        await asyncio.to_thread(part.finish, self.fsync)
        part.commit()
        await self.report(ProgressKind.FINISHED, part.size, self.total)
        return FileOutcome(
            path=part.final,
            bytes=part.size,
            sha256=part.sha256,
            skipped=False,
            attempts=self.attempts,
        )
