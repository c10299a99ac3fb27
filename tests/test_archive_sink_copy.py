"""copy_to_sink: verified before visible. Byte-exact copies from the emulator; a cut, expired
or failing storage retried; a wrong MD5, a short or long body, a sink failing mid-upload and a
cancellation all refused with nothing visible at the key."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.helpers import no_sleep
from tests.media_servers import StorageServer, media_env, sid
from tests.sink_faults import FaultySink
from twvideo_async import VideoClient, errors
from twvideo_async.archive import LocalSink, SinkError, copy_to_sink
from twvideo_async.testing import Emulator

MIB = 1 << 20
KEY = "2026/03/04/RM1/obj.mka"


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def nothing_visible(root: Path) -> bool:
    """No object, no sidecar, no temporary file: the directory tree holds no file at all."""
    return tree(root) == []


def seeded(emu: Emulator, size: int) -> str:
    return emu.seed(rooms=1, recordings_per_room=1, media_size=size).recordings[0]


async def test_a_recording_is_copied_byte_exact_with_its_metadata(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    rt = seeded(twvideo_emulator, 3 * MIB + 5)
    sink = LocalSink(tmp_path)
    result = await copy_to_sink(
        lambda: twvideo_client.recordings.stream(rt),
        sink,
        KEY,
        expected_size=3 * MIB + 5,
        metadata={"twvideo-sid": rt, "twvideo-kind": "recording"},
    )
    digest = twvideo_emulator.media_sha256(rt)
    assert (result.key, result.size, result.sha256, result.attempts) == (
        KEY,
        3 * MIB + 5,
        digest,
        1,
    )
    assert result.md5_checked is False  # the emulator's ETag is multipart-style, not an MD5
    assert hashlib.sha256((tmp_path / KEY).read_bytes()).hexdigest() == digest
    info = await sink.head(KEY)
    assert info is not None and info.etag == result.etag and info.size == result.size
    assert info.metadata == {
        "twvideo-sid": rt,
        "twvideo-kind": "recording",
        "twvideo-sha256": digest,
    }


async def test_a_storage_cut_expiry_and_5xx_are_retried(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    rt = seeded(twvideo_emulator, 2 * MIB)
    faults = twvideo_emulator.faults
    cut = faults.storage_cut(after_bytes=MIB, count=1)
    expired = faults.storage_expired(count=1)
    error = faults.storage_error(503, count=1)
    sink = FaultySink(LocalSink(tmp_path))
    result = await copy_to_sink(
        lambda: twvideo_client.recordings.stream(rt),
        sink,
        KEY,
        expected_size=None,
        metadata={},
        sleep=no_sleep,
    )
    assert (cut.fired, expired.fired, error.fired) == (1, 1, 1)
    assert result.attempts == 4
    assert result.sha256 == twvideo_emulator.media_sha256(rt)
    # Only the storage cut got as far as opening a writer; it was aborted, never committed.
    assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False), (False, True)]
    assert sink.writers[0].written < MIB
    assert tree(tmp_path) == ["2026/03/04/RM1/.obj.mka.twvideo-meta.json", KEY]


async def test_a_cut_that_persists_fails_with_nothing_visible(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    rt = seeded(twvideo_emulator, 2 * MIB)
    twvideo_emulator.faults.storage_cut(after_bytes=MIB, count=None)
    with pytest.raises(errors.APIConnectionError) as caught:
        await copy_to_sink(
            lambda: twvideo_client.recordings.stream(rt),
            LocalSink(tmp_path),
            KEY,
            expected_size=2 * MIB,
            metadata={},
            max_attempts=3,
            sleep=no_sleep,
        )
    assert caught.value.retries_taken == 2
    assert nothing_visible(tmp_path)


async def test_a_size_the_resource_and_storage_disagree_on_is_refused(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    rt = seeded(twvideo_emulator, MIB)
    for expected in (MIB + 1, MIB - 1):
        with pytest.raises(errors.IntegrityError, match="announced"):
            await copy_to_sink(
                lambda: twvideo_client.recordings.stream(rt),
                LocalSink(tmp_path),
                KEY,
                expected_size=expected,
                metadata={},
                max_attempts=2,
                sleep=no_sleep,
            )
    assert nothing_visible(tmp_path)


async def test_media_not_ready_propagates_without_retries(tmp_path: Path) -> None:
    async with media_env() as env:
        rt = sid("RT", 1)
        env.api.not_ready.add(rt)
        with pytest.raises(errors.MediaNotReadyError):
            await copy_to_sink(
                lambda: env.client.recordings.stream(rt),
                LocalSink(tmp_path),
                KEY,
                expected_size=None,
                metadata={},
                sleep=no_sleep,
            )
        assert env.api.hits == 1
    assert nothing_visible(tmp_path)


async def test_storage_md5_is_checked(tmp_path: Path) -> None:
    async with media_env() as env:
        rt = sid("RT", 2)
        data = env.add(rt, 2 * MIB + 3)
        result = await copy_to_sink(
            lambda: env.client.recordings.stream(rt),
            LocalSink(tmp_path),
            KEY,
            expected_size=len(data),
            metadata={},
        )
        assert result.md5_checked is True
        assert (tmp_path / KEY).read_bytes() == data


async def test_a_wrong_md5_is_refused_before_the_last_chunk(tmp_path: Path) -> None:
    async with media_env() as env:
        rt = sid("RT", 3)
        data = env.add(rt, 2 * MIB)
        env.storage.corrupt = True  # same length, one byte flipped; the ETag is the true MD5
        sink = FaultySink(LocalSink(tmp_path))
        with pytest.raises(errors.IntegrityError, match="MD5"):
            await copy_to_sink(
                lambda: env.client.recordings.stream(rt),
                sink,
                KEY,
                expected_size=len(data),
                metadata={},
                max_attempts=2,
                sleep=no_sleep,
            )
    assert len(sink.writers) == 2
    for log in sink.writers:
        assert log.aborted and not log.committed
        assert 0 < log.written < len(data)  # the held-back last chunk never reached the sink
    assert nothing_visible(tmp_path)


def _chunked_send(extra: int) -> Callable[..., object]:
    """A storage answer without Content-Length whose body runs ``extra`` bytes long
    (``extra`` < 0: short)."""

    async def send(self: StorageServer, request: web.Request, name: str, data: bytes) -> object:
        response = web.StreamResponse(headers={"Content-Type": "audio/x-matroska"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        body = data + b"x" * extra if extra >= 0 else data[:extra]
        for offset in range(0, len(body), 64 * 1024):
            await response.write(body[offset : offset + 64 * 1024])
        await response.write_eof()
        return response

    return send


@pytest.mark.parametrize("extra", [1, 5 * MIB, -1])
async def test_a_body_longer_or_shorter_than_the_size_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    monkeypatch.setattr(StorageServer, "_send", _chunked_send(extra))
    async with media_env() as env:
        rt = sid("RT", 4)
        data = env.add(rt, 2 * MIB)
        sink = FaultySink(LocalSink(tmp_path))
        with pytest.raises(errors.IntegrityError, match=r"more than|bytes where"):
            await copy_to_sink(
                lambda: env.client.recordings.stream(rt),
                sink,
                KEY,
                expected_size=len(data),
                metadata={},
                max_attempts=1,
            )
    (log,) = sink.writers
    assert log.aborted and not log.committed and log.written <= len(data)
    assert nothing_visible(tmp_path)


@pytest.mark.parametrize("transient", [False, True])
async def test_a_sink_failing_mid_upload(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path, transient: bool
) -> None:
    rt = seeded(twvideo_emulator, 3 * MIB)
    sink = FaultySink(LocalSink(tmp_path), fail_after=MIB, transient=transient)

    async def copy() -> object:
        return await copy_to_sink(
            lambda: twvideo_client.recordings.stream(rt),
            sink,
            KEY,
            expected_size=3 * MIB,
            metadata={},
            sleep=no_sleep,
        )

    if not transient:
        with pytest.raises(SinkError, match="injected write failure"):
            await copy()
        assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False)]
        assert nothing_visible(tmp_path)
        return
    result = await copy()
    assert getattr(result, "attempts", None) == 2
    assert hashlib.sha256((tmp_path / KEY).read_bytes()).hexdigest() == (
        twvideo_emulator.media_sha256(rt)
    )


async def test_a_failed_commit_is_aborted(
    twvideo_client: VideoClient, twvideo_emulator: Emulator, tmp_path: Path
) -> None:
    rt = seeded(twvideo_emulator, MIB)
    sink = FaultySink(LocalSink(tmp_path), fail_commit=True)
    with pytest.raises(SinkError, match="injected commit failure"):
        await copy_to_sink(
            lambda: twvideo_client.recordings.stream(rt), sink, KEY, expected_size=None, metadata={}
        )
    assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False)]
    assert nothing_visible(tmp_path)


async def test_cancellation_mid_copy_leaves_nothing(tmp_path: Path) -> None:
    async with media_env() as env:
        rt = sid("RT", 5)
        env.add(rt, 8 * MIB)
        env.storage.chunk_delay = 0.01
        sink = FaultySink(LocalSink(tmp_path), notify_after=2 * MIB)
        task = asyncio.create_task(
            copy_to_sink(
                lambda: env.client.recordings.stream(rt),
                sink,
                KEY,
                expected_size=None,
                metadata={},
            )
        )
        await sink.reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [(w.aborted, w.committed) for w in sink.writers] == [(True, False)]
    assert nothing_visible(tmp_path)


async def test_bad_arguments_are_refused_before_any_request(tmp_path: Path) -> None:
    async with media_env() as env:
        rt = sid("RT", 6)
        env.add(rt, 10)
        sink = LocalSink(tmp_path)

        cases: list[tuple[str, dict[str, Any]]] = [
            ("../up", {}),
            (KEY, {"expected_size": -1}),
            (KEY, {"metadata": {"Bad Name": "x"}}),
            (KEY, {"max_attempts": 0}),
        ]
        for key, kwargs in cases:
            options: dict[str, Any] = {"expected_size": None, "metadata": {}, **kwargs}
            with pytest.raises(errors.InvalidRequestError):
                await copy_to_sink(lambda: env.client.recordings.stream(rt), sink, key, **options)
        assert env.api.hits == 0
    assert nothing_visible(tmp_path)
