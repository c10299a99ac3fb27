"""``Model.raw`` computed on first use from the response bytes.

The msgspec path builds models straight from the body without ever making the dicts that
``raw`` exposes. Rather than decode every item a second time (which would cost more than the
models themselves), each model gets a :class:`LazyRaw`: a read-only mapping that knows the body
and its item's position, and parses the body with ``json.loads`` (exactly what the cattrs path
reads) the first time any item of that body is looked at. One parse serves every item of a page.

A ``LazyRaw`` keeps its response body (and, once parsed, the page's dicts) alive for as long as
the model lives; the body alone is about what the item dicts of the cattrs path take.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["LazyRaw", "RawSource", "read_only"]


def read_only(data: dict[str, Any]) -> Mapping[str, Any]:
    """``data`` behind a ``MappingProxyType`` (what unpickling a ``LazyRaw`` gives)."""
    return MappingProxyType(data)


class RawSource:
    """A response body and, for a list page, the key of its items array.

    ``items()`` parses the body once (``key`` ``None`` means the body is the single object).
    Concurrent first calls may parse twice; both results are equal, so the race is harmless.
    """

    __slots__ = ("_body", "_items", "_key")

    def __init__(self, body: bytes, key: str | None) -> None:
        self._body = body
        self._key = key
        self._items: list[dict[str, Any]] | None = None

    def items(self) -> list[dict[str, Any]]:
        items = self._items
        if items is None:
            document = json.loads(self._body)
            items = self._items = [document] if self._key is None else document[self._key]
        return items


class LazyRaw(Mapping[str, Any]):
    """The JSON object one model was built from, read-only, parsed on first access.

    Behaves like the ``MappingProxyType`` the cattrs path gives: item access, iteration (also
    ``reversed``), ``len``, ``==`` with any mapping, no assignment; ``copy()`` and ``|`` give
    plain dicts. Pickling and deep copies give a ``MappingProxyType`` of the same content.
    """

    # Instances are made by the generated msgspec finishing code, which fills ``_source`` and
    # ``_index`` through the slot descriptors (cheaper than ``__init__``); ``_data`` stays
    # unset until the first access. The model of a single-object body has nothing to share
    # its parse with: its ``_source`` is the body itself and ``_index`` stays unset.
    __slots__ = ("_data", "_index", "_source")
    _data: dict[str, Any]

    def __init__(self, source: RawSource, index: int) -> None:
        self._source = source
        self._index = index

    def _mapping(self) -> dict[str, Any]:
        try:
            return self._data
        except AttributeError:
            source = self._source
            if isinstance(source, bytes):
                data = self._data = json.loads(source)  # what RawSource(body, None) reads
            else:
                data = self._data = source.items()[self._index]
            return data

    def __getitem__(self, key: str) -> Any:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def __contains__(self, key: object) -> bool:
        return key in self._mapping()

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._mapping())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._mapping() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> dict[str, Any]:
        """A shallow copy as a plain dict (as ``MappingProxyType.copy`` gives)."""
        return dict(self._mapping())

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**self._mapping(), **other}

    def __ror__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**other, **self._mapping()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (read_only, (dict(self._mapping()),))

    def __repr__(self) -> str:
        return f"LazyRaw({self._mapping()!r})"
