"""The ``twvideo_async`` logger. Metadata only: method, path template, status, request id,
attempt and duration. Never bodies, query strings, headers, URLs of storage hosts or secrets."""

from __future__ import annotations

import logging

logger = logging.getLogger("twvideo_async")
