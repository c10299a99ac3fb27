"""What every resource class shares: building a request from an operation's path and fields,
sending it, and turning the answer into a model (or a raw response)."""

from __future__ import annotations

import contextvars
import difflib
import functools
import inspect
import re
import sys
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast, overload

from .._decode.parsers import Parser, parse_response
from .._encoding import build_path, encode_pairs, sid_pattern
from .._options import RequestOptions, Unpack, option_names
from .._pagination import AsyncPaginator, Parse, cap_page_size
from .._request import Request, Requester
from .._response import RawResponse
from ..errors import InvalidRequestError

T = TypeVar("T")
P = ParamSpec("P")

_RAW: contextvars.ContextVar[bool] = contextvars.ContextVar("twvideo_async_raw", default=False)

_new_request = tuple.__new__

SID = {prefix: sid_pattern(prefix) for prefix in ("RM", "RT", "CJ", "HK", "MT", "PA")}


def _accepted_keywords(method: Callable[..., Any]) -> list[str] | None:
    """The keyword names a method takes: its keyword-only parameters, then the keys of the
    ``TypedDict`` behind its ``**options: Unpack[...]`` (resolved once, at class creation).
    None for a method whose ``**kwargs`` is open-ended (it checks its own keys)."""
    signature = inspect.signature(method)
    names = [n for n, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY]
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            annotation = param.annotation
            if isinstance(annotation, str):
                namespace = vars(sys.modules[method.__module__])
                # A string annotation (``from __future__ import annotations``) of our own code.
                annotation = eval(annotation, namespace)  # noqa: S307
            if typing.get_origin(annotation) is not Unpack:
                return None
            (typed_dict,) = typing.get_args(annotation)
            names += sorted(option_names(typed_dict) - set(names))
    return names


def _check_keywords(method: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse an unknown keyword before anything runs, naming the parameters the method takes
    and the closest match (Python's own message names neither, and ``**options`` methods
    would otherwise only fail once their coroutine runs)."""
    accepted_names = _accepted_keywords(method)
    if accepted_names is None:
        return method
    accepted = frozenset(accepted_names) | {
        n for n, p in inspect.signature(method).parameters.items() if p.kind is not p.VAR_KEYWORD
    }
    names = accepted_names

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs and not kwargs.keys() <= accepted:
            unknown = sorted(kwargs.keys() - accepted)
            close = difflib.get_close_matches(unknown[0], names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InvalidRequestError(
                f"{method.__qualname__}() has no parameter {unknown[0]!r}; {hint}"
                f"it takes: {', '.join(names)}"
            )
        return method(*args, **kwargs)

    return call


class Resource:
    """Base of the resource classes: builds requests and hands them to the :class:`Requester`.

    Resources know nothing of :class:`~twvideo_async.VideoClient`: a client copy made by
    ``with_options()`` simply builds its resources on its own requester.
    """

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(value):
                setattr(cls, name, _check_keywords(value))

    @overload
    async def _call(
        self,
        method: str,
        template: str,
        params: Mapping[str, str],
        *,
        patterns: Mapping[str, re.Pattern[str]] | None = None,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        idempotent: bool = False,
        options: RequestOptions,
        parse: Parser[T],
    ) -> T: ...

    @overload
    async def _call(
        self,
        method: str,
        template: str,
        params: Mapping[str, str],
        *,
        patterns: Mapping[str, re.Pattern[str]] | None = None,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        idempotent: bool = False,
        options: RequestOptions,
        parse: None,
    ) -> None: ...

    async def _call(
        self,
        method: str,
        template: str,
        params: Mapping[str, str],
        *,
        patterns: Mapping[str, re.Pattern[str]] | None = None,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        idempotent: bool = False,
        options: RequestOptions,
        parse: Parser[T] | None,
    ) -> T | None:
        # Request's fields in order (method, path_template, path, url, query, form,
        # idempotent, expect_redirect, options): a twelfth of a keyword-built instance's
        # cost, on every call. tests/test_fast_paths.py checks it equals the keyword form.
        request = _new_request(
            Request,
            (
                method,
                template,
                build_path(template, params, patterns),
                None,
                encode_pairs(query) if query else None,
                encode_pairs(form) if form is not None else None,
                idempotent,
                False,
                options,
            ),
        )
        response = await self._requester.request(request)
        result = None if parse is None else parse_response(response, parse)
        if _RAW.get():
            # Typed as the model; `raw()` below is the only reader of this form.
            return cast(T, RawResponse(response, result))
        return result

    def _list(
        self,
        template: str,
        params: Mapping[str, str],
        *,
        patterns: Mapping[str, re.Pattern[str]] | None = None,
        query: Mapping[str, Any],
        page_size: int | None,
        limit: int | None,
        page_url: str | None,
        max_page_size: int,
        options: RequestOptions,
        parse: Parse[T],
    ) -> AsyncPaginator[T]:
        size = cap_page_size(page_size, limit, max_page_size)
        request = Request(
            method="GET",
            path_template=template,
            path=build_path(template, params, patterns),
            query=encode_pairs({**query, "PageSize": size}),
            options=options,
        )
        requester = self._requester
        return AsyncPaginator(
            fetch=requester.request,
            parse=parse,
            template=request,
            api_origin=requester.origin,
            limit=limit,
            page_url=page_url,
        )


def raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """The raw form of a one-request method: same parameters, a :class:`RawResponse` (status,
    headers, request id, body) around the parsed result.

    Only methods that make exactly one request get one (each resource's ``with_raw_response``
    lists them), so the type checker refuses ``with_raw_response.download(...)`` or
    ``.list(...)`` and nothing is sent for them.
    """

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        token = _RAW.set(True)
        try:
            result: Any = await method(*args, **kwargs)
        finally:
            _RAW.reset(token)
        if not isinstance(result, RawResponse):  # pragma: no cover - a one-request method
            raise TypeError(f"{method.__qualname__}() did not make exactly one request")
        return result

    return call
