"""Twilio-shaped error answers: the JSON body ``{"code", "message", "more_info", "status"}``.

The middleware of the API app answers every failure through :func:`answer`, so that an error the
state, a handler or a fault rule raised looks like the real API's.
"""

from __future__ import annotations

import json

from aiohttp import web

from .._twilio_errors import ApiError, GatewayError


def answer(error: ApiError) -> web.Response:
    """The aiohttp response carrying ``error`` (an HTML page for a gateway error)."""
    if isinstance(error, GatewayError):
        text = f"<html><body><h1>{error.status} Gateway Error</h1></body></html>\n"
        return web.Response(status=error.status, text=text, content_type="text/html")
    return error_response(error.status, error.code, error.message, headers=error.headers)


def error_body(status: int, code: int, message: str) -> dict[str, object]:
    """Twilio's error body for ``code``."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def error_response(
    status: int, code: int, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error response in Twilio's format."""
    return web.Response(
        status=status,
        text=json.dumps(error_body(status, code, message)),
        content_type="application/json",
        headers=headers,
    )
