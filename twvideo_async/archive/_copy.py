"""Copying one media object from Twilio's storage into a sink, verified before it is visible.

While the bytes stream through, :func:`copy_to_sink` counts them against the expected size and
storage's ``Content-Length`` (a body running past the size is cut off and refused), checks
storage's MD5 where it states one (the media layer's ``expected_md5``) and computes a SHA-256.
The last chunk is held back until every check has passed, and only then is the writer
committed; on any mismatch, error or cancellation the writer is aborted first, so an
unverified object never becomes visible. Transient failures (a dropped connection, a 5xx, an
expired signed URL, a transient sink error) retry the whole object with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable, Mapping

import attrs

from .._logging import logger
from .._media.integrity import expected_md5
from .._media.storage import is_expired_url_error
from .._media.stream import MediaStream, StreamContext
from .._media.transfer import check_max_attempts, is_retryable
from .._retry import backoff_delay
from ..errors import APIError, IntegrityError, MediaNotReadyError
from ._sink import Sink, SinkError, SinkWriter, check_key, check_metadata, check_size

READ_SIZE = 256 * 1024
SHA256_METADATA = "twvideo-sha256"
DEFAULT_MAX_ATTEMPTS = 5


@attrs.frozen
class CopyResult:
    """One verified copy: what was stored at ``key`` and how many attempts it took."""

    key: str
    size: int
    sha256: str
    md5_checked: bool  # Twilio storage stated an MD5 and it matched
    etag: str | None  # the sink's ObjectInfo.etag at commit
    attempts: int


class _Mismatch(Exception):
    """The bytes failed a check: this attempt's object is discarded."""


async def copy_to_sink(
    open_stream: Callable[[], StreamContext],
    sink: Sink,
    key: str,
    *,
    expected_size: int | None,
    metadata: Mapping[str, str],
    content_type: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> CopyResult:
    """Copy the media ``open_stream()`` opens (e.g. ``lambda: client.recordings.stream(sid)``)
    to ``key`` in ``sink``; returns only once the object is committed and verified.

    ``expected_size`` (the resource's size, if known) must equal the bytes received;
    ``metadata`` is stored with the object, plus ``twvideo-sha256`` where the sink can attach
    it at commit. ``content_type`` defaults to storage's. ``max_attempts`` bounds attempts on
    transient errors and failed checks (then ``IntegrityError`` or the last error is raised).
    ``MediaNotReadyError`` (no media yet) propagates at once; ``sleep`` waits between
    attempts. Arguments are checked before anything is sent.
    """
    check_key(key)
    check_size(expected_size)
    checked = check_metadata(metadata)
    check_max_attempts(max_attempts)
    rng = random.Random()  # noqa: S311 - backoff jitter, not a secret
    attempts = 0
    while True:
        attempts += 1
        try:
            return await _attempt(
                open_stream, sink, key, expected_size, checked, content_type, attempts
            )
        except MediaNotReadyError:
            raise
        except (APIError, SinkError, _Mismatch) as exc:
            if isinstance(exc, _Mismatch):
                if attempts >= max_attempts:
                    raise IntegrityError(
                        f"the copy of {key} to {sink.url} failed its integrity check: {exc}; "
                        "nothing was stored"
                    ) from None
            elif isinstance(exc, APIError):
                if not is_retryable(exc) or attempts >= max_attempts:
                    exc.retries_taken = attempts - 1
                    raise
                if is_expired_url_error(exc):
                    # The next attempt resolves a fresh signed URL: no reason to wait.
                    logger.info("copy of %s: signed URL expired; attempt %d", key, attempts + 1)
                    continue
            elif not exc.transient or attempts >= max_attempts:
                raise
            delay = backoff_delay(attempts - 1, rng.random)
            logger.info(
                "copy of %s: %s; attempt %d in %.2fs",
                key,
                exc if isinstance(exc, _Mismatch) else type(exc).__name__,
                attempts + 1,
                delay,
            )
            await sleep(delay)


async def _attempt(
    open_stream: Callable[[], StreamContext],
    sink: Sink,
    key: str,
    expected_size: int | None,
    metadata: dict[str, str],
    content_type: str | None,
    attempts: int,
) -> CopyResult:
    writer: SinkWriter | None = None
    try:
        async with open_stream() as media:
            limit = _size_limit(media, expected_size)
            md5 = expected_md5(media.headers)
            writer = await sink.open_writer(
                key,
                size=limit,
                metadata=metadata,
                content_type=content_type or media.content_type,
            )
            size, sha256 = await _pump(media, writer, limit, md5)
        info = await writer.commit({SHA256_METADATA: sha256})
        writer = None  # committed: nothing left to abort
    except BaseException:
        if writer is not None:
            await _abort(writer, key)
        raise
    return CopyResult(
        key=key,
        size=size,
        sha256=sha256,
        md5_checked=md5 is not None,
        etag=info.etag,
        attempts=attempts,
    )


def _size_limit(media: MediaStream, expected_size: int | None) -> int | None:
    """The exact byte count the body must have, refusing a disagreement up front."""
    length = media.content_length
    if expected_size is not None and length is not None and length != expected_size:
        raise _Mismatch(
            f"storage announced {length} bytes where the resource states {expected_size}"
        )
    return expected_size if expected_size is not None else length


async def _pump(
    media: MediaStream, writer: SinkWriter, limit: int | None, md5: tuple[str, str] | None
) -> tuple[int, str]:
    """Stream the body into ``writer``, one chunk behind, and check it before the last one."""
    sha256 = hashlib.sha256()
    md5_hash = hashlib.md5(usedforsecurity=False) if md5 is not None else None
    size = 0
    held: bytes | None = None
    async for chunk in media.iter_bytes(READ_SIZE):
        size += len(chunk)
        if limit is not None and size > limit:
            raise _Mismatch(f"storage sent more than the {limit} bytes expected")
        sha256.update(chunk)
        if md5_hash is not None:
            md5_hash.update(chunk)
        if held is not None:
            await writer.write(held)
        held = chunk
    if limit is not None and size != limit:
        raise _Mismatch(f"got {size} bytes where {limit} were expected")
    if md5 is not None and md5_hash is not None and md5_hash.hexdigest() != md5[0]:
        raise _Mismatch(f"the MD5 of the bytes does not match storage's {md5[1]}")
    if held is not None:
        await writer.write(held)
    return size, sha256.hexdigest()


async def _abort(writer: SinkWriter, key: str) -> None:
    """Abort ``writer`` even while being cancelled; an abort failure is logged, and the
    original exception (being raised by the caller) stays the one that propagates."""
    task = asyncio.ensure_future(writer.abort())
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # Cancelled again during cleanup: let the abort finish on its own.
        task.add_done_callback(_log_abort_failure(key))
        raise
    except Exception as exc:
        logger.warning("could not abort the upload of %s: %s", key, type(exc).__name__)


def _log_abort_failure(key: str) -> Callable[[asyncio.Future[None]], None]:
    def done(task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("could not abort the upload of %s", key)

    return done
