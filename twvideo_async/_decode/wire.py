"""Response bytes decoded straight into models with msgspec: the fast path of :mod:`.parsers`.

``json.loads`` followed by the cattrs converter costs about twice what a hand-written client
spends on ``json.loads`` alone, so a typed listing could never keep up with one. msgspec builds
the attrs instances directly from the bytes in C, so here the models cost less than the dicts.

msgspec cannot read the models' own annotations as they are (it refuses a union of a str enum
and ``str``), so each supported model gets a private *wire* subclass that msgspec decodes into:

- ``Enum | str`` fields are typed with a wire enum whose value table maps every spelling the
  SDK accepts (exact, lower and upper case) to the *public* member, and whose ``_missing_``
  (which msgspec calls for other values) does the SDK's case-insensitive match or keeps the
  plain ``str``. So known values come out as the public members without any Python code.
- datetimes are read as strings and parsed by the SDK's own parser (msgspec's parser rounds
  fractions beyond microseconds and accepts a few shapes the SDK refuses).
- ``raw`` is hidden from msgspec: a missing field costs an exception inside msgspec.

A generated function per class then finishes each instance: parses the datetimes, wraps
mappings read-only, attaches a :class:`LazyRaw` and turns the wire instance into the public
class (``__class__`` assignment; the subclass adds no slots).

Whatever this path does not accept (a wrong type, a bad datetime, invalid UTF-8, an unknown
envelope) makes the functions return ``None``, and the caller takes the cattrs path, which
accepts it or raises its detailed error. msgspec's JSON is a subset of ``json.loads``'s with
equal values wherever both accept, so the two paths build equal models.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ..models._raw import LazyRaw, RawSource
from .codegen import split_optional
from .values import enum_lookup, from_zulu, parse_datetime

if TYPE_CHECKING:
    import msgspec

__all__ = ["decode_object", "decode_page", "supports"]

T = TypeVar("T")
Finish = Callable[[list[Any], RawSource], None]
FinishOne = Callable[[Any, bytes], None]

# A list parser normally sees one envelope key; a few more are cached, no more (the keys come
# from the server).
_MAX_PAGE_KEYS = 8


# -- public entry points -----------------------------------------------------------------------


def decode_object(body: bytes, cls: type[T]) -> T | None:
    """``cls`` built from a JSON object body, or ``None`` to say "use the cattrs path"."""
    # Inlined for the fetch path: the cached codec without a call to ``_codec``, ``isascii``
    # before ``_is_utf8`` (the usual body needs no call), and no ``typing.cast`` call.
    codec = _codecs.get(cls, _UNBUILT)
    if codec is _UNBUILT:
        codec = _codec(cls)
    if codec is None or not (body.isascii() or _is_utf8(body)):
        return None
    model: T | None = codec.decode_object(body)
    return model


def decode_page(body: bytes, cls: type[T]) -> tuple[list[T], dict[str, Any]] | None:
    """The items (as ``cls``) and ``meta`` of a list page body, or ``None`` (cattrs path)."""
    codec = _codec(cls)
    if codec is None or not _is_utf8(body):
        return None
    return codec.decode_page(body)


def supports(cls: type[Any]) -> bool:
    """Whether ``cls`` has a fast path (models with nested models do not)."""
    return _codec(cls) is not None


def _is_utf8(body: bytes) -> bool:
    # msgspec does not check the UTF-8 of values it skips (unknown keys), which ``json.loads``
    # refuses; an ASCII body (the usual case) is checked in one fast pass.
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- the codec of one class --------------------------------------------------------------------


class _Codec:
    """msgspec decoders for one model class: single objects and list pages per envelope key."""

    def __init__(self, ms: Any, wire: type[Any], finish: Finish, finish_one: FinishOne) -> None:
        self._ms = ms
        self._wire = wire
        self._finish = finish
        self._finish_one = finish_one
        self._decode = ms.json.Decoder(wire).decode
        self._pages: dict[str, msgspec.json.Decoder[Any]] = {}
        self._last_key: str | None = None

    def decode_object(self, body: bytes) -> Any:
        try:
            obj = self._decode(body)
            self._finish_one(obj, body)
        except Exception:
            return None
        return obj

    def decode_page(self, body: bytes) -> tuple[list[Any], dict[str, Any]] | None:
        key = self._last_key
        if key is not None:
            result = self._decode_page(body, key)
            if result is not None:
                return result
        # First page, or the key changed: read ``meta.key`` alone (msgspec skips the items).
        try:
            probed: str = _probe(self._ms).decode(body).meta.key
        except Exception:
            return None
        if probed == key:
            return None  # the key was right; the page itself does not fit
        result = self._decode_page(body, probed)
        if result is not None:
            self._last_key = probed
        return result

    def _decode_page(self, body: bytes, key: str) -> tuple[list[Any], dict[str, Any]] | None:
        decoder = self._pages.get(key)
        if decoder is None:
            if key == "meta" or len(self._pages) >= _MAX_PAGE_KEYS:
                return None
            ms = self._ms
            envelope = ms.defstruct(
                "Page",
                [("items", list[self._wire]), ("meta", dict[str, Any])],  # type: ignore[name-defined]
                rename={"items": key},
            )
            decoder = self._pages[key] = ms.json.Decoder(envelope)
        try:
            page = decoder.decode(body)
            meta: dict[str, Any] = page.meta
            if meta.get("key") != key:
                return None
            items: list[Any] = page.items
            self._finish(items, RawSource(body, key))
        except Exception:
            return None
        return items, meta


_codecs: dict[type[Any], _Codec | None] = {}
_UNBUILT: Any = object()  # not in ``_codecs`` yet
_probes: list[Any] = []


def _codec(cls: type[Any]) -> _Codec | None:
    try:
        return _codecs[cls]
    except KeyError:
        pass
    try:
        codec = _build(cls)
    except Exception:
        # A msgspec release that refuses one of these types costs speed, never a parse.
        codec = None
    _codecs[cls] = codec
    return codec


def _probe(ms: Any) -> Any:
    """A decoder for ``{"meta": {"key": ...}}`` that skips everything else."""
    if not _probes:
        key = ms.defstruct("PageKey", [("key", str)])
        _probes.append(ms.json.Decoder(ms.defstruct("PageProbe", [("meta", key)])))
    return _probes[0]


def _build(cls: type[Any]) -> _Codec | None:
    try:
        # Imported on first use: optional at run time, and about 20 ms to import.
        import msgspec
    except ImportError:
        return None
    plans = _plans(cls)
    if plans is None:
        return None
    annotations = {field.name: wire for field, wire, _ in plans}
    wire = type(
        f"_Wire{cls.__name__}",
        (cls,),
        {
            "__slots__": (),
            "__module__": __name__,
            "__annotations__": annotations,
            # msgspec reads the fields from here; ``raw`` is left out (set by ``finish``).
            "__attrs_attrs__": tuple(field for field, _, _ in plans),
        },
    )
    finishers = _compile_finish(cls, plans)
    if finishers is None:
        return None
    return _Codec(msgspec, wire, *finishers)


# -- field plans -------------------------------------------------------------------------------

# How ``finish`` treats a field after msgspec: nothing, parse the string, or wrap the dict.
_KEEP, _DATETIME, _MAP = "keep", "datetime", "map"
Plan = tuple["attrs.Attribute[Any]", Any, str]


def _plans(cls: type[Any]) -> list[Plan] | None:
    """(field, type msgspec decodes, finishing step) for every field but ``raw``; ``None``
    when some field has no msgspec shape or ``__init__`` would do more than set fields."""
    if not attrs.has(cls) or hasattr(cls, "__attrs_post_init__"):
        return None
    if hasattr(cls, "__attrs_pre_init__"):
        return None
    hints = typing.get_type_hints(cls)
    plans: list[Plan] = []
    for field in attrs.fields(cls):
        if field.name == "raw":
            continue
        if field.validator is not None or field.converter is not None or not field.init:
            return None
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return None
        core, nullable = split_optional(hints[field.name])
        wire, step = _wire_type(core)
        if wire is None:
            return None
        plans.append((field, wire | None if nullable else wire, step))
    return plans


def _wire_type(tp: Any) -> tuple[Any, str]:
    """The msgspec type for a non-null value of ``tp`` and its finishing step."""
    if tp in (str, int, bool):
        return tp, _KEEP
    if tp is datetime:
        return str, _DATETIME
    public = _enum_or_str(tp)
    if public is not None:
        return _wire_enum(public), _KEEP
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Mapping and args == (str, str):
        return dict[str, str], _MAP
    if origin is Mapping and args == (str, Any):
        return dict[str, Any], _MAP
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item, step = _wire_type(args[0])
        if item is not None and step == _KEEP:
            return types.GenericAlias(tuple, (item, ...)), _KEEP
    return None, _KEEP


def _enum_or_str(tp: Any) -> type[enum.Enum] | None:
    """``RoomStatus`` for ``RoomStatus | str`` when every value is a string, else ``None``."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    parts = typing.get_args(tp)
    if len(parts) != 2 or str not in parts:
        return None
    other = parts[0] if parts[1] is str else parts[1]
    if not (isinstance(other, type) and issubclass(other, enum.Enum)):
        return None
    if not all(isinstance(member.value, str) for member in other):
        return None
    return other


