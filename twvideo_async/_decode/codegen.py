"""Generated structuring functions for model classes: the fast path of :mod:`.converter`.

For each model class one Python function is compiled with every field check inlined, so that
structuring a list page does not pay a hook call per field. The function is deliberately
narrow: it accepts only exactly-typed JSON values (``str``, ``int``, ``bool``, ``list``,
``dict``) and on any surprise hands the payload to ``slow`` (cattrs' own checked function),
which accepts it or raises cattrs' detailed error. So the fast path never accepts anything the
slow path would refuse.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = [
    "Hook",
    "Plan",
    "fast_any_map",
    "fast_float",
    "fast_str_map",
    "fast_tuple",
    "generate",
    "split_optional",
]

Hook = Callable[[Any, Any], Any]
# How a non-null field value is handled: a class means "must be exactly this class" (inlined
# as an identity check), a callable converts or raises, ``None`` means "call the slow hook".
Plan = type[Any] | Callable[[Any], Any] | None

_NONE = type(None)


def fast_float(value: Any) -> float:
    """Accept a JSON float or integer as ``float``."""
    if value.__class__ is float or value.__class__ is int:
        return float(value)
    raise TypeError


def fast_str_map(value: Any) -> Mapping[str, str]:
    """Accept a dict of strings, read-only."""
    if value.__class__ is not dict:
        raise TypeError
    for key, item in value.items():
        if key.__class__ is not str or item.__class__ is not str:
            raise TypeError
    return types.MappingProxyType(value)


def fast_any_map(value: Any) -> Mapping[str, Any]:
    """Accept a dict with string keys and any values, read-only."""
    if value.__class__ is not dict:
        raise TypeError
    for key in value:
        if key.__class__ is not str:
            raise TypeError
    return types.MappingProxyType(value)


def fast_tuple(item: type[Any] | Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    """Accept a list whose items pass ``item`` (a plan), as a tuple."""
    if isinstance(item, type):
        exact_type = item

        def exact(value: Any) -> tuple[Any, ...]:
            if value.__class__ is not list:
                raise TypeError
            for x in value:
                if x.__class__ is not exact_type:
                    raise TypeError
            return tuple(value)

        return exact

    convert = item

    def converted(value: Any) -> tuple[Any, ...]:
        if value.__class__ is not list:
            raise TypeError
        return tuple([convert(x) for x in value])

    return converted


def _constructor(cls: type[Any], ns: dict[str, Any], args: list[tuple[str, str]]) -> list[str]:
    """Source lines that build the instance from the checked values.

    A frozen attrs ``__init__`` goes through ``object.__setattr__`` by name for every field;
    writing each slot through its descriptor does the same work at about half the cost. The
    bypass is taken only when ``__init__`` would do nothing more (no validators, converters or
    post-init hook); otherwise the class is called normally.
    """
    plain = not hasattr(cls, "__attrs_post_init__") and all(
        f.validator is None and f.converter is None for f in attrs.fields(cls)
    )
    slots = [inspect.getattr_static(cls, name, None) for name, _ in args]
    if not plain or not all(isinstance(s, types.MemberDescriptorType) for s in slots):
        return [f"return _cls({', '.join(f'{name}={var}' for name, var in args)})"]
    ns["_new"] = object.__new__
    lines = ["o = _new(_cls)"]
    for i, ((_, var), slot) in enumerate(zip(args, slots, strict=True)):
        ns[f"_s{i}"] = typing.cast(Any, slot).__set__
        lines.append(f"_s{i}(o, {var})")
    lines.append("return o")
    return lines


def split_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return tp, False
    parts = typing.get_args(tp)
    if _NONE not in parts:
        return tp, False
    rest = tuple(p for p in parts if p is not _NONE)
    return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007


def generate(
    cls: type[Any],
    *,
    plan: Callable[[Any], Plan],
    hook: Callable[[Any], Hook],
    slow: Callable[[Any], Any],
    forbid_extra_keys: bool,
) -> Hook:
    """Compile ``structure(data, _=None)`` for the attrs class ``cls``.

    ``plan(type)`` says how to check a non-null value of a field type; ``hook(type)`` gives the
    converter's hook for types without a plan; ``slow(data)`` is the checked fallback. The
    ``raw`` field receives the payload itself, read-only.
    """
    attrs.resolve_types(cls)
    ns: dict[str, Any] = {"_cls": cls, "_slow": slow, "_proxy": types.MappingProxyType}
    body: list[str] = []
    args: list[tuple[str, str]] = []
    fields = [f for f in attrs.fields(cls) if f.name != "raw"]
    if forbid_extra_keys:
        ns["_allowed"] = frozenset(f.name for f in fields)
        body.append("if not d.keys() <= _allowed: raise KeyError")
    for i, field in enumerate(fields):
        var = f"a{i}"
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            # No model uses factories, so they are not inlined: always take the slow path.
            def slow_only(data: Any, _: Any = None) -> Any:
                return slow(data)

            return slow_only
        if field.default is attrs.NOTHING:
            body.append(f"{var} = d[{field.name!r}]")
        else:
            # A default is always a valid value of its field, so it goes through the check.
            ns[f"_d{i}"] = field.default
            body.append(f"{var} = g({field.name!r}, _d{i})")
        args.append((field.name, var))
        core, nullable = split_optional(field.type)
        how = plan(core)
        if how is None:
            ns[f"_h{i}"] = hook(field.type)
            ns[f"_t{i}"] = field.type
            body.append(f"{var} = _h{i}({var}, _t{i})")
        elif isinstance(how, type):
            ns[f"_f{i}"] = how
            guard = f"{var} is not None and " if nullable else ""
            body.append(f"if {guard}{var}.__class__ is not _f{i}: raise TypeError")
        else:
            ns[f"_f{i}"] = how
            guard = f"if {var} is not None: " if nullable else ""
            body.append(f"{guard}{var} = _f{i}({var})")
    args.append(("raw", "_proxy(d)"))
    body.extend(_constructor(cls, ns, args))
    source = "\n".join(
        [
            "def structure(d, _=None):",
            "    try:",
            "        g = d.get",
            *(f"        {line}" for line in body),
            "    except Exception:",
            "        return _slow(d)",
        ]
    )
    # The source is built from the model's own field names and types, never from a payload.
    exec(compile(source, f"<twvideo_async structure {cls.__qualname__}>", "exec"), ns)  # noqa: S102
    return typing.cast(Hook, ns["structure"])
