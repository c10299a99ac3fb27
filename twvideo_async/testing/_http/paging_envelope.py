"""Twilio's list envelope: ``{"<key>": [...], "meta": {...}}`` with absolute page URLs.

Lists are ordered newest first (``date_created`` descending, creation order breaking ties). Pages
after the first carry an opaque ``PageToken`` that remembers the last item shown, so a page never
repeats or skips items when new ones are created while a client walks the list. ``Page`` is, as
Twilio says, "simply for client state"; without a token it selects ``Page * PageSize`` as offset.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from .._twilio_errors import PAGE_SIZE_OUT_OF_RANGE, bad_request
from .form_params import Params

PAGING_PARAMS = frozenset({"PageSize", "Page", "PageToken"})
DEFAULT_PAGE_SIZE = 50


class Sortable(Protocol):
    def sort_key(self) -> tuple[datetime, int]: ...


T = TypeVar("T", bound=Sortable)
SortKey = tuple[datetime, int]


def newest_first(items: Sequence[T]) -> list[T]:
    return sorted(items, key=lambda item: item.sort_key(), reverse=True)


def _encode_token(direction: str, key: SortKey) -> str:
    raw = f"{direction}:{key[0].timestamp():.6f}:{key[1]}".encode()
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, SortKey]:
    try:
        if not token.startswith("PT"):
            raise ValueError(token)
        body = token[2:]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        direction, stamp, seq = raw.split(":")
        if direction not in ("a", "b"):
            raise ValueError(direction)
        return direction, (datetime.fromtimestamp(float(stamp), tz=timezone.utc), int(seq))
    # ValueError covers binascii.Error and UnicodeDecodeError; an inf or huge timestamp is an
    # OverflowError (or OSError on some platforms) from fromtimestamp.
    except (ValueError, OverflowError, OSError):
        raise bad_request("PageToken is not valid; follow meta.next_page_url as returned") from None


def page_response(
    request: web.Request,
    params: Params,
    items: Sequence[T],
    *,
    key: str,
    render: Callable[[T], dict[str, Any]],
    max_page_size: int = 1000,
) -> web.Response:
    """Answer a list request: one page of ``items`` (any order) plus the ``meta`` envelope.

    ``items`` must already be filtered on their final state: anything a read changes (a
    composition's progress) is applied before the caller filters, never while paging.
    """
    size = params.number(
        "PageSize", DEFAULT_PAGE_SIZE, low=1, high=max_page_size, code=PAGE_SIZE_OUT_OF_RANGE
    )
    page = params.number("Page", 0, low=0, high=10**9)
    token = params.get("PageToken")
    ordered = newest_first(items)
    keys = [item.sort_key() for item in ordered]
    if token:
        direction, mark = _decode_token(token)
        if direction == "a":
            start = next((i for i, k in enumerate(keys) if k < mark), len(keys))
        else:
            before = sum(1 for k in keys if k > mark)
            start = max(0, before - size)
    else:
        start = page * size
    shown = ordered[start : start + size]

    base = str(request.url.with_query(None))
    filters = [(name, value) for name, value in params.items() if name not in PAGING_PARAMS]

    def url(number: int, page_token: str | None) -> str:
        query: list[tuple[str, str]] = [*filters, ("PageSize", str(size)), ("Page", str(number))]
        if page_token:
            query.append(("PageToken", page_token))
        return f"{base}?{urlencode(query)}"

    next_url = None
    if start + size < len(ordered) and shown:
        next_url = url(page + 1, _encode_token("a", shown[-1].sort_key()))
    previous_url = None
    if page > 0 and start > 0 and shown:
        previous_url = url(page - 1, _encode_token("b", shown[0].sort_key()))
    meta = {
        "page": page,
        "page_size": size,
        "first_page_url": url(0, None),
        "previous_page_url": previous_url,
        "url": url(page, token),
        "next_page_url": next_url,
        "key": key,
    }
    return web.json_response({key: [render(item) for item in shown], "meta": meta})
