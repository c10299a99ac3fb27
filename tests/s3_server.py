"""A real S3 API server on loopback for the archive tests: moto's threaded server, one per test
session, bound to 127.0.0.1. Each test gets its own bucket and obstore's standard environment
variables pointing at the server; boto3 (a moto dependency) inspects what the server holds.
Without moto the tests skip, or fail under ``TWVIDEO_REQUIRE_SERVERS=1`` (``tests/servers.py``)."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import pytest

from tests.servers import need_module

ACCESS_KEY_ID = "AKIATWVIDEOTESTKEY01"
SECRET_ACCESS_KEY = "twvideo-test-secret-5f1c9a2e7b"
REGION = "us-east-1"
_buckets = itertools.count(1)


@attrs.frozen
class S3Server:
    endpoint: str

    def client(self) -> Any:
        import boto3  # type: ignore[import-untyped]  # no stubs shipped

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )


@attrs.frozen
class S3Bucket:
    server: S3Server
    name: str
    client: Any

    def keys(self) -> list[str]:
        """Every object key in the bucket."""
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def sizes(self) -> dict[str, int]:
        """Every object key in the bucket with its size, over as many listing pages as it takes."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}

    def uploads(self) -> list[str]:
        """Keys of multipart uploads begun and neither completed nor aborted."""
        listing = self.client.list_multipart_uploads(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Uploads", []))

    def body(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def head(self, key: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.head_object(Bucket=self.name, Key=key)
        return answer


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    need_module("moto", "pip install -e '.[test]'")
    from moto.server import ThreadedMotoServer

    # moto's request log goes through werkzeug's logger: keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        assert host == "127.0.0.1"
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """A fresh, empty bucket, with the AWS_* variables obstore reads pointing at it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": s3_server.endpoint,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CHECKSUM_ALGORITHM"):
        monkeypatch.delenv(name, raising=False)
    client = s3_server.client()
    name = f"twvideo-test-{next(_buckets)}"
    client.create_bucket(Bucket=name)
    return S3Bucket(s3_server, name, client)


@contextlib.asynccontextmanager
async def refusing_proxy(
    endpoint: str, *, part: int, status: int = 403, code: str = "AccessDenied"
) -> AsyncIterator[str]:
    """A loopback proxy in front of the S3 server that answers ``status`` (an S3 XML error) to
    the upload of part number ``part`` and forwards everything else; yields its origin.
    moto cannot fail a part by itself."""
    from aiohttp import ClientSession, web
    from aiohttp.test_utils import TestServer

    hop = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}
    async with ClientSession(auto_decompress=False) as session:

        async def forward(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            if request.method == "PUT" and request.query.get("partNumber") == str(part):
                error = f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
                return web.Response(status=status, text=error, content_type="application/xml")
            headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
            async with session.request(
                request.method, endpoint + request.path_qs, data=body, headers=headers
            ) as answer:
                data = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in hop}
                return web.Response(status=answer.status, body=data, headers=kept)

        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", forward)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield str(server.make_url("")).rstrip("/")
        finally:
            await server.close()
