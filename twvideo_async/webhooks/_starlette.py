"""Starlette / FastAPI helper: a dependency that validates Twilio's signature.

Starlette is an optional extra (``pip install 'twvideo_async[starlette]'``); this module is
imported only when :class:`TwilioWebhook` is first used.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of
# ``TwilioWebhook.__call__`` at runtime to inject the Request.

import re
from collections.abc import Awaitable, Callable
from typing import TypeAlias
from urllib.parse import quote

try:
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
except ImportError as exc:
    raise ImportError(
        "twvideo_async.webhooks.TwilioWebhook needs Starlette (FastAPI includes it): "
        "pip install 'twvideo_async[starlette]'"
    ) from exc

from ._errors import InvalidSignature, WebhookConfigurationError, WebhookPayloadError
from ._fields import DEFAULT_BASE_URL
from ._http import (
    TrustForwarded,
    authenticate,
    check_public_base_url,
    forwarded_family,
    logger,
    make_validator,
    public_url,
)
from ._signature import RequestValidator
from .events import VideoEvent

__all__ = ["TwilioWebhook"]

EventEndpoint: TypeAlias = Callable[[Request, VideoEvent], Awaitable[Response]]
Endpoint: TypeAlias = Callable[[Request], Awaitable[Response]]

_DEFAULT_MAX_BODY = 1024 * 1024  # the same default as aiohttp's client_max_size
_LENGTH = re.compile(r"[0-9]{1,19}")


def _path_qs(request: Request) -> str:
    # raw_path is the request target as sent, before any percent-decoding, which is what Twilio
    # signed; fall back to re-quoting the decoded path for servers that do not provide it.
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        path = raw.decode("latin-1").split("?", 1)[0]
    else:
        path = quote(request.scope.get("root_path", "") + request.scope["path"])
    query = request.scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


class TwilioWebhook:
    """Validates Twilio's signature on a Starlette/FastAPI request and returns the typed event.

    Use an instance as a FastAPI dependency (``event: VideoEvent = Depends(webhook)``), await it
    in a Starlette endpoint (``event = await webhook(request)``), or wrap
    ``async def endpoint(request, event)`` with :meth:`endpoint`.

    It raises ``HTTPException`` 403 for a missing or wrong signature (also for a request naming a
    SharedKey the validator lacks), 400 for a signed but malformed payload and 413 for a body
    over ``max_body_size``. The body stays readable by the endpoint.

    Args:
        auth_token: the account's primary **Auth Token** (not an API key secret), or a
            :class:`RequestValidator`.
        trust_forwarded: take scheme and host from the header family the proxy sets: ``True``
            or ``"x-forwarded"`` for ``X-Forwarded-Proto``/``-Host``/``-Port`` (``Forwarded`` is
            then ignored), ``"forwarded"`` for RFC 7239 ``Forwarded`` (``X-Forwarded-*``
            ignored); only behind a proxy you control that overwrites that family.
        public_base_url: the public origin (plus any prefix a proxy strips); wins over
            ``trust_forwarded``.
        base_url: joined with relative URIs in events.
        max_body_size: larger bodies are refused (413) as soon as the declared length or the
            bytes read so far pass it, chunked bodies included (callbacks are a few hundred
            bytes).
    """

    def __init__(
        self,
        auth_token: str | RequestValidator,
        *,
        trust_forwarded: TrustForwarded = False,
        public_base_url: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        max_body_size: int = _DEFAULT_MAX_BODY,
    ) -> None:
        check_public_base_url(public_base_url)
        forwarded_family(trust_forwarded)
        self._validator = make_validator(auth_token)
        self.trust_forwarded = trust_forwarded
        self.public_base_url = public_base_url
        self.base_url = base_url
        self.max_body_size = max_body_size

    def __repr__(self) -> str:
        return (
            f"TwilioWebhook({self._validator!r}, trust_forwarded={self.trust_forwarded}, "
            f"public_base_url={self.public_base_url!r})"
        )

    def public_url(self, request: Request) -> str:
        """The URL Twilio requested (and signed) for ``request``."""
        return public_url(
            scheme=request.url.scheme,
            host=request.headers.get("host") or request.url.netloc,
            path_qs=_path_qs(request),
            headers=request.headers,
            trust_forwarded=self.trust_forwarded,
            public_base_url=self.public_base_url,
        )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.max_body_size
        length = request.headers.get("content-length", "").strip()
        if length and (not _LENGTH.fullmatch(length) or int(length) > limit):
            raise HTTPException(status_code=413, detail="Request body too large")
        # Read incrementally and stop at the limit: a chunked body has no Content-Length, and
        # request.body() would hold all of it in memory before the size could be checked.
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(status_code=413, detail="Request body too large")
            chunks.append(chunk)
        body = b"".join(chunks)
        # Starlette's own cache: the endpoint can still read the body with request.body().
        request._body = body
        return body

    async def __call__(self, request: Request) -> VideoEvent:
        url = self.public_url(request)
        body = await self._read_body(request)
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
        try:
            return authenticate(
                self._validator,
                url=url,
                content_type=content_type,
                body=body,
                query=request.query_params.multi_items(),
                headers=request.headers,
                base_url=self.base_url,
            )
        except InvalidSignature as exc:
            logger.warning("rejected webhook %s %s: %s", request.method, request.url.path, exc)
            raise HTTPException(status_code=403, detail="Invalid Twilio signature") from None
        except WebhookConfigurationError as exc:
            logger.error("cannot validate webhook %s: %s", request.url.path, exc)
            raise HTTPException(status_code=500, detail="Webhook validator misconfigured") from None
        except WebhookPayloadError as exc:
            logger.warning("malformed webhook %s: %s", request.url.path, exc)
            raise HTTPException(status_code=400, detail=str(exc)) from None

    def endpoint(self, handler: EventEndpoint) -> Endpoint:
        """Wrap ``async def handler(request, event)`` into a plain Starlette endpoint."""

        async def wrapper(request: Request) -> Response:
            try:
                event = await self(request)
            except HTTPException as exc:
                return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
            return await handler(request, event)

        wrapper.__name__ = getattr(handler, "__name__", "twilio_webhook")
        wrapper.__doc__ = handler.__doc__
        return wrapper
