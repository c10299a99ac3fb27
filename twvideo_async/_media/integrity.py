"""What storage vouches for, and how a resumed answer must line up: the expected MD5 of a
full answer and the ``Content-Range`` of a partial one.

Checksum policy (:func:`expected_md5`): storage's ``Content-MD5``, or an S3 ``ETag`` that is a
plain MD5, is verified over the whole file; otherwise only the byte count is. The bytes also get
a SHA-256 (see ``partfile``), which results report so callers can record or compare it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

# ASCII digits only (``\d`` also takes other scripts' digits), at most 18 so int() is cheap.
_CONTENT_RANGE = re.compile(r"^bytes ([0-9]{1,18})-([0-9]{1,18})/([0-9]{1,18}|\*)$")
_HEX_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


class Mismatch(Exception):
    """The bytes on disk cannot be kept or extended: the file starts again from zero."""


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
