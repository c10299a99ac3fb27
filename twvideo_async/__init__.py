"""twvideo_async: an asyncio-native SDK for the Twilio Programmable Video REST API."""

from . import errors, tokens, webhooks
from ._bulk import DownloadResult, DownloadSummary, MediaItem
from ._client import VideoClient
from ._media import MediaPath, MediaStream
from ._progress import Progress, ProgressKind
from ._ratelimit import AdaptiveThrottle, RateLimiter, TokenBucket
from ._request import Timeout
from ._response import APIResponse, RawResponse
from ._retry import RetryPolicy
from ._version import __version__
from .tokens import AccessToken, VideoGrant

__all__ = [
    "APIResponse",
    "AccessToken",
    "AdaptiveThrottle",
    "DownloadResult",
    "DownloadSummary",
    "MediaItem",
    "MediaPath",
    "MediaStream",
    "Progress",
    "ProgressKind",
    "RateLimiter",
    "RawResponse",
    "RetryPolicy",
    "Timeout",
    "TokenBucket",
    "VideoClient",
    "VideoGrant",
    "__version__",
    "errors",
    "tokens",
    "webhooks",
]
