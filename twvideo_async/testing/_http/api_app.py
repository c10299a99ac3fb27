"""The API application: routes, authentication, fault injection and Twilio's envelope.

One middleware wraps every request: it assigns ``Twilio-Request-Id`` and
``Twilio-Concurrent-Requests``, checks HTTP Basic credentials (401/20003), applies injected
faults, and turns every failure (unknown path, wrong method, validation error, crash) into
Twilio's JSON error body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from .._twilio_errors import (
    AUTHENTICATE,
    INTERNAL_ERROR,
    INVALID_PARAMETER,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    UNREADABLE_INPUT,
    ApiError,
    bad_request,
)
from . import (
    composition_handlers,
    hook_handlers,
    insights_handlers,
    media_redirect_handlers,
    participant_handlers,
    recording_handlers,
    room_handlers,
    storage_settings_handlers,
    transcription_handlers,
)
from .error_answers import answer, error_response
from .handler_context import CONTEXT, ApiContext

logger = logging.getLogger("twvideo_async.testing")


def _authorized(header: str, credentials: list[tuple[str, str]]) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error, UnicodeDecodeError, or a plain ValueError for non-ASCII text.
        return False
    username, sep, password = decoded.partition(":")
    if not sep:
        return False
    matched = False
    for expected_user, expected_password in credentials:
        # Compare every pair in full so timing does not reveal which part was wrong.
        user_ok = hmac.compare_digest(username.encode(), expected_user.encode())
        password_ok = hmac.compare_digest(password.encode(), expected_password.encode())
        matched |= user_ok and password_ok
    return matched


async def _guarded(request: web.Request, handler: Handler, ctx: ApiContext) -> web.StreamResponse:
    try:
        # Every url and link in a response is built on the origin of the Host header, which
        # yarl refuses when it is empty or carries a port that is not a number in 0..65535.
        request.url.origin()
    except ValueError:
        raise bad_request("The Host header must be a host name with an optional port") from None
    if not _authorized(request.headers.get("Authorization", ""), ctx.credentials):
        raise ApiError(
            401,
            AUTHENTICATE,
            "Authenticate",
            headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
        )
    delay = ctx.faults.api_delay(request.method, request.path)
    if delay > 0:
        # Sleep, but let close() release delayed requests at once.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ctx.closing.wait(), timeout=delay)
    for gate in ctx.faults.api_holds(request.method, request.path):
        await gate.wait()
    injected = ctx.faults.api_error(request.method, request.path, ctx.in_flight)
    if injected is not None:
        raise injected
    return await handler(request)


@web.middleware
async def twilio_envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    ctx.in_flight += 1
    concurrent = ctx.in_flight
    request_id = ctx.new_request_id()
    try:
        try:
            response = await _guarded(request, handler, ctx)
        except ApiError as exc:
            response = answer(exc)
        except web.HTTPNotFound:
            response = error_response(
                404, NOT_FOUND, f"The requested resource {request.path} was not found"
            )
        except web.HTTPMethodNotAllowed:
            response = error_response(
                405, METHOD_NOT_ALLOWED, f"Method {request.method} not allowed on {request.path}"
            )
        except web.HTTPException as exc:
            code = INVALID_PARAMETER if exc.status < 500 else INTERNAL_ERROR
            response = error_response(exc.status, code, exc.reason)
        except UNREADABLE_INPUT as exc:
            # Input no handler check caught (see UNREADABLE_INPUT): a 400, and a log line that
            # names the gap without a traceback.
            logger.warning(
                "emulator answered 400 to unreadable input: %s %s (%s)",
                request.method,
                request.path,
                type(exc).__name__,
            )
            response = error_response(
                400, INVALID_PARAMETER, f"The request could not be read ({type(exc).__name__})"
            )
        except Exception:
            logger.exception("emulator handler failed: %s %s", request.method, request.path)
            response = error_response(500, INTERNAL_ERROR, "An internal server error occurred")
        response.headers["Twilio-Request-Id"] = request_id
        response.headers["Twilio-Concurrent-Requests"] = str(concurrent)
        return response
    finally:
        ctx.in_flight -= 1


def build_api_app(ctx: ApiContext) -> web.Application:
    app = web.Application(middlewares=[twilio_envelope])
    app[CONTEXT] = ctx
    for module in (
        room_handlers,
        participant_handlers,
        recording_handlers,
        transcription_handlers,
        composition_handlers,
        hook_handlers,
        storage_settings_handlers,
        media_redirect_handlers,
        insights_handlers,
    ):
        app.router.add_routes(module.routes())
    return app
