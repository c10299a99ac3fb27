"""The media options, declared once: what ``stream``, ``download`` and ``download_many`` accept
besides the per-call :class:`~twvideo_async._options.CallOptions` (which apply to the ``/Media``
API call only; nothing of them reaches storage)."""

from __future__ import annotations

import attrs

from .._constants import DEFAULT_MAX_ATTEMPTS
from .._options import CallOptions
from ..errors import InvalidRequestError
from .progress import ProgressCallback


class MediaOptions(CallOptions, total=False):
    """How one media object is fetched.

    ``ttl``: seconds the signed storage URL stays valid (1-3600, Twilio's default 600);
    ``read_timeout``: the longest wait for storage bytes (default: the client's media read
    timeout); ``allow_http``: accept a plain-http storage URL (default: only when the client's
    ``base_url`` is itself http, i.e. a local emulator).
    """

    ttl: int | None
    read_timeout: float | None
    allow_http: bool | None


class StreamOptions(MediaOptions, total=False):
    """``content_disposition``: the ``Content-Disposition`` storage answers with
    (``attachment``/``inline``, optionally with a ``filename``)."""

    content_disposition: str | None


class DownloadOptions(MediaOptions, total=False):
    """How a file is written.

    ``progress``: receives :class:`~twvideo_async.Progress` events (a function or a coroutine
    function; an exception it raises stops the download); ``skip_existing``: keep a file already
    at the target whose size is the expected one; ``overwrite``: replace an existing file
    (``False``: refuse with ``FileExistsError``); ``max_attempts``: consecutive attempts without
    new bytes before giving up; ``fsync``: flush the file to disk before the rename.
    """

    progress: ProgressCallback | None
    skip_existing: bool
    overwrite: bool
    max_attempts: int
    fsync: bool


class DownloadManyOptions(DownloadOptions, total=False):
    """``concurrency``: how many files are downloaded at once (default 8)."""

    concurrency: int


def check_max_attempts(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"max_attempts must be an integer >= 1, got {value!r}")
    return value


@attrs.frozen(kw_only=True)
class FileSettings:
    """How files are written, from a call's :class:`DownloadOptions`, validated once."""

    progress: ProgressCallback | None = None
    skip_existing: bool = False
    overwrite: bool = True
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    fsync: bool = False

    @classmethod
    def build(cls, options: DownloadOptions, *, skip_existing: bool) -> FileSettings:
        """``skip_existing`` is the default of the calling function (one file or many)."""
        return cls(
            progress=options.get("progress"),
            skip_existing=options.get("skip_existing", skip_existing),
            overwrite=options.get("overwrite", True),
            max_attempts=check_max_attempts(options.get("max_attempts", DEFAULT_MAX_ATTEMPTS)),
            fsync=options.get("fsync", False),
        )
