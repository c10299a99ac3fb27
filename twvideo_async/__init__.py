"""twvideo_async: an asyncio-native SDK for the Twilio Programmable Video REST API.

The client, its options and errors load with the package; media, webhook and token helpers
load on first use, so ``import twvideo_async`` stays cheap for code that only makes API calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from ._client import VideoClient
from ._ratelimit import AdaptiveThrottle, RateLimiter, TokenBucket
from ._request import Timeout
from ._response import APIResponse, RawResponse
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from . import tokens, webhooks
    from ._bulk import DownloadResult, DownloadSummary, MediaItem
    from ._media import MediaPath, MediaStream
    from ._progress import Progress, ProgressKind
    from .tokens import AccessToken, VideoGrant

_LAZY = {
    "AccessToken": ".tokens",
    "DownloadResult": "._bulk",
    "DownloadSummary": "._bulk",
    "MediaItem": "._bulk",
    "MediaPath": "._media",
    "MediaStream": "._media",
    "Progress": "._progress",
    "ProgressKind": "._progress",
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
