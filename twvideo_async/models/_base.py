"""The base class every response model shares: the ``raw`` payload, and pickling."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._raw import LazyRaw

__all__ = ["EMPTY_RAW", "Model"]

# One shared, read-only empty mapping: the default ``raw`` of models built by hand.
EMPTY_RAW: Mapping[str, Any] = MappingProxyType({})


def _restore(cls: type[Model], state: dict[str, Any]) -> Model:
    return cls(**{k: MappingProxyType(v) if type(v) is dict else v for k, v in state.items()})


@attrs.frozen(kw_only=True)
class Model:
    """Base of every response model.

    Attributes:
        raw: The JSON object Twilio returned, read-only. Use it for fields this SDK version
            does not model yet. Not part of ``repr`` or equality.
    """

    raw: Mapping[str, Any] = attrs.field(default=EMPTY_RAW, repr=False, eq=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only mappings cannot be pickled (nor deep-copied); send them (and a ``raw`` not
        # parsed yet) as dicts and wrap them again on the way back, so models cross process
        # pools and caches.
        state = {
            f.name: dict(v) if isinstance(v, (MappingProxyType, LazyRaw)) else v
            for f in attrs.fields(type(self))
            for v in (getattr(self, f.name),)
        }
        return (_restore, (type(self), state))
