"""Benchmarks: twvideo_async against raw aiohttp and twilio-python's async mode, on loopback.

Run ``python -m benchmarks`` (``--help`` for options). A loopback ``aiohttp.web`` server that
serves the OpenAPI spec's example payloads runs in its own process pinned to CPU 1; every
case x client runs in a fresh client process pinned to CPU 0, in interleaved order, several
times, and the driver prints medians, min/max and the ratio to raw aiohttp as Markdown.

Modules: ``settings`` (sizes of each case, shared by driver, server and workers), ``payloads``
(spec-derived JSON), ``server`` (the loopback API, storage and rate-limited API), ``worker``
(one case x client per process), ``case_*`` (the cases), ``report`` (aggregation, targets,
the table) and ``cli`` (the driver behind ``python -m benchmarks``). Stand-alone scripts:
``bench_media_memory`` (peak memory of one large download), ``bench_download_cores`` (bulk
downloads vs raw aiohttp with server and client on separate cores and on one),
``bench_shared_limit`` (one rate limit shared through Redis).
"""
