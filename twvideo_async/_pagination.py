"""Paged listings over Twilio's ``meta`` envelope.

A list response is ``{"<key>": [...], "meta": {"key": "<key>", "next_page_url": ..., ...}}``.
Pages are followed through ``meta.next_page_url`` exactly as Twilio returns it (it carries the
filters and an opaque ``PageToken``), but only when its origin is the API origin: credentials
go with that request, so a page URL pointing anywhere else is refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from ._request import Request
from ._response import APIResponse
from .errors import APIError, APIResponseValidationError, InvalidRequestError, TwilioVideoError

T = TypeVar("T")

Fetch = Callable[[Request], Awaitable[APIResponse]]
# Builds the models and ``meta`` of one page from its response at once (straight from the
# bytes where it can; see ``_decode.parsers.ListParser``), raising APIResponseValidationError.
Parse = Callable[[APIResponse], tuple[list[T], Mapping[str, Any]]]


def origin_of(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` with default ports filled in, for origin comparisons.

    Raises ``ValueError`` for a port that is not a number in 0-65535 (``urlsplit`` does).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


# The API origin is the same for every page of every listing: parse it once.
_api_origin = functools.lru_cache(maxsize=8)(origin_of)

# What may appear in a URI (RFC 3986): a page URL is sent exactly as given, so anything else
# (spaces, control characters, non-ASCII) would go on the wire raw.
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def check_page_url(url: str, api_origin: str, *, error: type[APIError] | None = None) -> str:
    """Refuse a page URL that would send credentials off the API origin, or that is not a
    well-formed URL. ``error`` is the class raised (``InvalidRequestError`` by default, for a
    caller's ``page_url``; a server's ``next_page_url`` is an ``APIResponseValidationError``)."""
    fail: type[TwilioVideoError] = error or InvalidRequestError
    if not isinstance(url, str) or not _URI.fullmatch(url):
        raise fail("page URL must be an absolute http(s) URL of printable ASCII characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(f"page URL must be an absolute http(s) URL, got {url[:60]!r}")
    if parts.username or parts.password:
        raise fail("page URL must not carry credentials")
    try:
        origin = origin_of(url)
    except ValueError:
        raise fail(f"page URL has an invalid port: {parts.netloc[:60]!r}") from None
    if origin != _api_origin(api_origin):
        raise fail(
            f"refusing to follow a page URL on {parts.scheme}://{parts.hostname}: it is not the "
            "API origin, and credentials would be sent with it"
        )
    return url


def cap_page_size(page_size: int | None, limit: int | None, maximum: int) -> int | None:
    """The ``PageSize`` to send: at most the endpoint's maximum, no more than ``limit``."""
    if page_size is not None and (
        isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1
    ):
        raise InvalidRequestError(f"page_size must be an integer >= 1, got {page_size!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InvalidRequestError(f"limit must be an integer >= 0, got {limit!r}")
    if page_size is None and limit is not None:
        page_size = max(limit, 1)
    if page_size is None:
        return None
    return min(page_size, maximum)


class Page(Generic[T]):
    """One page of a listing: ``items``, the raw ``meta`` and the response it came from."""

    def __init__(
        self,
        *,
        items: list[T],
        meta: Mapping[str, Any],
        response: APIResponse,
        fetch: Fetch,
        parse: Parse[T],
        template: Request,
        api_origin: str,
    ) -> None:
        self.items = items
        self.meta = meta
        self.response = response
        self._fetch = fetch
        self._parse = parse
        self._template = template
        self._api_origin = api_origin

    @property
    def next_page_url(self) -> str | None:
        """The cursor of the next page; pass it as ``page_url=`` to resume a listing later."""
        url = self.meta.get("next_page_url")
        return url if isinstance(url, str) and url else None

    def has_next_page(self) -> bool:
        return self.next_page_url is not None

    async def get_next_page(self) -> Page[T]:
        url = self.next_page_url
        if url is None:
            raise StopAsyncIteration
        return await fetch_page(
            self._fetch,
            self._parse,
            self._template,
            self._api_origin,
            page_url=url,
            from_server=True,
        )

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"<Page {self._template.path_template} items={len(self.items)} "
            f"page={self.meta.get('page')} has_next={self.has_next_page()}>"
        )


