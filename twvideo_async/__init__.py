"""twvideo_async: an asyncio-native SDK for the Twilio Programmable Video REST API."""

from . import errors
from ._client import VideoClient
from ._ratelimit import AdaptiveThrottle, RateLimiter, TokenBucket
from ._request import Timeout
from ._response import APIResponse, RawResponse
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "APIResponse",
    "AdaptiveThrottle",
    "RateLimiter",
    "RawResponse",
    "RetryPolicy",
    "Timeout",
    "TokenBucket",
    "VideoClient",
    "__version__",
    "errors",
]
