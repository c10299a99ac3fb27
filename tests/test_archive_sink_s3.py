"""ObjectStoreSink against a real S3 API (moto's server on loopback) through obstore: objects
byte-exact with their metadata, multipart above the part size, nothing visible and no dangling
multipart upload after an abort, a failure or a cancellation; no credential in any URL, repr,
log line or error."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os

import pytest

from tests.helpers import no_sleep
from tests.s3_server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, S3Bucket, refusing_proxy
from tests.sink_faults import FaultySink
from twvideo_async import VideoClient, errors
from twvideo_async.archive import SinkError, copy_to_sink, open_sink
from twvideo_async.archive._objectstore import ABORTS_FAILED_UPLOADS, ObjectStoreSink
from twvideo_async.testing import Emulator

MIB = 1 << 20
PART = 5 * MIB
KEY = "2026/03/04/RM1/obj.mka"


def sink_for(bucket: S3Bucket, prefix: str = "archive", **options: object) -> ObjectStoreSink:
    sink = open_sink(f"s3://{bucket.name}/{prefix}", part_size=PART, **options)
    assert isinstance(sink, ObjectStoreSink)
    return sink


def clean(bucket: S3Bucket, *keys: str) -> None:
    """The bucket holds exactly ``keys`` and no unfinished multipart upload."""
    assert bucket.keys() == sorted(keys)
    assert bucket.uploads() == []


async def test_a_large_object_goes_up_in_parts_byte_exact_with_metadata(
    s3_bucket: S3Bucket,
) -> None:
    sink = sink_for(s3_bucket)
    data = os.urandom(3 * PART + 12345)
    writer = await sink.open_writer(
        KEY,
        size=len(data),
        metadata={"twvideo-sid": "RT1", "twvideo-size": str(len(data))},
        content_type="audio/x-matroska",
    )
    for offset in range(0, len(data), 256 * 1024):
        await writer.write(data[offset : offset + 256 * 1024])
    assert s3_bucket.keys() == []  # nothing visible before the commit
    assert s3_bucket.uploads() == ["archive/" + KEY]
    info = await writer.commit({"twvideo-sha256": "f" * 64})
    assert info.size == len(data)
    assert info.etag is not None and info.etag.strip('"').endswith("-4")  # 4 parts
    # Multipart metadata is fixed when the upload begins: the late SHA-256 is not there.
    assert info.metadata == {"twvideo-sid": "RT1", "twvideo-size": str(len(data))}
    assert await sink.head(KEY) == info
    clean(s3_bucket, "archive/" + KEY)
    assert s3_bucket.body("archive/" + KEY) == data
    raw = s3_bucket.head("archive/" + KEY)
    assert raw["ContentType"] == "audio/x-matroska"
    assert raw["Metadata"] == {"twvideo-sid": "RT1", "twvideo-size": str(len(data))}
    assert b"".join([chunk async for chunk in sink.read(KEY)]) == data


@pytest.mark.parametrize("size", [0, 1, PART - 1, PART])
async def test_small_and_empty_objects_are_single_puts_with_late_metadata(
    s3_bucket: S3Bucket, size: int
) -> None:
    sink = sink_for(s3_bucket, prefix="p")
    data = os.urandom(size)
    writer = await sink.open_writer("a/b.bin", size=size, metadata={"twvideo-sid": "RT2"})
    if data:
        await writer.write(data)
    info = await writer.commit({"twvideo-sha256": hashlib.sha256(data).hexdigest()})
    expected = {"twvideo-sid": "RT2", "twvideo-sha256": hashlib.sha256(data).hexdigest()}
    assert (info.size, dict(info.metadata)) == (size, expected)
    assert info.etag == f'"{hashlib.md5(data).hexdigest()}"'  # single part: the ETag is the MD5
    assert await sink.head("a/b.bin") == info
    assert s3_bucket.body("p/a/b.bin") == data
    clean(s3_bucket, "p/a/b.bin")


async def test_put_bytes_head_and_missing_objects(s3_bucket: S3Bucket) -> None:
    sink = sink_for(s3_bucket, prefix="")
    assert sink.url == f"s3://{s3_bucket.name}"
    info = await sink.put_bytes(
        "x/RT1.json", b'{"sid": "RT1"}', metadata={"k": "v"}, content_type="application/json"
    )
    assert info.metadata == {"k": "v"}
    assert s3_bucket.head("x/RT1.json")["ContentType"] == "application/json"
    assert await sink.head("x/missing.json") is None
    with pytest.raises(SinkError, match="no object"):
        [chunk async for chunk in sink.read("x/missing.json")]
    with pytest.raises(errors.InvalidRequestError):
        await sink.head("../x")


@pytest.mark.parametrize("written", [PART // 2, 3 * PART])
async def test_abort_leaves_no_object_and_no_upload(s3_bucket: S3Bucket, written: int) -> None:
    sink = sink_for(s3_bucket)
    await sink.put_bytes(KEY, b"previous", metadata={"twvideo-sid": "RT0"})
    writer = await sink.open_writer(KEY, size=None, metadata={"twvideo-sid": "RT9"})
    chunk = os.urandom(256 * 1024)
    for _ in range(written // len(chunk)):
        await writer.write(chunk)
    await writer.abort()
    await writer.abort()
    clean(s3_bucket, "archive/" + KEY)
    assert s3_bucket.body("archive/" + KEY) == b"previous"  # the old object is untouched
    with pytest.raises(SinkError, match="closed"):
        await writer.write(b"more")


async def test_a_cancelled_upload_leaves_no_object_and_no_upload(s3_bucket: S3Bucket) -> None:
    sink = sink_for(s3_bucket)
    progressed = asyncio.Event()

    async def upload() -> None:
        writer = await sink.open_writer(KEY, size=None, metadata={})
        try:
            chunk = os.urandom(256 * 1024)
            for n in range(10_000):
                await writer.write(chunk)
                if n == 4 * PART // len(chunk):
                    progressed.set()
        except BaseException:
            await writer.abort()
            raise

    task = asyncio.create_task(upload())
    await progressed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    clean(s3_bucket)


async def test_an_archive_copy_from_the_emulator(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, s3_bucket: S3Bucket
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=2, media_size=2 * PART + 7)
    small, big = seeded.recordings
    twvideo_emulator.faults.storage_cut(after_bytes=PART + 3, count=1, path=None)
    sink = sink_for(s3_bucket)
    results = []
    for rt in (small, big):
        results.append(
            await copy_to_sink(
                lambda rt=rt: twvideo_client.recordings.stream(rt),  # type: ignore[misc]
                sink,
                f"{rt}.mka",
                expected_size=2 * PART + 7,
                metadata={"twvideo-sid": rt},
                sleep=no_sleep,
            )
        )
    assert [r.attempts for r in results] == [2, 1]  # the first copy met the storage cut
    for rt, result in zip((small, big), results, strict=True):
        assert result.sha256 == twvideo_emulator.media_sha256(rt)
        assert hashlib.sha256(s3_bucket.body(f"archive/{rt}.mka")).hexdigest() == result.sha256
        info = await sink.head(f"{rt}.mka")
        assert info is not None and info.etag == result.etag and info.size == result.size
        assert info.metadata == {"twvideo-sid": rt}
    clean(s3_bucket, f"archive/{small}.mka", f"archive/{big}.mka")


@pytest.mark.parametrize("fail_after", [PART // 2, 2 * PART])
async def test_a_sink_failure_mid_upload_leaves_nothing(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, s3_bucket: S3Bucket, fail_after: int
) -> None:
    rt = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=3 * PART).recordings[0]
    sink = FaultySink(sink_for(s3_bucket), fail_after=fail_after)
    with pytest.raises(SinkError, match="injected"):
        await copy_to_sink(
            lambda: twvideo_client.recordings.stream(rt),
            sink,
            KEY,
            expected_size=3 * PART,
            metadata={},
        )
    assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False)]
    clean(s3_bucket)


async def test_a_storage_cut_that_persists_leaves_nothing(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, s3_bucket: S3Bucket
) -> None:
    rt = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=3 * PART).recordings[0]
    twvideo_emulator.faults.storage_cut(after_bytes=2 * PART, count=None)
    with pytest.raises(errors.APIConnectionError):
        await copy_to_sink(
            lambda: twvideo_client.recordings.stream(rt),
            sink_for(s3_bucket),
            KEY,
            expected_size=3 * PART,
            metadata={},
            max_attempts=2,
            sleep=no_sleep,
        )
    clean(s3_bucket)


async def test_a_missing_bucket_is_a_permanent_sink_error_without_credentials(
    s3_bucket: S3Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = open_sink(f"s3://{s3_bucket.name}-missing/p", part_size=PART)
    texts = [repr(sink), sink.url]
    for data in (b"small", os.urandom(PART + 1)):
        writer = await sink.open_writer("k", size=None, metadata={})
        with pytest.raises(SinkError) as caught:
            await writer.write(data)
            await writer.commit()
            await asyncio.sleep(0)
        await writer.abort()
        assert caught.value.transient is False
        assert "(NoSuchBucket)" in str(caught.value)
        texts += [str(caught.value), repr(caught.value), repr(writer)]
        assert caught.value.__context__ is None and caught.value.__cause__ is None
    # A HEAD cannot tell a missing bucket from a missing object (both 404, no body).
    assert await sink.head("k") is None
    texts.append(caplog.text)
    joined = "\n".join(texts)
    assert f"{s3_bucket.name}-missing" in joined
    assert SECRET_ACCESS_KEY not in joined and ACCESS_KEY_ID not in joined


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIA:secret@bucket/p",
        "s3://bucket/p?X-Amz-Credential=AKIA",
        "az://container/p?sv=2024&sig=SECRETSIG",
        "s3://bucket/p#frag",
    ],
)
def test_urls_with_credentials_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        open_sink(url)
    assert "secret" not in str(caught.value).lower() or "credentials go" in str(caught.value)
    assert "AKIA" not in str(caught.value) and "SECRETSIG" not in str(caught.value)


def test_object_store_options_are_checked() -> None:
    with pytest.raises(errors.InvalidRequestError, match="5 MiB"):
        ObjectStoreSink("s3://bucket/p", part_size=MIB)
    with pytest.raises(errors.InvalidRequestError, match="max_concurrency"):
        ObjectStoreSink("s3://bucket/p", max_concurrency=0)
    with pytest.raises(errors.InvalidRequestError, match="no bucket"):
        ObjectStoreSink("s3:///p")
    assert ObjectStoreSink("gs://bucket/a/b/").url == "gs://bucket/a/b"


async def test_a_part_refused_mid_upload_aborts_the_multipart_upload(
    twvideo_client: VideoClient,
    twvideo_emulator: Emulator,
    s3_bucket: S3Bucket,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The store fails the second part of a copy: the copy fails with a permanent SinkError
    and nothing is visible. obstore >= 0.12 also aborts the multipart upload; 0.11 (the newest
    on Python 3.10) leaves it incomplete, which the sink reports in a warning."""
    rt = twvideo_emulator.seed(rooms=1, recordings_per_room=1, media_size=4 * PART).recordings[0]
    async with refusing_proxy(s3_bucket.server.endpoint, part=2) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy)
        sink = FaultySink(sink_for(s3_bucket))
        with pytest.raises(SinkError, match=r"\(AccessDenied\)") as caught:
            await copy_to_sink(
                lambda: twvideo_client.recordings.stream(rt),
                sink,
                KEY,
                expected_size=4 * PART,
                metadata={},
                sleep=no_sleep,
            )
    assert caught.value.transient is False
    assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False)]
    assert s3_bucket.keys() == []
    if ABORTS_FAILED_UPLOADS:
        assert s3_bucket.uploads() == []
        assert "incomplete multipart upload" not in caplog.text
    else:
        assert s3_bucket.uploads() == ["archive/" + KEY]
        assert f"{KEY} in s3://{s3_bucket.name}/archive" in caplog.text
        assert "incomplete multipart upload" in caplog.text


def test_a_store_that_cannot_be_configured_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT_NAME", raising=False)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", "c2VjcmV0LWF6dXJlLWtleQ==")
    with pytest.raises(errors.ConfigurationError, match="AZURE_STORAGE_ACCOUNT_NAME") as caught:
        open_sink("az://container/prefix")
    assert "c2VjcmV0LWF6dXJlLWtleQ==" not in str(caught.value)
    assert caught.value.__context__ is None
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_NAME", "account")
    sink = open_sink("az://container/prefix")
    assert repr(sink) == "<ObjectStoreSink az://container/prefix>"
    assert "c2VjcmV0" not in repr(sink) + sink.url
