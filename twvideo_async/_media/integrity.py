"""What storage vouches for, and how a resumed answer must line up: the expected MD5 of a
full answer and the ``Content-Range`` and validators of a partial one.

Checksum policy (:func:`expected_md5`): storage's ``Content-MD5``, or an S3 ``ETag`` that is a
plain MD5, is verified over the whole file; otherwise only the byte count is. The bytes also get
a SHA-256 (see ``partfile``), which results report so callers can record or compare it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

import attrs

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


@attrs.frozen
class Expected:
    """What storage said of the object: the first full answer's size (``Content-Length``),
    validators and MD5, or what a killed run recorded of them in its sidecar (``partfile``)."""

    total: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    md5: tuple[str, str] | None = None  # (hex, where storage stated it), checked at commit

    @classmethod
    def of(cls, headers: Mapping[str, str], total: int | None) -> Expected:
        """From a full (200) answer."""
        etag, modified = headers.get("ETag"), headers.get("Last-Modified")
        return cls(total, etag, modified, expected_md5(headers))

    @property
    def if_range(self) -> str | None:
        """``If-Range`` for a resume: the strong ETag, else Last-Modified if there is no ETag
        (a weak ETag may be shared by two versions: nothing to send)."""
        if self.etag is None:
            return self.last_modified
        return None if self.etag.startswith("W/") else self.etag

    @property
    def provable(self) -> bool:
        """Whether a later run could prove storage still serves these bytes: a known size and
        a validator to check (see ``leftover``)."""
        return self.total is not None and self.total > 0 and self.if_range is not None

    def check_resume(self, headers: Mapping[str, str], offset: int, *, strict: bool) -> None:
        """A 206 may only extend the file if it starts where the file ends, on the same object:
        the same total and the same validators (``strict``, for a killed run's file: the
        total must also be stated). Raises :class:`Mismatch` otherwise."""
        parsed = parse_content_range(headers.get("Content-Range"))
        if parsed is None or parsed[0] != offset:
            raise Mismatch(f"storage resumed at another byte than {offset}")
        if strict and parsed[1] is None:
            raise Mismatch("storage did not state the size of the resumed object")
        if self.total is not None and parsed[1] is not None and parsed[1] != self.total:
            raise Mismatch("the object changed size between attempts")
        # The first answer's validators must come back unchanged: a missing one is as good as
        # a different one, and splicing two versions of an object would go unnoticed.
        if self.etag is not None and headers.get("ETag") != self.etag:
            raise Mismatch("the object changed (ETag missing or different) between attempts")
        if self.last_modified is not None and headers.get("Last-Modified") != self.last_modified:
            raise Mismatch(
                "the object changed (Last-Modified missing or different) between attempts"
            )
