"""The ``VideoLayout`` region of a composition, as sent in requests, and resolutions.

Responses echo layouts with unused properties as ``0`` (which a request may not send), so
``Composition.video_layout`` stays a plain mapping; this model is for building requests and is
checked against Twilio's documented limits when created.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..errors import InvalidRequestError

__all__ = ["MIN_REGION_SIDE", "Region", "parse_resolution"]


def _plain(value: Any) -> Any:
    # Accept the SDK's str enums wherever a wire string is expected.
    return value.value if isinstance(value, enum.Enum) else value


_RESOLUTION = re.compile(r"([0-9]+)x([0-9]+)")
MIN_REGION_SIDE = 16
_MAX_SIDE, _MAX_PIXELS = 1280, 921_600
_REUSE = ("none", "show_oldest", "show_newest")


def parse_resolution(resolution: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``, checked against Twilio's limits.

    Width and height must be 16 to 1280 and their product at most 921,600 (e.g. 1280x720 or
    1024x768 fit, 1280x960 does not).
    """
    match = _RESOLUTION.fullmatch(resolution) if isinstance(resolution, str) else None
    if match is None:
        raise InvalidRequestError(
            f"resolution must look like '1280x720' (width x height), got {resolution!r}"
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_REGION_SIDE <= width <= _MAX_SIDE and MIN_REGION_SIDE <= height <= _MAX_SIDE):
        raise InvalidRequestError(
            f"resolution {resolution!r}: width and height must be between 16 and 1280"
        )
    if width * height > _MAX_PIXELS:
        raise InvalidRequestError(
            f"resolution {resolution!r} has {width * height} pixels; Twilio allows at most "
            f"{_MAX_PIXELS} (e.g. 1280x720)"
        )
    return width, height


def _sources(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidRequestError(
            f"{name} must be a list of track names or SIDs (wildcards allowed), "
            f"e.g. ['*'], got {value!r}"
        )
    out = tuple(value)
    if not all(isinstance(s, str) and s for s in out):
        raise InvalidRequestError(f"{name} entries must be non-empty strings, got {out!r}")
    return out


def _video_sources(value: Any) -> tuple[str, ...]:
    return _sources("video_sources", value)


def _video_sources_excluded(value: Any) -> tuple[str, ...]:
    return _sources("video_sources_excluded", value)


def _cells(value: Any) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidRequestError(
            f"cells_excluded must be a list of cell indices (integers), got {value!r}"
        )
    return tuple(value)


def _check_int(name: str, value: Any, low: int, high: int | None) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestError(f"region {name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise InvalidRequestError(f"region {name} must be {bounds}, got {value}")


@attrs.frozen(kw_only=True)
class Region:
    """One named region of a composition's ``VideoLayout``; checked when created.

    Only ``video_sources`` is required. Unset properties are left to Twilio's defaults:
    position 0, size the rest of the canvas, grid as square as possible, ``reuse`` of
    ``show_oldest``.
    """

    video_sources: tuple[str, ...] = attrs.field(converter=_video_sources)
    video_sources_excluded: tuple[str, ...] = attrs.field(
        default=(), converter=_video_sources_excluded
    )
    x_pos: int | None = None
    y_pos: int | None = None
    z_pos: int | None = None
    width: int | None = None
    height: int | None = None
    max_columns: int | None = None
    max_rows: int | None = None
    cells_excluded: tuple[int, ...] = attrs.field(default=(), converter=_cells)
    reuse: str | None = attrs.field(default=None, converter=_plain)

    def __attrs_post_init__(self) -> None:
        if not self.video_sources:
            raise InvalidRequestError(
                "region video_sources cannot be empty; pass e.g. ['*'] for every video track"
            )
        _check_int("x_pos", self.x_pos, 0, None)
        _check_int("y_pos", self.y_pos, 0, None)
        _check_int("z_pos", self.z_pos, -99, 99)
        _check_int("width", self.width, MIN_REGION_SIDE, None)
        _check_int("height", self.height, MIN_REGION_SIDE, None)
        _check_int("max_columns", self.max_columns, 1, 1000)
        _check_int("max_rows", self.max_rows, 1, 1000)
        for cell in self.cells_excluded:
            _check_int("cells_excluded entry", cell, 0, 999_999)
        if self.reuse is not None and self.reuse not in _REUSE:
            raise InvalidRequestError(
                f"region reuse must be 'none', 'show_oldest' or 'show_newest', got {self.reuse!r}"
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Region:
        """Build a region from a dict of Twilio's region properties."""
        if not isinstance(data, Mapping):
            raise InvalidRequestError(
                f"a region must be a Region or a dict, got {type(data).__name__}; "
                "pass e.g. {'video_sources': ['*']}"
            )
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InvalidRequestError(
                f"unknown region propert{'ies' if len(unknown) > 1 else 'y'} "
                f"{', '.join(map(repr, unknown))}; a region takes {', '.join(sorted(known))}"
            )
        if "video_sources" not in data:
            raise InvalidRequestError("a region needs video_sources, e.g. ['*']")
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The region as Twilio's JSON object, with only the properties that are set."""
        out: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out

    def check_fits(self, name: str, width: int, height: int) -> None:
        """Raise unless the region lies inside a ``width`` x ``height`` canvas."""
        for axis, pos, size, side in (
            ("x", self.x_pos or 0, self.width, width),
            ("y", self.y_pos or 0, self.height, height),
        ):
            room = side - pos
            label = "width" if axis == "x" else "height"
            if size is None and room < MIN_REGION_SIDE:
                raise InvalidRequestError(
                    f"region {name!r}: {axis}_pos {pos} leaves {room}px of the {side}px canvas "
                    f"{label}; regions need at least {MIN_REGION_SIDE}px"
                )
            if size is not None and pos + size > side:
                raise InvalidRequestError(
                    f"region {name!r}: {axis}_pos {pos} + {label} {size} exceeds the canvas "
                    f"{label} {side}; reduce {label} to at most {max(room, 0)}"
                )
