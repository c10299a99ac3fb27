"""``/Media`` resolution and streaming.

Twilio serves recording and composition media in two steps (video-api-behaviour.md section 5):
``GET .../Media`` on the API, with credentials, answers a redirect to a short-lived signed storage
URL (``Location`` and a JSON body ``{"redirect_to": ...}``); the bytes come from that URL, which
must be fetched **without** Twilio credentials. Here the first step goes through the request
layer (``allow_redirects=False``, retries, limits); the second is ``_storage``'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import attrs

from ._client import make_options
from ._encoding import build_path, sid_pattern
from ._logging import logger
from ._request import Request, RequestOptions, Timeout
from ._storage import StorageResponse, check_target, host_of, open_storage
from .errors import (
    APIResponseValidationError,
    InvalidRequestError,
    MediaNotReadyError,
    NotFoundError,
)

if TYPE_CHECKING:
    from ._client import VideoClient

DEFAULT_CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 1024 * 1024
MIN_TTL, MAX_TTL = 1, 3600

_RT, _RM, _CJ = sid_pattern("RT"), sid_pattern("RM"), sid_pattern("CJ")
_ROOM_RECORDING_PATH = re.compile(r"/v1/Rooms/([^/]+)/Recordings/([^/]+)/Media$")
_MEDIA_PATH = re.compile(r"/v1/(Recordings|Compositions)/([^/]+)/Media$")
_NOT_READY = (
    "Twilio has no media for {sid}: media exists only once the {kind}'s status is "
    "'completed' (a 'deleted' {kind} has none, and an unknown SID gets the same 404). "
    "Check the status with fetch() first."
)


# -- which media ---------------------------------------------------------------------------


@attrs.frozen
class MediaPath:
    """One ``/Media`` endpoint: the encoded path and the template that gets logged.

    Build it with :meth:`recording`, :meth:`room_recording`, :meth:`composition`, or
    :meth:`parse` (a path or a resource's absolute ``links["media"]`` URL).
    """

    template: str
    path: str
    sid: str

    @property
    def kind(self) -> str:
        return "composition" if self.sid[:2].upper() == "CJ" else "recording"

    @classmethod
    def recording(cls, sid: str) -> MediaPath:
        template = "/v1/Recordings/{Sid}/Media"
        return cls(template, build_path(template, {"Sid": sid}, {"Sid": _RT}), sid)

    @classmethod
    def room_recording(cls, room_sid: str, sid: str) -> MediaPath:
        template = "/v1/Rooms/{RoomSid}/Recordings/{Sid}/Media"
        path = build_path(template, {"RoomSid": room_sid, "Sid": sid}, {"RoomSid": _RM, "Sid": _RT})
        return cls(template, path, sid)

    @classmethod
    def composition(cls, sid: str) -> MediaPath:
        template = "/v1/Compositions/{Sid}/Media"
        return cls(template, build_path(template, {"Sid": sid}, {"Sid": _CJ}), sid)

    @classmethod
    def parse(cls, value: MediaPath | str) -> MediaPath:
        """Accept a MediaPath, a ``/v1/.../Media`` path, or an absolute ``links["media"]`` URL.

        Only the path of a URL is used: the request always goes to the client's own
        ``base_url``, so a URL naming another host cannot send credentials elsewhere.
        """
        if isinstance(value, MediaPath):
            return value
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"media must be a MediaPath or a /v1/.../Media path, got {type(value).__name__}"
            )
        parts = urlsplit(value)
        path = parts.path.rstrip("/")
        match = _ROOM_RECORDING_PATH.search(path)
        if match:
            return cls.room_recording(match.group(1), match.group(2))
        match = _MEDIA_PATH.search(path)
        if match:
            make = cls.recording if match.group(1) == "Recordings" else cls.composition
            return make(match.group(2))
        raise InvalidRequestError(
            "expected a media path such as /v1/Recordings/RT.../Media, "
            "/v1/Rooms/RM.../Recordings/RT.../Media or /v1/Compositions/CJ.../Media "
            f"(or a resource's links['media'] URL), got {parts.path!r}"
        )


def media_query(ttl: int | None, content_disposition: str | None) -> list[tuple[str, str]]:
    """``Ttl`` and ``ContentDisposition`` query pairs, validated before anything is sent."""
    query: list[tuple[str, str]] = []
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
            raise InvalidRequestError(
                f"ttl must be a whole number of seconds from {MIN_TTL} to {MAX_TTL} "
                f"(Twilio's default is 600), got {ttl!r}"
            )
        query.append(("Ttl", str(ttl)))
    if content_disposition is not None:
        kind = content_disposition.split(";", 1)[0].strip().lower()
        if kind not in ("attachment", "inline") or any(c in content_disposition for c in "\r\n"):
            raise InvalidRequestError(
                "content_disposition must start with 'attachment' or 'inline', e.g. "
                f"'inline; filename=\"talk.mp4\"', got {content_disposition!r}"
            )
        # Raw value: the HTTP client percent-encodes it exactly once.
        query.append(("ContentDisposition", content_disposition))
    return query


# -- resolution ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FetchOptions:
    """Per-call settings of a media fetch, validated once (before anything is sent)."""

    query: list[tuple[str, str]] = attrs.field(factory=list)
    options: RequestOptions = attrs.field(factory=RequestOptions)
    read_timeout: float | None = None
    allow_http: bool | None = None

    @classmethod
    def build(
        cls,
        *,
        ttl: int | None = None,
        content_disposition: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        allow_http: bool | None = None,
    ) -> FetchOptions:
        if read_timeout is not None and (
            isinstance(read_timeout, bool)
            or not isinstance(read_timeout, int | float)
            or read_timeout <= 0
        ):
            raise InvalidRequestError(f"read_timeout must be seconds > 0, got {read_timeout!r}")
        return cls(
            query=media_query(ttl, content_disposition),
            options=make_options(timeout, max_retries, extra_headers),
            read_timeout=read_timeout,
            allow_http=allow_http,
        )


class MediaSource:
    """One media object of one client: (re)resolves its signed URL and opens it.

    ``allow_http`` (plain-http storage) defaults to whether the client's ``base_url`` is
    http; tests pass it explicitly to check the https rules against loopback servers.
    """

    def __init__(
        self, client: VideoClient, media: MediaPath | str, fetch: FetchOptions | None = None
    ) -> None:
        fetch = fetch or FetchOptions()
        self.client = client
        self.media = MediaPath.parse(media)
        self.query = fetch.query
        self.options = fetch.options
        self.read_timeout = fetch.read_timeout
        allow_http = fetch.allow_http
        if allow_http is None:
            allow_http = urlsplit(client.base_url).scheme == "http"
        self.allow_http = allow_http

    @classmethod
    def build(
        cls,
        client: VideoClient,
        media: MediaPath | str,
        *,
        ttl: int | None = None,
        content_disposition: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        allow_http: bool | None = None,
    ) -> MediaSource:
        fetch = FetchOptions.build(
            ttl=ttl,
            content_disposition=content_disposition,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            read_timeout=read_timeout,
            allow_http=allow_http,
        )
        return cls(client, media, fetch)

    async def resolve(self) -> str:
        """Ask Twilio for a fresh signed URL (credentials go to the API origin only)."""
        requester = self.client._requester
        media = self.media
        try:
            response = await requester.request(
                Request(
                    method="GET",
                    path_template=media.template,
                    path=media.path,
                    query=self.query or None,
                    expect_redirect=True,
                    options=self.options,
                )
            )
        except NotFoundError as exc:
            raise MediaNotReadyError(
                _NOT_READY.format(sid=media.sid, kind=media.kind),
                method=exc.method,
                path=exc.path,
                status=exc.status,
                code=exc.code,
                more_info=exc.more_info,
                request_id=exc.request_id,
                retries_taken=exc.retries_taken,
                body=exc.body,
            ) from None
        target = _redirect_target(response.status, response.headers, response.content)
        if target is None:
            raise APIResponseValidationError(
                f"expected {media.template} to answer a redirect to the media file, got HTTP "
                f"{response.status} without a Location header or a 'redirect_to' field",
                method="GET",
                path=media.template,
                status=response.status,
                request_id=response.request_id,
            )
        url = urljoin(requester.origin + media.path, target)
        check_target(url, allow_http=self.allow_http)
        logger.debug("%s resolved to storage host %s", media.template, host_of(url))
        return url

    async def open(self, url: str, *, start: int = 0) -> StorageResponse:
        """GET a signed URL from ``start`` on, following up to 3 storage redirects."""
        return await open_storage(
            self.client,
            url,
            start=start,
            allow_http=self.allow_http,
            read_timeout=self.read_timeout,
        )


def _redirect_target(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """``redirect_to`` from the JSON body (what Twilio's samples read), else ``Location``."""
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            value = parsed.get("redirect_to")
            if isinstance(value, str) and value:
                return value
    if 300 <= status < 400:
        location = headers.get("Location")
        if location:
            return location
    return None


# -- streaming -----------------------------------------------------------------------------


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
    client: VideoClient,
    media: MediaPath | str,
    *,
    ttl: int | None = None,
    content_disposition: str | None = None,
    timeout: Timeout | float | None = None,
    max_retries: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
    read_timeout: float | None = None,
    allow_http: bool | None = None,
) -> StreamContext:
    """Open one media object for streaming: ``async with stream_media(...) as media:``.

    ``ttl`` and ``content_disposition`` go to Twilio's ``/Media`` as ``Ttl`` and
    ``ContentDisposition``; ``timeout``, ``max_retries`` and ``extra_headers`` apply to that
    API call only (nothing of them reaches storage). ``read_timeout`` bounds each wait for
    storage bytes (default: the client's media read timeout). ``allow_http`` defaults to
    whether the client's ``base_url`` is plain http. Arguments are checked immediately.
    """
    source = MediaSource.build(
        client,
        media,
        ttl=ttl,
        content_disposition=content_disposition,
        timeout=timeout,
        max_retries=max_retries,
        extra_headers=extra_headers,
        read_timeout=read_timeout,
        allow_http=allow_http,
    )
    return StreamContext(source)
