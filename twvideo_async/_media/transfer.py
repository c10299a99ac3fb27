"""Downloading one media object to a file: :func:`download_media` checks the arguments and
runs ``attempts``' :class:`Transfer` (whose docstring lists what a download guarantees)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from .._options import Unpack, option_names, reject_unknown
from .._request import Requester
from .attempts import Transfer
from .naming import check_file_name, resolve_target
from .options import DownloadOptions, FileSettings
from .options import check_max_attempts as check_max_attempts  # the archive imports it here
from .progress import ProgressCallbackError, ProgressKind, Tally
from .resolve import FetchOptions, MediaPath, MediaSource
from .storage import is_retryable as is_retryable  # the archive imports it here

DOWNLOAD_OPTIONS = option_names(DownloadOptions)


async def download_media(
    requester: Requester,
    media: MediaPath | str,
    target: str | os.PathLike[str],
    *,
    default_name: str | None = None,
    expected_size: int | None = None,
    **options: Unpack[DownloadOptions],
) -> Path:
    """Download one media object to ``target``: a file path, or a directory + ``default_name``.

    Returns the final path. Without ``default_name`` a directory target gets the SID plus the
    extension of storage's ``Content-Type`` (``RT....mka``/``CJ....mp4``), never a name from
    storage's ``Content-Disposition``. ``skip_existing`` keeps a file already
    there when its size equals ``expected_size`` or storage's ``Content-Length``;
    ``overwrite=False`` refuses to replace an existing file (``FileExistsError``).
    ``progress`` receives :class:`Progress` events (a function or a coroutine function); an
    exception it raises stops the download and is re-raised. The per-call options apply to the
    ``/Media`` API call only; ``read_timeout`` bounds each wait for storage bytes.
    """
    reject_unknown(options, DOWNLOAD_OPTIONS, "download")
    source = MediaSource(requester, media, FetchOptions.build(options))
    settings = FileSettings.build(options, skip_existing=False)
    if default_name is not None:
        check_file_name(default_name)
    directory, name = await asyncio.to_thread(resolve_target, target, default_name)
    transfer = Transfer(
        source,
        directory,
        name,
        report=Tally(settings.progress, 1).reporter(source.media.sid, directory / (name or "")),
        expected_size=expected_size,
        skip_existing=settings.skip_existing,
        overwrite=settings.overwrite,
        max_attempts=settings.max_attempts,
        fsync=settings.fsync,
    )
    try:
        try:
            outcome = await transfer.run()
        except Exception as exc:
            if not isinstance(exc, ProgressCallbackError):
                await transfer.report(ProgressKind.FAILED, 0, transfer.total, exc)
            raise
    except ProgressCallbackError as exc:
        cause = exc.__cause__
        assert cause is not None  # noqa: S101 - invariant; narrows the type
        raise cause from None
    return outcome.path
