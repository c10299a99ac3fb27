"""Shared fixtures. The aioresponses shim below is needed while aioresponses 0.7.9 is broken on
aiohttp >= 3.14 (missing ``stream_writer``; bodies over 64 KiB trip flow control)."""

from __future__ import annotations

import inspect
from typing import Any
from unittest.mock import Mock

import aioresponses.core as _arc
from aiohttp import ClientResponse, StreamReader
from aiohttp.client_proto import ResponseHandler

from tests.pg_server import backend, pg_database, pg_server
from tests.redis_server import own_redis_server, redis_server
from tests.s3_server import s3_bucket, s3_server

if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:

    class _CompatResponse(ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", Mock(output_size=0))
            super().__init__(*args, **kwargs)

    # aioresponses.core imports ClientResponse without re-exporting it (mypy: attr-defined).
    _arc.ClientResponse = _CompatResponse  # type: ignore[attr-defined]

    def _reader(loop: Any = None) -> StreamReader:
        # The whole body is fed at once; a high limit keeps StreamReader from pausing a
        # protocol that aioresponses never connected.
        return StreamReader(ResponseHandler(loop=loop), limit=2**30, loop=loop)

    _arc.stream_reader_factory = _reader  # type: ignore[attr-defined]

# The moto S3, PostgreSQL and Redis server fixtures (a server starts only when a test asks for it).
__all__ = [
    "backend",
    "own_redis_server",
    "pg_database",
    "pg_server",
    "redis_server",
    "s3_bucket",
    "s3_server",
]
