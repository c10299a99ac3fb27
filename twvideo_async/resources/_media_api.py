"""Media methods shared by recordings, room recordings and compositions: ``download``,
``stream`` and ``download_many`` over the ``/Media`` endpoints (see ``_media``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from typing import Any

from .._media.bulk import DownloadSummary, MediaItem, download_many
from .._media.options import DownloadManyOptions, DownloadOptions, StreamOptions
from .._media.resolve import MediaPath
from .._media.stream import StreamContext, stream_media
from .._media.transfer import download_media
from .._options import Unpack
from ._base import Resource


class MediaMethods(Resource):
    """Needs :meth:`_media_path` (a SID to its ``/Media`` path) and :meth:`_media_item`
    (a SID or model to a :class:`MediaItem`)."""

    def _media_path(self, sid: str) -> MediaPath:
        raise NotImplementedError

    def _media_item(self, value: Any) -> MediaItem:
        raise NotImplementedError

    async def download(
        self, sid: str, target: str | os.PathLike[str], **options: Unpack[DownloadOptions]
    ) -> Path:
        """Download the media of ``sid`` to ``target`` (a file path, or a directory where the
        file is named ``RT….mka|mkv`` / ``CJ….mp4|webm``: the SID plus the extension of the
        storage ``Content-Type``, never storage's ``Content-Disposition``) and return the final
        path.

        Streams to a temporary file beside the target and renames it only once the byte count
        (and MD5, where storage states one) matches; resumes dropped connections with
        ``Range``; leaves nothing behind on failure or cancellation. Options: see
        :class:`~twvideo_async.DownloadOptions` (``progress``, ``skip_existing``,
        ``overwrite``, ``max_attempts``, ``fsync``, ``ttl``, ``read_timeout``, ``allow_http``)
        and the per-call ``timeout``, ``max_retries``, ``extra_headers`` (``/Media`` call only).
        Raises ``MediaNotReadyError`` until the media is ``completed``.
        """
        return await download_media(self._requester, self._media_path(sid), target, **options)

    def stream(self, sid: str, **options: Unpack[StreamOptions]) -> StreamContext:
        """``async with resource.stream(sid) as media:`` the media bytes without touching disk:
        ``media.headers`` (storage's, incl. ``x-amz-meta-*`` key material of encrypted media),
        ``media.content_length``, ``async for chunk in media.iter_bytes()``. Options: see
        :class:`~twvideo_async.StreamOptions`."""
        return stream_media(self._requester, self._media_path(sid), **options)

    async def download_many(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        directory: str | os.PathLike[str],
        **options: Unpack[DownloadManyOptions],
    ) -> DownloadSummary:
        """Download many SIDs or models (a list, or an async listing such as
        ``client.recordings.list(...)``, consumed lazily) into ``directory``.

        Returns one result per input, in order; one failure never stops the others.
        ``concurrency`` (default 8) bounds open downloads; ``progress`` receives
        :class:`~twvideo_async.Progress` events; files already complete are skipped, so a rerun
        finishes an interrupted batch. Other options as for :meth:`download`.
        """
        return await download_many(
            self._requester, items, directory, to_item=self._media_item, **options
        )
