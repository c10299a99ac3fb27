"""The ``VideoLayout`` document and the ``Resolution`` of compositions and hooks: validation and
the defaults the API fills in.

A ``VideoLayout`` is a JSON object of user-named regions; each region needs a non-empty
``video_sources`` list and may position itself on the canvas. The API echoes regions with every
property filled in, so the emulator does the same.
"""

from __future__ import annotations

import re
from typing import Any

from .._twilio_errors import bad_request

REGION_FIELDS = (
    "video_sources",
    "video_sources_excluded",
    "reuse",
    "x_pos",
    "y_pos",
    "z_pos",
    "width",
    "height",
    "max_columns",
    "max_rows",
    "cells_excluded",
)
REUSE = ("none", "show_oldest", "show_newest")
_RESOLUTION = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def region(video_sources: list[str]) -> dict[str, Any]:
    """A region with every property at its default, showing ``video_sources``."""
    return {
        "video_sources": list(video_sources),
        "video_sources_excluded": [],
        "reuse": "show_oldest",
        "x_pos": 0,
        "y_pos": 0,
        "z_pos": 0,
        "width": 0,
        "height": 0,
        "max_columns": 0,
        "max_rows": 0,
        "cells_excluded": [],
    }


def parse_resolution(value: str | None) -> tuple[str, int, int]:
    """Validate ``{w}x{h}``: 16 <= w, h <= 1280 and w * h <= 921,600; default 640x480."""
    text = value or "640x480"
    match = _RESOLUTION.match(text)
    if match is None:
        raise bad_request("Resolution must look like 1280x720 ({width}x{height})")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= 1280 and 16 <= height <= 1280 and width * height <= 921_600):
        raise bad_request(
            "Resolution out of range: 16 <= width, height <= 1280 and width * height <= 921600"
        )
    return text, width, height


def _int(region: str, name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"VideoLayout region {region}: {name} must be an integer {low}..{high}")
    return value


def _strings(region: str, name: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"VideoLayout region {region}: {name} must be a list of strings")
    return list(value)


def parse_layout(layout: Any, width: int, height: int) -> dict[str, Any]:
    """Validate a decoded ``VideoLayout`` and fill each region's defaults."""
    if layout is None:
        return {}
    if not isinstance(layout, dict):
        raise bad_request("VideoLayout must be a JSON object of named regions")
    result: dict[str, Any] = {}
    for name, spec in layout.items():
        if not isinstance(spec, dict):
            raise bad_request(f"VideoLayout region {name} must be a JSON object")
        unknown = sorted(set(spec) - set(REGION_FIELDS))
        if unknown:
            raise bad_request(
                f"VideoLayout region {name}: unknown propert(ies) {', '.join(unknown)}"
            )
        sources = _strings(name, "video_sources", spec.get("video_sources"))
        if not sources:
            raise bad_request(f"VideoLayout region {name}: video_sources must not be empty")
        out = region(sources)
        if "video_sources_excluded" in spec:
            out["video_sources_excluded"] = _strings(
                name, "video_sources_excluded", spec["video_sources_excluded"]
            )
        if "reuse" in spec:
            if spec["reuse"] not in REUSE:
                raise bad_request(f"VideoLayout region {name}: reuse must be one of {REUSE}")
            out["reuse"] = spec["reuse"]
        x = out["x_pos"] = _int(name, "x_pos", spec.get("x_pos", 0), 0, width - 16)
        y = out["y_pos"] = _int(name, "y_pos", spec.get("y_pos", 0), 0, height - 16)
        out["z_pos"] = _int(name, "z_pos", spec.get("z_pos", 0), -99, 99)
        # 0 keeps the default (all the remaining space), as the API's own echoes show.
        for key, limit in (("width", width - x), ("height", height - y)):
            value = spec.get(key, 0)
            if value != 0 or isinstance(value, bool):
                _int(name, key, value, 16, limit)
            out[key] = value
        for key in ("max_columns", "max_rows"):
            value = spec.get(key, 0)
            if value != 0 or isinstance(value, bool):
                _int(name, key, value, 1, 1000)
            out[key] = value
        cells = spec.get("cells_excluded", [])
        if not isinstance(cells, list):
            raise bad_request(f"VideoLayout region {name}: cells_excluded must be a list")
        out["cells_excluded"] = [_int(name, "cells_excluded", c, 0, 999_999) for c in cells]
        result[name] = out
    return result
