"""aiohttp server helper: a handler decorator that validates Twilio's signature.

::

    @twilio_webhook(os.environ["TWILIO_AUTH_TOKEN"])
    async def on_room_event(request: web.Request, event: VideoEvent) -> web.Response:
        ...
        return web.Response(status=204)
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiohttp import web

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

__all__ = ["aiohttp_public_url", "twilio_webhook"]

EventHandler: TypeAlias = Callable[[web.Request, VideoEvent], Awaitable[web.StreamResponse]]
RequestHandler: TypeAlias = Callable[[web.Request], Awaitable[web.StreamResponse]]


def aiohttp_public_url(
    request: web.BaseRequest,
    *,
    trust_forwarded: TrustForwarded = False,
    public_base_url: str | None = None,
) -> str:
    """The URL Twilio requested (and signed) for ``request``; see :func:`twilio_webhook`."""
    return public_url(
        scheme=request.scheme,
        host=request.host,
        path_qs=request.raw_path,
        headers=request.headers,
        trust_forwarded=trust_forwarded,
        public_base_url=public_base_url,
    )


def twilio_webhook(
    auth_token: str | RequestValidator,
    *,
    trust_forwarded: TrustForwarded = False,
    public_base_url: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Callable[[EventHandler], RequestHandler]:
    """Decorate ``async def handler(request, event)`` into an aiohttp handler that only runs for
    requests Twilio signed.

    The wrapper rebuilds the public URL, checks ``X-Twilio-Signature`` against the form
    parameters (or the query string for GET callbacks), parses the typed event and calls the
    handler with it. It answers 403 to a missing or wrong signature (also to a request naming a
    SharedKey the validator lacks) and 400 to a signed but malformed payload.

    Args:
        auth_token: the account's primary **Auth Token** (not an API key secret), or a
            :class:`RequestValidator` (e.g. one configured with SharedKeys).
        trust_forwarded: behind a TLS-terminating proxy, take scheme and host from the header
            family the proxy sets: ``True`` or ``"x-forwarded"`` for ``X-Forwarded-Proto``/
            ``-Host``/``-Port`` (``Forwarded`` is then ignored), ``"forwarded"`` for RFC 7239
            ``Forwarded`` (``X-Forwarded-*`` ignored). Enable only when a proxy you control
            overwrites that family.
        public_base_url: the public origin (and any prefix the proxy strips), e.g.
            ``"https://hooks.example.com"``; the request's raw path and query are appended.
            Wins over ``trust_forwarded``.
        base_url: joined with relative URIs in events (``media_url``, ...).
    """
    validator = make_validator(auth_token)
    check_public_base_url(public_base_url)
    forwarded_family(trust_forwarded)

    def decorate(handler: EventHandler) -> RequestHandler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            url = aiohttp_public_url(
                request, trust_forwarded=trust_forwarded, public_base_url=public_base_url
            )
            body = await request.read() if request.can_read_body else b""
            try:
                event = authenticate(
                    validator,
                    url=url,
                    content_type=request.content_type,
                    body=body,
                    query=list(request.query.items()),
                    headers=request.headers,
                    base_url=base_url,
                )
            except InvalidSignature as exc:
                logger.warning("rejected webhook %s %s: %s", request.method, request.path, exc)
                return web.Response(status=403, text="Forbidden: invalid Twilio signature")
            except WebhookConfigurationError as exc:
                logger.error("cannot validate webhook %s: %s", request.path, exc)
                return web.Response(status=500, text="Webhook validator misconfigured")
            except WebhookPayloadError as exc:
                logger.warning("malformed webhook %s: %s", request.path, exc)
                return web.Response(status=400, text=f"Bad Request: {exc}")
            return await handler(request, event)

        return wrapper

    return decorate
