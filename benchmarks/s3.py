"""The S3 server of the archive case: ``python -m benchmarks.s3 [SETTINGS_JSON]`` runs moto's
threaded S3 server on 127.0.0.1 (pinned to the server CPU) with one bucket, prints
``{"s3": PORT}`` and serves until its stdin closes (so it never outlives a crashed driver).

Not part of :mod:`benchmarks.server`: moto is a WSGI server with its own threads, and keeping it
in its own process keeps it from competing with the storage site for one interpreter lock.
"""

from __future__ import annotations

import json
import logging
import sys

from .settings import SERVER_CPU, pin_to_cpu

BUCKET = "bench"
REGION = "us-east-1"
# Dummy credentials for the loopback server; never real ones.
S3_KEY_ID = "AKIABENCHMARK0000000"
S3_SECRET = "bench-s3-secret"


def s3_environment(port: int) -> dict[str, str]:
    """The standard variables obstore reads, pointing at this server."""
    return {
        "AWS_ACCESS_KEY_ID": S3_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ALLOW_HTTP": "true",
    }


def available() -> bool:
    """Whether moto and obstore are installed (both are in the ``test`` extra)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("moto", "obstore"))


def main() -> int:
    from moto.server import ThreadedMotoServer

    pin_to_cpu(SERVER_CPU)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        import boto3  # type: ignore[import-untyped]  # no stubs shipped

        boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name=REGION,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
        ).create_bucket(Bucket=BUCKET)
        print(json.dumps({"s3": port}), flush=True)
        sys.stdin.read()  # returns at EOF: the driver is gone or done
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