_wire_enums: dict[type[enum.Enum], type[enum.Enum] | None] = {}


def _wire_enum(public: type[enum.Enum]) -> type[enum.Enum] | None:
    """An enum msgspec decodes ``public | str`` with, exactly as the cattrs hook does."""
    if public in _wire_enums:
        return _wire_enums[public]
    convert = enum_lookup(public, tolerant=True)
    wire: Any = typing.cast(
        Any, enum.Enum(f"_Wire{public.__name__}", [(m.name, m.value) for m in public], type=str)
    )
    # msgspec builds its value lookup from ``_value2member_map_`` and returns what it maps
    # to, and it returns whatever ``_missing_`` gives for other strings (errors are cleared).
    spellings = {s for m in public for s in (m.value, m.value.lower(), m.value.upper())}
    wire._value2member_map_ = {s: convert(s) for s in spellings}
    wire._missing_ = classmethod(lambda _cls, value: convert(value))
    checked = wire if _wire_enum_works(wire, convert, spellings) else None
    _wire_enums[public] = checked
    return checked


def _wire_enum_works(wire: Any, convert: Callable[[Any], Any], spellings: set[str]) -> bool:
    # Both behaviours above are msgspec internals (stable since 0.18): check them once.
    import msgspec

    decoder = msgspec.json.Decoder(wire)
    mixed = [s[:1].lower() + s[1:].upper() for s in spellings]
    for value in [*spellings, *mixed, "some-value-added-later"]:
        expected = convert(value)
        got = decoder.decode(msgspec.json.encode(value))
        if got is not expected and not (type(got) is str and got == expected):
            return False
    return True