async def fetch_page(
    fetch: Fetch,
    parse: Parse[T],
    template: Request,
    api_origin: str,
    *,
    page_url: str | None = None,
    from_server: bool = False,
) -> Page[T]:
    """Fetch the first page (``template``) or the page at ``page_url`` (``from_server``: a
    ``next_page_url`` the server sent, so a bad one is the server's fault)."""
    if page_url is not None:
        error = APIResponseValidationError if from_server else None
        request = Request(
            method="GET",
            path_template=template.path_template,
            url=check_page_url(page_url, api_origin, error=error),
            options=template.options,
        )
    else:
        request = template
    response = await fetch(request)
    try:
        items, meta = parse(response)
    except APIResponseValidationError as exc:
        exc.method, exc.path = request.method, request.path_template
        exc.status, exc.request_id = response.status, response.request_id
        raise
    return Page(
        items=items,
        meta=meta,
        response=response,
        fetch=fetch,
        parse=parse,
        template=template,
        api_origin=api_origin,
    )


# Empty pages in a row, each with a next link, after which a listing is refused. Twilio
# never sends one (a last page has no next link); a few are tolerated for a server whose
# filter skipped a whole page.
MAX_EMPTY_PAGES = 3


class _LoopGuard:
    """Remembers what a listing fetched, to refuse a server that sends it round in circles."""

    __slots__ = ("_empty", "_previous", "_urls")

    def __init__(self, first: Page[Any]) -> None:
        url = first.meta.get("url")
        self._urls = {url} if isinstance(url, str) and url else set()
        self._previous = first.items
        self._empty = 0 if first.items else 1

    def before(self, page: Page[Any]) -> None:
        """Check the next page URL of ``page`` before it is fetched."""
        url = page.next_page_url
        if url is None:  # the last page: nothing to follow
            return
        if url in self._urls:
            raise self._error(page, "sent a next_page_url that this listing already fetched")
        if self._empty > MAX_EMPTY_PAGES - 1:
            raise self._error(
                page, f"sent {self._empty} empty pages in a row that each point to a next page"
            )
        self._urls.add(url)

    def after(self, page: Page[Any]) -> None:
        """Check a page just fetched against the one before."""
        items = page.items
        # A last page (no next link) ends the listing anyway: only a repeat that goes on loops.
        if items and page.has_next_page() and items == self._previous:
            raise self._error(page, "sent the same items as the previous page again")
        self._previous = items
        self._empty = 0 if items else self._empty + 1

    @staticmethod
    def _error(page: Page[Any], what: str) -> APIResponseValidationError:
        response = page.response
        return APIResponseValidationError(
            f"the listing does not advance: the server {what}; stopped instead of looping",
            method=response.method,
            path=response.path,
            status=response.status,
            request_id=response.request_id,
        )


class AsyncPaginator(Generic[T]):
    """What ``list()`` returns: ``await`` it for the first page, ``async for`` it for every
    item across pages (up to ``limit``), or use :meth:`pages` for page-level control.
    """

    def __init__(
        self,
        *,
        fetch: Fetch,
        parse: Parse[T],
        template: Request,
        api_origin: str,
        limit: int | None = None,
        page_url: str | None = None,
    ) -> None:
        self._fetch = fetch
        self._parse = parse
        self._template = template
        self._api_origin = api_origin
        self._limit = limit
        self._page_url = page_url
        if page_url is not None:
            check_page_url(page_url, api_origin)

    async def first_page(self) -> Page[T]:
        return await fetch_page(
            self._fetch, self._parse, self._template, self._api_origin, page_url=self._page_url
        )

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page in order, stopping early once ``limit`` items have been seen.

        A server that loops is refused with :class:`APIResponseValidationError` instead of
        being followed forever: a ``next_page_url`` already fetched in this listing, a page
        that repeats the previous page's items, or more than ``MAX_EMPTY_PAGES`` empty pages
        in a row that still point to a next one (``limit`` alone would never be reached).
        """
        page = await self.first_page()
        guard = _LoopGuard(page)
        seen = len(page.items)
        yield page
        while page.has_next_page() and (self._limit is None or seen < self._limit):
            guard.before(page)
            page = await page.get_next_page()
            guard.after(page)
            seen += len(page.items)
            yield page

    async def _items(self) -> AsyncIterator[T]:
        remaining = self._limit
        if remaining == 0:
            return
        async for page in self.pages():
            for item in page.items:
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining == 0:
                        return

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def to_list(self) -> list[T]:
        """Every item (up to ``limit``) in a list."""
        return [item async for item in self]
