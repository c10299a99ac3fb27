"""The parsers the resources hand their requests: one JSON object or one list page into models.

Each tries the msgspec fast path (:mod:`.wire`) on the body bytes first and takes the cattrs
path (:mod:`.converter`) for whatever that does not accept, so both give the same model and
every shape error comes from cattrs, typed as :class:`APIResponseValidationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import cattrs

from .._response import APIResponse
from ..errors import APIResponseValidationError
from . import converter, wire

__all__ = ["ListParser", "Parser", "list_parser", "parse_response", "parser", "split_envelope"]

T = TypeVar("T")


def _too_deep(cls: type[Any]) -> APIResponseValidationError:
    return APIResponseValidationError(f"{cls.__name__} is nested too deeply to be read")


def _shape_error(cls: type[Any], exc: Exception, body: Any) -> APIResponseValidationError:
    detail = "; ".join(cattrs.transform_error(exc))
    return APIResponseValidationError(
        f"{cls.__name__} did not match the expected shape: {detail[:300]}", body=body
    )


class Parser(Generic[T]):
    """Builds ``cls`` from one JSON object, with shape errors made typed.

    :meth:`from_response` decodes the body bytes straight into the model with msgspec
    (:mod:`.wire`) and takes the cattrs path only for what that does not accept, so both
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
            return converter.structure(data, cls)
        except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
            raise _shape_error(cls, exc, data) from None
        except RecursionError:
            raise _too_deep(cls) from None

    def from_response(self, response: APIResponse) -> T:
        model = wire.decode_object(response.content, self.cls)
        return self(response.json()) if model is None else model


def split_envelope(body: Any) -> tuple[list[Any], Mapping[str, Any]]:
    """The ``meta.key`` array and ``meta`` of a parsed list response."""
    meta = body.get("meta") if isinstance(body, Mapping) else None
    key = meta.get("key") if isinstance(meta, Mapping) else None
    raw_items = body.get(key) if isinstance(key, str) else None
    if not isinstance(raw_items, list):
        raise APIResponseValidationError("list response has no `meta.key` array")
    return raw_items, meta  # type: ignore[return-value]


class ListParser(Generic[T]):
    """Builds the models and ``meta`` of a list page from its response (see :class:`Parser`)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls

    def __call__(self, response: APIResponse) -> tuple[list[T], Mapping[str, Any]]:
        cls = self.cls
        decoded = wire.decode_page(response.content, cls)
        if decoded is not None:
            return decoded
        raw_items, meta = split_envelope(response.json())
        try:
            return converter.structure_list(raw_items, cls), meta
        except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
            raise _shape_error(cls, exc, None) from None
        except RecursionError:
            raise _too_deep(cls) from None


def parser(cls: type[T]) -> Parser[T]:
    """A :class:`Parser` for ``cls``."""
    return Parser(cls)


def list_parser(cls: type[T]) -> ListParser[T]:
    """A :class:`ListParser` for ``cls``."""
    return ListParser(cls)


def parse_response(response: APIResponse, parse: Callable[[Mapping[str, Any]], T]) -> T:
    """``parse`` applied to ``response`` (from its bytes when it is a :class:`Parser`), with a
    shape error annotated with the request it answers."""
    try:
        if isinstance(parse, Parser):
            # ``Parser.from_response`` inlined: one call fewer on every fetch.
            model: T | None = wire.decode_object(response.content, parse.cls)
            return parse(response.json()) if model is None else model
        return parse(response.json())
    except APIResponseValidationError as exc:
        exc.method, exc.path = response.method, response.path
        exc.status, exc.request_id = response.status, response.request_id
        raise
