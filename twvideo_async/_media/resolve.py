"""``/Media`` resolution and streaming.

Twilio serves recording and composition media in two steps (video-api-behaviour.md section 5):
``GET .../Media`` on the API, with credentials, answers a redirect to a short-lived signed storage
URL (``Location`` and a JSON body ``{"redirect_to": ...}``); the bytes come from that URL, which
must be fetched **without** Twilio credentials. Here the first step goes through the request
layer (``allow_redirects=False``, retries, limits); the second is ``_storage``'s job.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

import attrs

from .._encoding import build_path, sid_pattern
from .._logging import logger
from .._options import NO_OPTIONS, RequestOptions, make_options
from .._request import Request, Requester
from ..errors import (
    APIResponseValidationError,
    InvalidRequestError,
    MediaNotReadyError,
    NotFoundError,
)
from .options import MediaOptions
from .storage import StorageResponse, check_target, host_of, open_storage

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
    """The media options of a fetch, validated once (before anything is sent)."""

    query: list[tuple[str, str]] = attrs.field(factory=list)
    options: RequestOptions = NO_OPTIONS
    read_timeout: float | None = None
    allow_http: bool | None = None

    @classmethod
    def build(
        cls, options: MediaOptions, *, content_disposition: str | None = None
    ) -> FetchOptions:
        """From the media options of a call (other keys in ``options`` are ignored)."""
        read_timeout = options.get("read_timeout")
        if read_timeout is not None and (
            isinstance(read_timeout, bool)
            or not isinstance(read_timeout, int | float)
            or not math.isfinite(read_timeout)
            or read_timeout <= 0
        ):
            raise InvalidRequestError(f"read_timeout must be seconds > 0, got {read_timeout!r}")
        return cls(
            query=media_query(options.get("ttl"), content_disposition),
            options=make_options(options),
            read_timeout=read_timeout,
            allow_http=options.get("allow_http"),
        )


class MediaSource:
    """One media object: (re)resolves its signed URL through the requester and opens it.

    ``allow_http`` (plain-http storage) defaults to whether the API origin is http; tests pass
    it explicitly to check the https rules against loopback servers.
    """

    def __init__(
        self, requester: Requester, media: MediaPath | str, fetch: FetchOptions | None = None
    ) -> None:
        fetch = fetch or FetchOptions()
        self.requester = requester
        self.media = MediaPath.parse(media)
        self.query = fetch.query
        self.options = fetch.options
        self.read_timeout = fetch.read_timeout
        allow_http = fetch.allow_http
        if allow_http is None:
            allow_http = requester.storage_allows_http
        self.allow_http = allow_http

    async def resolve(self) -> str:
        """Ask Twilio for a fresh signed URL (credentials go to the API origin only)."""
        requester = self.requester
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

    async def open(
        self, url: str, *, start: int = 0, if_range: str | None = None
    ) -> StorageResponse:
        """GET a signed URL from ``start`` on (``If-Range`` with it, if given), following up to
        3 storage redirects."""
        return await open_storage(
            self.requester,
            url,
            start=start,
            if_range=if_range,
            allow_http=self.allow_http,
            read_timeout=self.read_timeout,
        )


def _redirect_target(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """``redirect_to`` from the JSON body (what Twilio's samples read), else ``Location``."""
    if body:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
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
