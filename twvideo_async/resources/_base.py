"""What every resource class shares: building a request from an operation's path and fields,
sending it, and turning the answer into a model (or a raw response)."""

from __future__ import annotations

import contextvars
import difflib
import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import cattrs

from .. import _serde
from .._encoding import build_path, encode_pairs, sid_pattern
from .._pagination import AsyncPaginator, Parse, cap_page_size, split_envelope
from .._request import Request, RequestOptions
from .._response import APIResponse, RawResponse
from ..errors import APIResponseValidationError, InvalidRequestError
from ..models import _wire

if TYPE_CHECKING:
    from .._client import VideoClient

T = TypeVar("T")
R = TypeVar("R", bound="Resource")

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


def _check_keywords(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn Python's bare "unexpected keyword argument" into an error that names the
    parameters the method takes and the closest match. Costs nothing until a call is wrong:
    the coroutine is only created here, nothing is awaited."""
    signature = inspect.signature(method)
    accepted = [n for n, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY]

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except TypeError as exc:
            unknown = [k for k in kwargs if k not in signature.parameters]
            if not unknown or "unexpected keyword argument" not in str(exc):
                raise
            close = difflib.get_close_matches(unknown[0], accepted, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InvalidRequestError(
                f"{method.__qualname__}() has no parameter {unknown[0]!r}; {hint}"
                f"it takes: {', '.join(accepted)}"
            ) from None

    return call


class Resource:
    """Base of the resource classes. ``with_raw_response`` mirrors the resource with methods
    returning :class:`RawResponse` (status, headers, request id, JSON) around the parsed model."""

    def __init__(self, client: VideoClient) -> None:
        self._client = client

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(value):
                setattr(cls, name, _check_keywords(value))

    @cached_property
    def with_raw_response(self) -> RawProxy[Any]:
        return RawProxy(self)

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
        parse: Callable[[Mapping[str, Any]], T] | None,
    ) -> Any:
        request = Request(
            method=method,
            path_template=template,
            path=build_path(template, params, patterns),
            query=encode_pairs(query) if query else None,
            form=encode_pairs(form) if form is not None else None,
            idempotent=idempotent,
            options=options,
        )
        response = await self._client._requester.request(request)
        result = None if parse is None else _parse_response(response, parse)
        if _RAW.get():
            return RawResponse(response, result)
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
        requester = self._client._requester
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


class RawProxy(Generic[R]):
    """``resource.with_raw_response.method(...)`` returns ``RawResponse`` instead of the model."""

    def __init__(self, resource: R) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        method = getattr(self._resource, name)
        if not callable(method) or name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            token = _RAW.set(True)
            try:
                result = await method(*args, **kwargs)
            finally:
                _RAW.reset(token)
            if not isinstance(result, RawResponse):
                raise TypeError(f"{name}() has no raw form (it makes more than one request)")
            return result

        return call
