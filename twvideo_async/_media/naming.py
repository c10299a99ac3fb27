"""Where a download goes: the target (a file or a directory), safe file names, and the name
of media saved into a directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import InvalidRequestError

_EXTENSIONS = {
    "audio/x-matroska": ".mka",
    "video/x-matroska": ".mkv",
    "video/mp4": ".mp4",
    "audio/mp4": ".mp4",
    "video/webm": ".webm",
    "audio/webm": ".webm",
}


def existing_size(path: Path) -> int | None:
    """Size of a file already at the final path, None if there is none."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; pass a file path or a directory target")
    return stat.st_size


def check_file_name(name: str) -> str:
    """A plain file name: no directory parts, nothing that escapes the target directory."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or (os.altsep is not None and os.altsep in name)
    ):
        raise InvalidRequestError(
            f"file name {name!r} must be a plain name such as 'RT....mka', without directories"
        )
    return name


def resolve_target(
    target: str | os.PathLike[str], default_name: str | None
) -> tuple[Path, str | None]:
    """``(directory, name)`` for a target; creates missing directories.

    A directory target (existing, or written with a trailing slash) gets ``default_name``,
    which may be None: the name then comes from the storage answer (:func:`name_from_response`).
    """
    path = Path(target)
    text = os.fspath(target)
    if path.is_dir() or text.endswith(("/", os.sep)):
        path.mkdir(parents=True, exist_ok=True)
        return path, None if default_name is None else check_file_name(default_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent, check_file_name(path.name)


def name_from_response(headers: Mapping[str, str], sid: str) -> str:
    """A file name for media saved without one: the SID plus the extension of the storage
    ``Content-Type`` (``RT....mka``, ``CJ....mp4``; no extension for an unknown type).

    Never storage's ``Content-Disposition`` filename: storage (or anyone who can set the
    object's metadata) would choose which file in the directory gets replaced.
    """
    content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return sid + _EXTENSIONS.get(content_type, "")


def possible_names(sid: str) -> list[str]:
    """Every name :func:`name_from_response` can give ``sid``'s media, the likeliest first."""
    return [sid + ext for ext in dict.fromkeys(_EXTENSIONS.values())] + [sid]
