"""Exceptions raised while validating and parsing Twilio status callbacks."""

from __future__ import annotations

from ..errors import ConfigurationError, TwilioVideoError

__all__ = [
    "InvalidSignature",
    "WebhookConfigurationError",
    "WebhookError",
    "WebhookPayloadError",
]


class WebhookError(TwilioVideoError):
    """Base class of every webhook failure."""


class InvalidSignature(WebhookError):
    """The request is not proven to come from Twilio.

    ``reason`` says why (missing header, signature mismatch, body hash mismatch, unsupported
    algorithm). It never contains the expected signature, the token or the request URL.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookConfigurationError(WebhookError, ConfigurationError):
    """The validator cannot check this request as configured.

    Raised when a validator is built with an empty token or key, or asked to *compute* a
    SharedKey signature without a shared key. A *request* naming a SharedKey the validator lacks
    is an :class:`InvalidSignature` (403): anyone can send that header.
    """


class WebhookPayloadError(WebhookError, ValueError):
    """A callback's parameters do not have the expected shape.

    ``field`` names the offending Twilio parameter (``"Size"``, ``"Timestamp"``, ...).
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"status callback parameter {field!r}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type[WebhookPayloadError], tuple[str, str]]:
        return (type(self), (self.field, self.problem))
