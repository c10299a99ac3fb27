"""The cattrs converter that turns Twilio's JSON into models: the checked decode path.

Production uses one module-level converter: unknown keys are ignored, unknown enum values are
kept as plain strings, primitives are checked strictly (cattrs' defaults would turn ``"false"``
into ``True``, ``None`` into ``"None"`` and ``1.5`` into ``1``). Tests build a strict converter
(``make_converter(strict=True)``) that forbids extra keys and unknown enum values, so a model
that drifts from the spec fails CI while production stays lenient.

Models are structured by a generated function per class with the field checks inlined (a page
of 100 recordings is structured on every listing call, so per-field hook calls add up). That fast
path only accepts exactly-typed input; anything else falls back to cattrs' own generated
function, which checks everything again and raises cattrs' detailed errors. The models know
nothing of this: the rules live here, the classes in :mod:`twvideo_async.models`.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ..models import Model
from .codegen import (
    Hook,
    Plan,
    fast_any_map,
    fast_float,
    fast_str_map,
    fast_tuple,
    generate,
)
from .values import enum_lookup, parse_datetime, type_error

__all__ = ["make_converter", "structure", "structure_list"]

T = TypeVar("T")

_UTC = timezone.utc
_NONE = type(None)


def _add_note(exc: BaseException, note: str) -> None:
    # BaseException.add_note is 3.11+; cattrs reads ``__notes__`` the same way on 3.10.
    exc.__notes__ = [*getattr(exc, "__notes__", ()), note]  # type: ignore[attr-defined]


# -- strict primitive hooks --------------------------------------------------------------------

# Class hooks also receive subclasses: ``str`` gets every str enum, ``int`` every IntEnum.


def _structure_str(value: Any, tp: Any) -> Any:
    if tp is not str:
        return _structure_enum(value, tp)
    if isinstance(value, str):
        return value
    raise type_error(value, "a string")


def _structure_int(value: Any, tp: Any) -> Any:
    if tp is not int:
        return _structure_enum(value, tp)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise type_error(value, "an integer")


def _structure_float(value: Any, tp: Any) -> Any:
    if tp is not float:
        return _structure_enum(value, tp)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise type_error(value, "a number")


def _structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise type_error(value, "a boolean")


def _structure_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    raise type_error(value, "an ISO-8601 date-time string")


# -- enums -------------------------------------------------------------------------------------


_strict_lookups: dict[type[enum.Enum], Callable[[Any], Any]] = {}


def _structure_enum(value: Any, tp: Any) -> Any:
    """A field typed with the enum alone: unknown values are errors (``Enum | str`` is lenient)."""
    if not _is_enum_class(tp):
        raise TypeError(f"no structure hook for {tp!r}")
    convert = _strict_lookups.get(tp)
    if convert is None:
        convert = _strict_lookups[tp] = enum_lookup(tp, tolerant=False)
    return convert(value)


def _union_parts(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return ()


def _enum_of_union(tp: Any) -> type[enum.Enum] | None:
    """``RoomStatus`` for ``RoomStatus | str`` or ``RoomStatus | str | None``, else ``None``."""
    parts = [p for p in _union_parts(tp) if p is not _NONE]
    if len(parts) != 2 or str not in parts:
        return None
    other = parts[0] if parts[1] is str else parts[1]
    if isinstance(other, type) and issubclass(other, enum.Enum):
        return other
    return None


def _is_enum_class(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Model)


def _is_mapping(tp: Any) -> bool:
    return typing.get_origin(tp) is Mapping


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _get_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    getter = getattr(conv, "get_structure_hook", None)
    if getter is not None:
        return typing.cast(Hook, getter(tp))
    # cattrs < 24.1 has no public way to look a hook up; this is what it does internally.
    legacy: Any = conv
    return typing.cast(Hook, legacy._structure_func.dispatch(tp))


# -- the fast path for models ------------------------------------------------------------------


def _fast_plan(tp: Any, conv: cattrs.Converter, tolerant: bool) -> Plan:
    """How the generated model function checks a non-null value of ``tp`` (see ``_codegen``)."""
    if tp in (str, int, bool):
        return typing.cast(type, tp)
    if tp is float:
        return fast_float
    if tp is datetime:
        return parse_datetime  # raises TypeError for anything but a string
    enum_cls = _enum_of_union(tp)
    if enum_cls is not None and _NONE not in _union_parts(tp):
        return enum_lookup(enum_cls, tolerant=tolerant)
    if _is_enum_class(tp):
        return enum_lookup(tp, tolerant=False)
    if _is_mapping(tp):
        args = typing.get_args(tp)
        if args == (str, str):
            return fast_str_map
        return fast_any_map if args == (str, Any) else None
    if _is_homogeneous_tuple(tp):
        item = _fast_plan(typing.get_args(tp)[0], conv, tolerant)
        return None if item is None else fast_tuple(item)
    if _is_model(tp):
        # The nested model's own generated function (which has its own fallback).
        return typing.cast(Callable[[Any], Any], _get_hook(conv, tp))
    return None


# -- the converter -----------------------------------------------------------------------------


def make_converter(*, strict: bool = False, fast: bool = True) -> cattrs.Converter:
    """Build a converter with the SDK's hooks.

    ``strict=True`` forbids keys the model lacks and unknown enum values (known values still
    match case-insensitively, as Twilio's own examples need). Only tests use it, as they use
    ``fast=False`` (cattrs' checked functions only) to compare the two paths.
    """
    conv = cattrs.Converter(forbid_extra_keys=strict)
    tolerant = not strict
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(enum.Enum, _structure_enum)

    def enum_or_str_hook(tp: Any) -> Hook:
        cls = _enum_of_union(tp)
        assert cls is not None  # noqa: S101 - invariant; narrows the type
        convert = enum_lookup(cls, tolerant=tolerant)
        nullable = _NONE in _union_parts(tp)

        def hook(value: Any, _: Any) -> Any:
            if value is None and nullable:
                return None
            return convert(value)

        return hook

    def mapping_hook(tp: Any) -> Hook:
        key_type, value_type = typing.get_args(tp) or (Any, Any)
        key_hook = None if key_type is Any else _get_hook(conv, key_type)
        value_hook = None if value_type is Any else _get_hook(conv, value_type)

        def hook(value: Any, _: Any) -> Mapping[Any, Any]:
            if not isinstance(value, Mapping):
                raise type_error(value, "a JSON object")
            if key_hook is None and value_hook is None:
                return types.MappingProxyType(dict(value))
            out = {}
            for key, item in value.items():
                k = key if key_hook is None else key_hook(key, key_type)
                out[k] = item if value_hook is None else value_hook(item, value_type)
            return types.MappingProxyType(out)

        return hook

    def tuple_hook(tp: Any) -> Hook:
        item_type = typing.get_args(tp)[0]
        item_hook = _get_hook(conv, item_type)

        def hook(value: Any, _: Any) -> tuple[Any, ...]:
            # cattrs would accept any iterable, so a string would become a tuple of letters.
            if not isinstance(value, (list, tuple)):
                raise type_error(value, "a JSON array")
            out = []
            errors: list[Exception] = []
            for index, item in enumerate(value):
                try:
                    out.append(item_hook(item, item_type))
                except Exception as exc:
                    note = IterableValidationNote(
                        f"Structuring {tp!r} @ index {index}", index, item_type
                    )
                    _add_note(exc, note)
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
            return tuple(out)

        return hook

    def model_hook(cls: Any) -> Hook:
        # cattrs' generated function is the reference (and slow) path; ``raw`` is set here.
        checked = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=strict, raw=override(omit=True)
        )

        def slow(data: Any) -> Any:
            obj = checked(data, cls)
            object.__setattr__(obj, "raw", types.MappingProxyType(data))
            return obj

        if not fast:
            return lambda data, _: slow(data)
        return generate(
            cls,
            plan=lambda tp: _fast_plan(tp, conv, tolerant),
            hook=lambda tp: _get_hook(conv, tp),
            slow=slow,
            forbid_extra_keys=strict,
        )

    conv.register_structure_hook_factory(
        lambda tp: _enum_of_union(tp) is not None, enum_or_str_hook
    )
    conv.register_structure_hook_factory(_is_mapping, mapping_hook)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, tuple_hook)
    conv.register_structure_hook_factory(_is_model, model_hook)
    return conv


_converter = make_converter()
_hooks: dict[type[Any], Hook] = {}


def _hook_for(cls: type[Any]) -> Hook:
    hook = _hooks.get(cls)
    if hook is None:
        hook = _hooks[cls] = _get_hook(_converter, cls)
    return hook


def structure(data: Mapping[str, Any], cls: type[T]) -> T:
    """Build a ``cls`` model from one JSON object. Raises cattrs errors on a bad payload."""
    result: T = _hook_for(cls)(data, cls)
    return result


def structure_list(items: list[Any], cls: type[T]) -> list[T]:
    """Build models from the items of a list page, looking the hook up once.

    A bad item raises its cattrs error with a note naming its index.
    """
    hook = _hook_for(cls)
    out: list[T] = []
    for index, item in enumerate(items):
        try:
            out.append(hook(item, cls))
        except Exception as exc:
            _add_note(exc, f"Structuring item {index} of the page")
            raise
    return out
