"""Signed, expiring storage URLs, in the spirit of S3 pre-signed URLs.

The query carries ``Expires`` (Unix seconds) and ``Signature`` (hex HMAC-SHA256 over the object
path, the expiry and the requested ``response-content-disposition``), so a client cannot extend a
URL's life or change its disposition without the storage origin noticing.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

DISPOSITION_PARAM = "response-content-disposition"


class MediaSigner:
    """Signs and verifies storage URLs with one secret per emulator."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def signature(self, path: str, expires: int, disposition: str | None) -> str:
        message = f"{path}\n{expires}\n{disposition or ''}".encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed_query(self, path: str, expires: int, disposition: str | None) -> str:
        """The query string (without ``?``) that authorises a GET of ``path`` until ``expires``."""
        pairs: list[tuple[str, str]] = [("Expires", str(expires))]
        if disposition:
            pairs.append((DISPOSITION_PARAM, disposition))
        pairs.append(("Signature", self.signature(path, expires, disposition)))
        return urlencode(pairs)

    def verify(self, path: str, expires: int, disposition: str | None, signature: str) -> bool:
        # compare_digest refuses str with non-ASCII characters (TypeError); compare bytes, and
        # a lone surrogate decoded from the URL must not make encoding fail either.
        expected = self.signature(path, expires, disposition)
        given = signature.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(expected.encode(), given)
