"""The media options, declared once: what ``stream``, ``download`` and ``download_many`` accept
besides the per-call :class:`~twvideo_async._options.CallOptions` (which apply to the ``/Media``
API call only; nothing of them reaches storage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._options import CallOptions

if TYPE_CHECKING:
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
