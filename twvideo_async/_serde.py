"""The cattrs converter that turns Twilio's JSON into models, and datetime helpers.

Production uses one module-level converter: unknown keys are ignored, unknown enum values are
kept as plain strings, primitives are checked strictly (cattrs' defaults would turn ``"false"``
into ``True``, ``None`` into ``"None"`` and ``1.5`` into ``1``). Tests build a strict converter
(``make_converter(strict=True)``) that forbids extra keys and unknown enum values, so a model
that drifts from the spec fails CI while production stays lenient.

Models are structured by a generated function per class with the field checks inlined (a page
of 100 recordings is structured on every listing call, so per-field hook calls add up). That fast
path only accepts exactly-typed input; anything else falls back to cattrs' own generated
function, which checks everything again and raises cattrs' detailed errors.
"""

from __future__ import annotations

import enum
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ._encoding import format_datetime
from .models import Model
from .models._codegen import (
    Hook,
    Plan,
    fast_any_map,
    fast_float,
    fast_str_map,
    fast_tuple,
    generate,
)

__all__ = [
    "enum_lookup",
    "format_datetime",
    "from_zulu",
    "make_converter",
    "parse_datetime",
    "structure",
    "structure_list",
]

T = TypeVar("T")

_UTC = timezone.utc
_NONE = type(None)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


# -- datetimes ---------------------------------------------------------------------------------


def _respelled(value: str) -> datetime:
    return datetime.fromisoformat(value[:19] + "+00:00")


# ``...Z`` (20 characters) to a datetime. 3.11+ reads the Z itself at half the cost of 3.10's
# respelling; the two give the same outcome for every such string (fuzzed on 3.11 to 3.13).
from_zulu = datetime.fromisoformat if sys.version_info >= (3, 11) else _respelled


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    Accepts ``Z`` or ``±hh:mm`` offsets and any number of fractional digits, on every supported
    Python (3.10's ``fromisoformat`` takes neither ``Z`` nor arbitrary fractions). A timestamp
    without an offset is read as UTC, which is what Twilio reports.
    """
    if len(value) == 20 and value[19] == "Z":
        # Twilio's usual shape, 2015-07-30T20:00:00Z: the C parser is the cheapest route.
        # (``.replace(tzinfo=...)`` would cost several times the parse itself.)
        try:
            return from_zulu(value)
        except ValueError:
            pass
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not an ISO-8601 date-time: {value!r}")
    year, month, day, hour, minute, second, frac, _z, sign, off_h, off_m = match.groups()
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    tz = _UTC
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
    )
    return parsed if tz is _UTC else parsed.astimezone(_UTC)


def _add_note(exc: BaseException, note: str) -> None:
    # BaseException.add_note is 3.11+; cattrs reads ``__notes__`` the same way on 3.10.
    exc.__notes__ = [*getattr(exc, "__notes__", ()), note]  # type: ignore[attr-defined]


# -- strict primitive hooks --------------------------------------------------------------------


def _type_error(value: Any, expected: str) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r:.40}")


# Class hooks also receive subclasses: ``str`` gets every str enum, ``int`` every IntEnum.


def _structure_str(value: Any, tp: Any) -> Any:
    if tp is not str:
        return _structure_enum(value, tp)
    if isinstance(value, str):
        return value
    raise _type_error(value, "a string")


def _structure_int(value: Any, tp: Any) -> Any:
    if tp is not int:
        return _structure_enum(value, tp)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise _type_error(value, "an integer")


def _structure_float(value: Any, tp: Any) -> Any:
    if tp is not float:
        return _structure_enum(value, tp)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _type_error(value, "a number")


def _structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise _type_error(value, "a boolean")


def _structure_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    raise _type_error(value, "an ISO-8601 date-time string")


# -- enums -------------------------------------------------------------------------------------


def enum_lookup(cls: type[enum.Enum], *, tolerant: bool) -> Callable[[Any], Any]:
    """A converter from a wire string to ``cls``; unknown strings kept as ``str`` if tolerant."""
    table: dict[str, Any] = {}
    for member in cls:
        table[str(member.value).lower()] = member
    for member in cls:
        table[str(member.value)] = member
    get = table.get

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            raise _type_error(value, f"a {cls.__name__} string")
        member = get(value)
        if member is None:
            member = get(value.lower())
            if member is None:
                if tolerant:
                    return str(value)
                raise ValueError(f"{value!r} is not a valid {cls.__name__}")
        return member

    return convert


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
                raise _type_error(value, "a JSON object")
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
                raise _type_error(value, "a JSON array")
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
