"""Every default in one place."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://video.twilio.com"
# Video Insights (Log Analyzer) summaries live on a host of their own.
DEFAULT_INSIGHTS_BASE_URL = "https://insights.twilio.com"
DEFAULT_REGION_WITH_EDGE = "us1"

# Retries: openai-python and stripe-python both default to two retries (three attempts).
DEFAULT_MAX_RETRIES = 2
# A 429 was never processed by Twilio (error 20429), so it gets its own, larger budget; the
# per-call deadline still bounds the total time spent.
DEFAULT_MAX_RATE_LIMIT_RETRIES = 8
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After above this is not waited for: the error is raised with ``retry_after`` set.
DEFAULT_MAX_RETRY_AFTER = 60.0

# Timeouts (seconds). ``total`` bounds a whole call including retries and sleeps.
DEFAULT_TOTAL_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
# Media bodies can take far longer than any total budget: only the gap between reads is bounded.
DEFAULT_MEDIA_READ_TIMEOUT = 60.0

# Connection pool.
DEFAULT_CONNECTION_LIMIT = 100
DEFAULT_KEEPALIVE_TIMEOUT = 30.0
DEFAULT_DNS_TTL = 300

# Media: concurrent files of download_many, consecutive attempts without progress before a
# download gives up, stream() chunks, and storage redirect hops followed.
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 1024 * 1024
MAX_STORAGE_REDIRECTS = 3

# PageSize caps per endpoint.
DEFAULT_MAX_PAGE_SIZE = 1000
MEDIA_LIST_MAX_PAGE_SIZE = 100

REQUEST_ID_HEADER = "Twilio-Request-Id"

# The largest API response body read into memory, counted after decompression. Twilio's
# biggest JSON (a page of 1,000 items) is a few MiB; this refuses gzip bombs and endless bodies.
DEFAULT_MAX_RESPONSE_SIZE = 32 * 1024 * 1024
