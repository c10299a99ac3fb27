"""Reading one media object without touching the disk: ``stream()``'s
``async with ... as media:`` and its bounded ``iter_bytes()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

from .._constants import DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE
from .._options import Unpack, option_names, reject_unknown
from .._request import Requester
from ..errors import APIResponseValidationError, InvalidRequestError
from .options import StreamOptions
from .resolve import FetchOptions, MediaPath, MediaSource
from .storage import StorageResponse

STREAM_OPTIONS = option_names(StreamOptions)


def check_chunk_size(chunk_size: int) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidRequestError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return min(chunk_size, MAX_CHUNK_SIZE)


class MediaStream:
    """The storage response of one media object, read without touching the disk.

    ``headers`` are storage's response headers, including ``x-amz-meta-*`` key material for
    encrypted media. Iterate :meth:`iter_bytes` (bounded chunks), or :meth:`read` small files
    whole. The connection is released when the ``async with`` block ends, however it ends.
    """

    def __init__(self, response: StorageResponse, media: MediaPath) -> None:
        self._response = response
        self._consumed = False
        self.media = media
        self.status = response.status
        self.headers = response.headers
        self.host = response.host

    @property
    def content_length(self) -> int | None:
        return self._response.content_length

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    async def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Chunks of at most ``chunk_size`` bytes (capped at 1 MiB) until the body ends."""
        size = check_chunk_size(chunk_size)
        if self._consumed:
            raise RuntimeError("the media body was already read; open the stream again")
        self._consumed = True
        while chunk := await self._response.read_chunk(size):
            yield chunk

    async def read(self) -> bytes:
        """The whole body in memory: for small files only (use iter_bytes for recordings)."""
        return b"".join([chunk async for chunk in self.iter_bytes(MAX_CHUNK_SIZE)])

    async def aclose(self) -> None:
        self._response.close()

    def __repr__(self) -> str:
        return (
            f"<MediaStream {self.media.sid} {self.status} host={self.host} "
            f"content_length={self.content_length}>"
        )


class StreamContext:
    """What :func:`stream_media` returns: ``async with stream_media(...) as media:``."""

    def __init__(self, source: MediaSource) -> None:
        self._source = source
        self._stream: MediaStream | None = None

    async def __aenter__(self) -> MediaStream:
        source = self._source
        url = await source.resolve()
        response = await source.open(url)
        if response.status != 200:
            response.close()
            raise APIResponseValidationError(
                f"the storage host {response.host} answered HTTP {response.status} to a plain GET",
                method="GET",
                status=response.status,
            )
        self._stream = MediaStream(response, source.media)
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None


def stream_media(
    requester: Requester, media: MediaPath | str, **options: Unpack[StreamOptions]
) -> StreamContext:
    """Open one media object for streaming: ``async with stream_media(...) as media:``.

    See :class:`StreamOptions` for the options; the per-call options apply to the ``/Media``
    API call only (nothing of them reaches storage). Arguments are checked immediately.
    """
    reject_unknown(options, STREAM_OPTIONS, "stream")
    fetch = FetchOptions.build(options, content_disposition=options.get("content_disposition"))
    return StreamContext(MediaSource(requester, media, fetch))