# -- the finishing function --------------------------------------------------------------------


def _slot(cls: type[Any], name: str) -> Any:
    slot = inspect.getattr_static(cls, name, None)
    return slot if isinstance(slot, types.MemberDescriptorType) else None


def _compile_finish(cls: type[Any], plans: list[Plan]) -> tuple[Finish, FinishOne] | None:
    """Compile ``finish(items, source)``, which completes msgspec's wire instances in place,
    and ``finish_one(obj, body)``, the same for the single object of a body.

    Per item: datetimes parsed as ``parse_datetime`` does (its common branch inlined), mappings
    wrapped read-only, ``raw`` set to a ``LazyRaw`` (built through its slots), and the class
    switched to ``cls``. ``finish_one`` has no list or loop, and its ``LazyRaw`` holds the body
    itself instead of a ``RawSource``: a fetch pays for one object only. Any exception means
    the body takes the cattrs path.
    """
    raw_slot = _slot(cls, "raw")
    if raw_slot is None:
        return None
    ns: dict[str, Any] = {
        "_cls": cls,
        "_proxy": types.MappingProxyType,
        "_from_zulu": from_zulu,
        "_parse": parse_datetime,
        "_new": object.__new__,
        "_LazyRaw": LazyRaw,
        "_raw_source": _slot(LazyRaw, "_source").__set__,
        "_raw_index": _slot(LazyRaw, "_index").__set__,
        "_set_raw": raw_slot.__set__,
        "_set_class": object.__setattr__,
    }
    item: list[str] = []  # the statements that finish one instance ``o`` but its ``raw``
    for n, (field, _, step) in enumerate(plans):
        if step == _KEEP:
            continue
        slot = _slot(cls, field.name)
        if slot is None:
            return None
        ns[f"_s{n}"] = slot.__set__
        item += [f"v = o.{field.name}", "if v is not None:"]
        if step == _MAP:
            item.append(f"    _s{n}(o, _proxy(v))")
        else:
            item += [
                "    if v[19:] == 'Z':",  # 20 characters ending in Z, without a len() call
                "        try:",
                "            v = _from_zulu(v)",
                "        except ValueError:",
                "            v = _parse(v)",
                "    else:",
                "        v = _parse(v)",
                f"    _s{n}(o, v)",
            ]
    tail = ["_set_raw(o, r)", "_set_class(o, '__class__', _cls)"]
    lines = ["def finish(items, source):", "    for i, o in enumerate(items):"]
    lines += [" " * 8 + line for line in item]
    lines += [" " * 8 + line for line in ("r = _new(_LazyRaw)", "_raw_source(r, source)")]
    lines += [" " * 8 + line for line in ("_raw_index(r, i)", *tail)]
    # A single object's LazyRaw reads the body itself: no RawSource, no index.
    lines += ["def finish_one(o, body):"]
    lines += [" " * 4 + line for line in item]
    lines += [" " * 4 + line for line in ("r = _new(_LazyRaw)", "_raw_source(r, body)", *tail)]
    # The source is built from the model's own field names, never from a payload.
    exec(compile("\n".join(lines), f"<twvideo_async finish {cls.__qualname__}>", "exec"), ns)  # noqa: S102
    return typing.cast(Finish, ns["finish"]), typing.cast(FinishOne, ns["finish_one"])
