"""twvideo_async: an asyncio-native SDK for the Twilio Programmable Video REST API.

The client, its options and errors load with the package; media, webhook and token helpers
load on first use, so ``import twvideo_async`` stays cheap for code that only makes API calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from ._client import VideoClient
from ._options import CallOptions, Timeout
from ._pagination import AsyncPaginator, Page
from ._ratelimit import AdaptiveThrottle, RateLimiter, TokenBucket
from ._response import APIResponse, RawResponse
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from . import tokens, webhooks
    from ._media.bulk import DownloadResult, DownloadSummary, MediaItem
    from ._media.options import DownloadManyOptions, DownloadOptions, MediaOptions, StreamOptions
    from ._media.progress import Progress, ProgressKind
    from ._media.resolve import MediaPath
    from ._media.stream import MediaStream
    from ._redis_throttle import RedisThrottle
    from .tokens import AccessToken, AccessTokenError, VideoGrant

_LAZY = {
    "AccessToken": ".tokens",
    "AccessTokenError": ".tokens",
    "DownloadManyOptions": "._media.options",
    "DownloadOptions": "._media.options",
    "DownloadResult": "._media.bulk",
    "DownloadSummary": "._media.bulk",
    "MediaItem": "._media.bulk",
    "MediaOptions": "._media.options",
    "MediaPath": "._media.resolve",
    "MediaStream": "._media.stream",
    "Progress": "._media.progress",
    "ProgressKind": "._media.progress",
    "RedisThrottle": "._redis_throttle",
    "StreamOptions": "._media.options",
    "VideoGrant": ".tokens",
}
_LAZY_MODULES = frozenset({"tokens", "webhooks"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The public names, the lazily loaded ones included (a plain ``dir()`` would list only
    # what is loaded so far, plus helpers such as ``importlib`` and ``TYPE_CHECKING``).
    return sorted(__all__)


__all__ = [
    "APIResponse",
    "AccessToken",
    "AccessTokenError",
    "AdaptiveThrottle",
    "AsyncPaginator",
    "CallOptions",
    "DownloadManyOptions",
    "DownloadOptions",
    "DownloadResult",
    "DownloadSummary",
    "MediaItem",
    "MediaOptions",
    "MediaPath",
    "MediaStream",
    "Page",
    "Progress",
    "ProgressKind",
    "RateLimiter",
    "RawResponse",
    "RedisThrottle",
    "RetryPolicy",
    "StreamOptions",
    "Timeout",
    "TokenBucket",
    "VideoClient",
    "VideoGrant",
    "__version__",
    "errors",
    "tokens",
    "webhooks",
]
