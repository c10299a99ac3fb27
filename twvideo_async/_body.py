"""Reading an API response body with a size limit.

``await response.read()`` keeps whatever the server sends, and aiohttp decompresses
``Content-Encoding: gzip`` (or deflate, br, zstd) as it goes: a 1 MiB gzip bomb becomes 2 GiB of
memory. aiohttp bounds how much one network read may inflate to (3.13: 32 MiB per read, then
``DecompressSizeError``; 3.14: flow control decompresses in small steps), but not the body as a
whole. So the body is read incrementally and refused once it passes the client's
``max_response_size``, counted after decompression; a ``Content-Length`` above the limit is
refused before anything is read. The connection of a refused body is closed, not reused.
"""

from __future__ import annotations

import aiohttp
from aiohttp.http_exceptions import PayloadEncodingError

from .errors import APIResponseValidationError


def _too_large(limit: int, what: str) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"the response body {what} the client's max_response_size of {limit:,} bytes; "
        "refused instead of read into memory"
    )


def read_is_bounded(response: aiohttp.ClientResponse, limit: int) -> bool:
    """True when ``await response.read()`` is already bounded by ``limit``: an unencoded body
    with a ``Content-Length`` (aiohttp reads exactly that many bytes). A ``Content-Length``
    past the limit is refused here, before anything is read."""
    length = response.content_length
    if length is None:
        return False
    if length > limit:
        raise _too_large(limit, f"is {length:,} bytes long, past")
    return not response.headers.get("Content-Encoding")


async def read_body(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole (decompressed) body, or ``APIResponseValidationError`` past ``limit``."""
    if read_is_bounded(response, limit):
        return await response.read()
    body = bytearray()
    try:
        async for chunk in response.content.iter_any():
            body += chunk
            if len(body) > limit:
                raise _too_large(limit, "grew past")
    except aiohttp.ClientPayloadError as exc:
        if _is_decoding_error(exc):
            raise APIResponseValidationError(
                "the response body could not be decompressed within aiohttp's limits "
                "(a decompression bomb or a corrupt encoding)"
            ) from None
        raise
    return bytes(body)


def _is_decoding_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):  # a short cause chain: ClientPayloadError from the parser's error
        if seen is None:
            return False
        if isinstance(seen, PayloadEncodingError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
