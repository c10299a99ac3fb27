"""Twilio's error codes and :class:`ApiError`, the exception every emulator layer raises.

The state raises it for rule violations (a taken unique name, a completed room), the handlers for
bad parameters and the fault rules for injected 429s and 5xx. It carries no HTTP: the API app's
middleware turns it into Twilio's JSON error body (see ``_http/error_answers.py``).
"""

from __future__ import annotations

# Codes used by the emulator (Twilio's error dictionary; see the README section on the emulator
# for the few places where the emulator picks a code the real API does not document).
INVALID_PARAMETER = 20001  # missing, malformed or (strict mode) unknown parameter
AUTHENTICATE = 20003
METHOD_NOT_ALLOWED = 20004
PAGE_SIZE_OUT_OF_RANGE = 20007
NOT_FOUND = 20404
TOO_MANY_REQUESTS = 20429
INTERNAL_ERROR = 20500
SERVICE_UNAVAILABLE = 20503
ROOM_NAME_TOO_LONG = 53101
MAX_PARTICIPANTS_OUT_OF_RANGE = 53107
ROOM_TYPE_INVALID = 53108
ROOM_TIMEOUT_OUT_OF_RANGE = 53109
STATUS_CALLBACK_METHOD_INVALID = 53110
STATUS_CALLBACK_URL_INVALID = 53111
ROOM_STATUS_INVALID = 53112
ROOM_EXISTS = 53113
ROOM_INVALID_PARAMETERS = 53114
ROOM_COMPLETED = 53118
RECORDING_RULES_INVALID = 53120
PARTICIPANT_STATUS_INVALID = 53209
SUBSCRIBE_RULES_INVALID = 53215
TTL_OUT_OF_RANGE = 94603

# Exceptions that only hostile or garbled input provokes (undecodable bytes, nesting deep enough
# to exhaust the stack, numbers past what a date or an int conversion takes). A handler that lets
# one escape is answered 400 without a traceback; any other escaped exception is a bug and stays
# a logged 500.
UNREADABLE_INPUT: tuple[type[Exception], ...] = (UnicodeError, RecursionError, OverflowError)


class ApiError(Exception):
    """An error the emulator answers with Twilio's JSON error body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class GatewayError(ApiError):
    """A 5xx answered with an HTML page, as a load balancer in front of the API would send."""

    def __init__(self, status: int) -> None:
        super().__init__(status, INTERNAL_ERROR, f"HTTP {status}")


def bad_request(message: str, code: int = INVALID_PARAMETER) -> ApiError:
    """A 400 with ``code`` (20001 unless a resource-specific code applies)."""
    return ApiError(400, code, message)


def missing(name: str) -> ApiError:
    """The 400/20001 Twilio sends for an absent required parameter."""
    return ApiError(400, INVALID_PARAMETER, f"Missing required parameter {name} in the post body")


def not_found(what: str = "The requested resource") -> ApiError:
    """The 404/20404 answer for an unknown path, SID or name."""
    return ApiError(404, NOT_FOUND, f"{what} was not found")
