"""Files and integrity for downloads: the temporary ``.part`` file, checksums, targets.

Checksum policy (:func:`expected_md5`): storage's ``Content-MD5``, or an S3 ``ETag`` that is a
plain MD5, is verified over the whole file; otherwise only the byte count is. The bytes also get
a SHA-256, which results report so callers can record or compare it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from .errors import InvalidRequestError

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_HEX_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_FILENAME = re.compile(r'\bfilename="?([^";]+)"?', re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_EXTENSIONS = {
    "audio/x-matroska": ".mka",
    "video/x-matroska": ".mkv",
    "video/mp4": ".mp4",
    "audio/mp4": ".mp4",
    "video/webm": ".webm",
    "audio/webm": ".webm",
}


def expected_md5(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """The MD5 (hex) storage vouches for in a full (200) answer, and where it came from.

    * ``Content-MD5`` (base64 of 16 bytes) is always used.
    * An ``ETag`` is used only when it is strong, exactly 32 hex digits (multipart uploads have
      a ``-N`` suffix), comes from S3 (``x-amz-request-id`` or ``Server: AmazonS3``: other
      stores' ETags are not MD5s) and the object is not SSE-KMS/SSE-C encrypted (S3's ETag is
      then not the MD5 of the bytes).
    * Otherwise only the byte count is checked.
    """
    raw = headers.get("Content-MD5")
    if raw:
        try:
            digest = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) == 16:
            return digest.hex(), "Content-MD5"
    etag = headers.get("ETag", "")
    is_s3 = "x-amz-request-id" in headers or headers.get("Server", "").startswith("AmazonS3")
    encrypted = headers.get("x-amz-server-side-encryption", "").startswith("aws:kms") or (
        "x-amz-server-side-encryption-customer-algorithm" in headers
    )
    value = etag.strip('"')
    if is_s3 and not encrypted and not etag.startswith("W/") and _HEX_MD5.fullmatch(value):
        return value.lower(), "ETag"
    return None


def parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    """``(start, total)`` from ``bytes START-END/TOTAL``; None if absent or malformed."""
    match = _CONTENT_RANGE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    total = match.group(3)
    return int(match.group(1)), None if total == "*" else int(total)


class PartFile:
    """The temporary file beside the final path, with running SHA-256 (and MD5 if needed).

    :meth:`write` runs in a worker thread; a lock keeps :meth:`discard` from closing the file
    under a write that a cancellation left running.
    """

    def __init__(self, final: Path, *, md5: bool) -> None:
        self.final = final
        self.path = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
        self._file: IO[bytes] = open(self.path, "xb")  # noqa: SIM115 - closed by finish/discard
        self._lock = threading.Lock()
        self.size = 0
        self.committed = False
        self._start_hashes(md5)

    def _start_hashes(self, md5: bool) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False) if md5 else None

    def write(self, chunks: list[bytes]) -> None:
        with self._lock:
            for chunk in chunks:
                self._file.write(chunk)
                # hashlib releases the GIL for large buffers: hashing here keeps it off the loop.
                self._sha256.update(chunk)
                if self._md5 is not None:
                    self._md5.update(chunk)
                self.size += len(chunk)

    def reset(self, *, md5: bool) -> None:
        """Back to an empty file (storage ignored Range, or the bytes failed a check)."""
        with self._lock:
            self._file.seek(0)
            self._file.truncate()
            self.size = 0
            self._start_hashes(md5)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str | None:
        return None if self._md5 is None else self._md5.hexdigest()

    def finish(self, fsync: bool) -> None:
        with self._lock:
            self._file.flush()
            if fsync:
                os.fsync(self._file.fileno())
            self._file.close()

    def commit(self) -> None:
        """Rename onto the final path: atomic, so readers see the old file or the new one."""
        os.replace(self.path, self.final)
        self.committed = True

    def discard(self) -> None:
        with self._lock:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


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
    """A file name for media saved without one: storage's ``Content-Disposition`` filename
    (Twilio's default is ``RT....mka`` / ``CJ....mp4``) if it is a plain, safe name, else the
    SID plus the extension of the ``Content-Type``."""
    match = _FILENAME.search(headers.get("Content-Disposition", ""))
    if match and _SAFE_NAME.fullmatch(match.group(1)):
        return match.group(1)
    content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return sid + _EXTENSIONS.get(content_type, "")
