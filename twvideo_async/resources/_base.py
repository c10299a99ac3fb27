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
from typing import Any, Generic, ParamSpec, TypeVar, cast, overload

import cattrs

from .. import _serde
from .._encoding import build_path, encode_pairs, sid_pattern
from .._options import RequestOptions, Unpack, option_names
from .._pagination import AsyncPaginator, Parse, cap_page_size, split_envelope
from .._request import Request, Requester
from .._response import APIResponse, RawResponse
from ..errors import APIResponseValidationError, InvalidRequestError
from ..models import _wire

T = TypeVar("T")
P = ParamSpec("P")

_RAW: contextvars.ContextVar[bool] = contextvars.ContextVar("twvideo_async_raw", default=False)

SID = {prefix: sid_pattern(prefix) for prefix in ("RM", "RT", "CJ", "HK", "MT", "PA")}


def _shape_error(cls: type[Any], exc: Exception, body: Any) -> APIResponseValidationError:
    detail = "; ".join(cattrs.transform_error(exc))
    return APIResponseValidationError(
        f"{cls.__name__} did not match the expected shape: {detail[:300]}", body=body
    )


class Parser(Generic[T]):
    """Builds ``cls`` from one JSON object, with shape errors made typed.

    :meth:`from_response` decodes the body bytes straight into the model with msgspec
    (``models._wire``) and takes the cattrs path only for what that does not accept, so both
    give the same model and errors always come from cattrs. Calling the parser with an
    already-parsed object takes the cattrs path.
    """

    __slots__ = ("cls",)

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls

    def __call__(self, data: Mapping[str, Any]) -> T:
        cls = self.cls
        if not isinstance(data, Mapping):
            raise APIResponseValidationError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
            )
        try:
            return _serde.structure(data, cls)
        except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
            raise _shape_error(cls, exc, data) from None

    def from_response(self, response: APIResponse) -> T:
        model = _wire.decode_object(response.content, self.cls)
        return self(response.json()) if model is None else model


class ListParser(Generic[T]):
    """Builds the models and ``meta`` of a list page from its response (see :class:`Parser`)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls

    def __call__(self, response: APIResponse) -> tuple[list[T], Mapping[str, Any]]:
        cls = self.cls
        decoded = _wire.decode_page(response.content, cls)
        if decoded is not None:
            return decoded
        raw_items, meta = split_envelope(response.json())
        try:
            return _serde.structure_list(raw_items, cls), meta
        except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
            raise _shape_error(cls, exc, None) from None


def parser(cls: type[T]) -> Parser[T]:
    """A :class:`Parser` for ``cls``."""
    return Parser(cls)


def list_parser(cls: type[T]) -> ListParser[T]:
    """A :class:`ListParser` for ``cls``."""
    return ListParser(cls)


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
                annotation = eval(annotation, namespace)
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
        if not kwargs.keys() <= accepted:
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
        request = Request(
            method=method,
            path_template=template,
            path=build_path(template, params, patterns),
            query=encode_pairs(query) if query else None,
            form=encode_pairs(form) if form is not None else None,
            idempotent=idempotent,
            options=options,
        )
        response = await self._requester.request(request)
        result = None if parse is None else _parse_response(response, parse)
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


def _parse_response(response: APIResponse, parse: Callable[[Mapping[str, Any]], T]) -> T:
    try:
        if isinstance(parse, Parser):
            model: T = parse.from_response(response)
            return model
        return parse(response.json())
    except APIResponseValidationError as exc:
        exc.method, exc.path = response.method, response.path
        exc.status, exc.request_id = response.status, response.request_id
        raise


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
