"""The overlapped body copy (``_media/bodycopy.py``): network reads of one batch while the last
batch is hashed and written in a worker thread, with every download guarantee kept: hashes
across batch boundaries, short and overlong bodies, write errors, cancellation mid-batch (no
thread writes after the call has ended) and resume."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.media_servers import MediaEnv, files_in, media_env, sid
from tests.test_media_hardening import FullDisk
from twvideo_async import errors
from twvideo_async._media import partfile
from twvideo_async._media.bodycopy import BATCH_SIZE, BodyCopy
from twvideo_async._media.integrity import Mismatch
from twvideo_async._media.partfile import PartFile
from twvideo_async._media.progress import Progress, ProgressKind
from twvideo_async._media.resolve import MediaPath
from twvideo_async._media.transfer import download_media

RT = sid("RT", 30)
MEDIA = MediaPath.recording(RT)
MIB = 1024 * 1024
SIZES = [0, 1, BATCH_SIZE - 1, BATCH_SIZE, BATCH_SIZE + 1, 3 * BATCH_SIZE + 5]


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


# --- hashes and sizes around the batch boundary -------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_sha256_and_md5_are_right_around_the_batch_size(
    env: MediaEnv, tmp_path: Path, size: int
) -> None:
    data = env.add(RT, size)  # the storage's ETag is the MD5: it is checked before the rename
    summary = await env.client.recordings.download_many([RT], tmp_path)
    (result,) = summary.results
    assert result.error is None and result.bytes == size
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.path is not None and result.path.read_bytes() == data
    assert files_in(tmp_path) == [f"{RT}.mka"]


async def test_a_wrong_md5_across_batches_keeps_nothing(env: MediaEnv, tmp_path: Path) -> None:
    env.add(RT, 3 * BATCH_SIZE + 5)
    env.storage.corrupt = True  # the first byte flipped, same length: only the MD5 can tell
    with pytest.raises(errors.IntegrityError, match="MD5"):
        await download_media(env.client._requester, MEDIA, tmp_path / "a.mka", max_attempts=2)
    assert files_in(tmp_path) == []


class Scripted:
    """A storage response handing over fixed chunks (the network's own chunking)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def read_any(self) -> bytes:
        await asyncio.sleep(0)
        return self.chunks.pop(0) if self.chunks else b""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("piece", [1000, 64 * 1024, BATCH_SIZE - 1, BATCH_SIZE + 7])
async def test_any_chunking_gives_the_same_file_and_hash(
    tmp_path: Path, size: int, piece: int
) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    chunks = [data[i : i + piece] for i in range(0, size, piece)]
    part = PartFile(tmp_path / "f.mka", md5=True)
    landed: list[int] = []

    async def on_batch(done: int) -> None:
        landed.append(done)

    try:
        await BodyCopy(part, limit=size, on_batch=on_batch).run(Scripted(chunks))
        assert part.size == size
        assert part.sha256 == hashlib.sha256(data).hexdigest()
        assert part.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
        part.finish(False)
        assert part.path.read_bytes() == data
    finally:
        part.discard()
    # Progress comes once per landed batch, in order, and ends at the size; each step is at
    # most one batch (or one chunk larger than a batch).
    assert landed == sorted(landed) and (landed[-1:] or [0]) == [size]
    steps = [b - a for a, b in zip([0, *landed], landed, strict=False)]
    assert all(step <= max(BATCH_SIZE, piece) for step in steps)


async def test_at_most_one_batch_is_in_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()
    real_write = PartFile.write

    def write(self: PartFile, chunks: list[bytes]) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)  # a slow disk: reads run ahead if nothing holds them back
        real_write(self, chunks)
        with lock:
            active -= 1

    monkeypatch.setattr(PartFile, "write", write)
    data = bytes(8 * BATCH_SIZE)
    part = PartFile(tmp_path / "f.mka", md5=False)

    async def on_batch(done: int) -> None:
        pass

    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    try:
        await BodyCopy(part, limit=None, on_batch=on_batch).run(Scripted(chunks))
        assert part.size == len(data)
    finally:
        part.discard()
    assert peak == 1


# --- short and overlong bodies ------------------------------------------------------------------


async def _storage_server(handler: Any) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url(f"/bucket/{RT}"))


@pytest.fixture
async def endless(env: MediaEnv) -> AsyncIterator[list[int]]:
    """Storage sends a chunked body with no end (a bound of 64 MiB for the test only)."""
    sent: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/x-matroska"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        block = bytes(256 * 1024)
        total = 0
        try:
            while total < 64 * MIB:
                await response.write(block)
                total += len(block)
        except ConnectionError:
            pass  # the client hung up, as it should
        sent.append(total)
        return response

    async for url in _storage_server(handler):
        env.api.target = url
        yield sent


async def test_an_endless_body_is_cut_at_the_size_across_batches(
    env: MediaEnv, endless: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 2 * BATCH_SIZE + 12_345
    largest = 0
    real_write = PartFile.write

    def write(self: PartFile, chunks: list[bytes]) -> None:
        nonlocal largest
        real_write(self, chunks)
        largest = max(largest, self.size)

    monkeypatch.setattr(PartFile, "write", write)
    with pytest.raises(errors.IntegrityError, match=f"more than the {limit} bytes"):
        await download_media(
            env.client._requester, MEDIA, tmp_path / "a.mka", expected_size=limit, max_attempts=2
        )
    assert files_in(tmp_path) == []
    assert largest == limit  # the bytes up to the size were written, never one more
    assert all(total < 64 * MIB for total in endless)  # the client hung up each time


async def test_a_body_that_always_ends_short_after_several_batches_is_never_committed(
    env: MediaEnv, tmp_path: Path
) -> None:
    size = 4 * BATCH_SIZE
    starts: list[str | None] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        starts.append(request.headers.get("Range"))
        # Ignores Range and always stops after 2.5 batches: no attempt gets further.
        response = web.StreamResponse(headers={"Content-Type": "audio/x-matroska"})
        response.content_length = size
        await response.prepare(request)
        await response.write(bytes(5 * BATCH_SIZE // 2))
        assert request.transport is not None
        request.transport.close()
        return response

    async for url in _storage_server(handler):
        env.api.target = url
        with pytest.raises(errors.APIConnectionError):
            await download_media(env.client._requester, MEDIA, tmp_path / "a.mka", max_attempts=3)
    assert files_in(tmp_path) == []
    # Each restart brings (almost) no byte past the best attempt's, so max_attempts ends it
    # soon. An attempt that happens to receive a little more before the cut (how much arrives
    # before the close depends on scheduling) counts as progress once, hence the margin.
    assert 3 <= len(starts) <= 10


async def test_a_cut_after_several_batches_resumes_with_every_byte(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 5 * BATCH_SIZE + 3)
    env.storage.cut_after, env.storage.cut_times = 2 * BATCH_SIZE + BATCH_SIZE // 2, 2
    summary = await env.client.recordings.download_many([RT], tmp_path)
    (result,) = summary.results
    assert result.error is None and result.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / f"{RT}.mka").read_bytes() == data
    resumed = [seen.headers.get("Range") for seen in env.storage.requests]
    assert resumed[0] is None and len(resumed) >= 2
    assert all(r is not None and r.startswith("bytes=") for r in resumed[1:])
    assert files_in(tmp_path) == [f"{RT}.mka"]


# --- write errors ---------------------------------------------------------------------------


async def test_a_full_disk_mid_batch_stops_writing_and_removes_the_part_file(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.add(RT, 6 * BATCH_SIZE)
    disks: list[FullDisk] = []
    attempts_after_full: list[int] = []

    class CountingDisk(FullDisk):
        full = False

        def write(self, data: bytes) -> int:
            if self.full:
                attempts_after_full.append(len(data))
            try:
                return super().write(data)
            except OSError:
                self.full = True
                raise

    def full_disk_open(path: Any, mode: str) -> Any:
        disks.append(CountingDisk(open(path, mode), room=BATCH_SIZE + BATCH_SIZE // 2))  # noqa: SIM115
        return disks[-1]

    monkeypatch.setattr(partfile, "open", full_disk_open, raising=False)
    target = tmp_path / "a.mka"
    with pytest.raises(errors.MediaWriteError) as caught:
        await download_media(env.client._requester, MEDIA, target)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert files_in(tmp_path) == []
    assert len(disks) == 1 and attempts_after_full == []  # nothing was tried after the error


# --- cancellation mid-batch -----------------------------------------------------------------


class SlowDisk:
    """A file whose writes are slow (in the worker thread), logging when they run."""

    def __init__(self, real: Any, log: list[str], writing: threading.Event) -> None:
        self._real = real
        self._log = log
        self._writing = writing

    def write(self, data: bytes) -> int:
        self._log.append("write started")
        self._writing.set()
        time.sleep(0.02)  # per chunk: a batch takes a few tenths of a second
        written = int(self._real.write(data))
        self._log.append("write ended")
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def slow_open(log: list[str], writing: threading.Event) -> Any:
    def opener(path: Any, mode: str) -> SlowDisk:
        return SlowDisk(open(path, mode), log, writing)

    return opener


@pytest.mark.parametrize("cancels", [1, 2])
async def test_cancelling_mid_batch_leaves_no_file_and_no_write_after_it_ends(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cancels: int
) -> None:
    env.add(RT, 8 * BATCH_SIZE)
    log: list[str] = []
    writing = threading.Event()
    monkeypatch.setattr(partfile, "open", slow_open(log, writing), raising=False)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        task = asyncio.ensure_future(
            download_media(env.client._requester, MEDIA, tmp_path / "a.mka")
        )
        await asyncio.to_thread(writing.wait, 10)  # a batch is being written in the thread
        part, sidecar = files_in(tmp_path)  # the temporary file and the record of its object
        assert sidecar == part + ".json"
        task.cancel()
        if cancels == 2:
            await asyncio.sleep(0.05)  # the download now waits for its write to end...
            task.cancel()  # ...and is cancelled again: PartFile.discard still waits for it
        with pytest.raises(asyncio.CancelledError):
            await task
        log.append("download ended")
        assert files_in(tmp_path) == []
        await asyncio.sleep(0.8)  # long enough for any write left behind to run
        assert log[-1] == "download ended"
        assert log.count("write started") == log.count("write ended")
    finally:
        loop.set_exception_handler(None)
    assert reported == []  # no "exception never retrieved", no InvalidStateError race


async def test_a_raising_progress_callback_mid_batch_waits_for_the_write(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.add(RT, 8 * BATCH_SIZE)
    log: list[str] = []
    writing = threading.Event()
    monkeypatch.setattr(partfile, "open", slow_open(log, writing), raising=False)

    def on_progress(event: Progress) -> None:
        if event.kind is ProgressKind.BYTES:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        await download_media(env.client._requester, MEDIA, tmp_path / "a.mka", progress=on_progress)
    log.append("download ended")
    await asyncio.sleep(0.8)
    assert log[-1] == "download ended" and files_in(tmp_path) == []
    assert log.count("write started") == log.count("write ended")  # none cut short by a close


def test_a_write_queued_after_discard_writes_nothing(tmp_path: Path) -> None:
    part = PartFile(tmp_path / "f.mka", md5=False)
    part.write([b"abc"])
    part.discard()
    part.write([b"more"])  # what a cancelled download's queued batch would do
    assert part.size == 3 and files_in(tmp_path) == []


async def test_mismatch_is_what_an_overlong_scripted_body_raises(tmp_path: Path) -> None:
    part = PartFile(tmp_path / "f.mka", md5=False)

    async def on_batch(done: int) -> None:
        pass

    chunks = [bytes(700_000)] * 3
    try:
        with pytest.raises(Mismatch):
            await BodyCopy(part, limit=BATCH_SIZE, on_batch=on_batch).run(Scripted(chunks))
        assert part.size == BATCH_SIZE
    finally:
        part.discard()


# --- how the body is taken from aiohttp ----------------------------------------------------------


class _Response:
    """What StorageResponse reads of an aiohttp response: its stream, status and headers."""

    def __init__(self, content: Any) -> None:
        self.content, self.status = content, 200
        self.headers: dict[str, str] = {}


async def test_read_any_hands_over_each_network_chunk_without_joining_them() -> None:
    from aiohttp import StreamReader
    from aiohttp.client_proto import ResponseHandler

    from twvideo_async._media.storage import StorageResponse

    loop = asyncio.get_running_loop()
    reader = StreamReader(ResponseHandler(loop=loop), limit=2**20, loop=loop)
    pieces = [b"a" * 100, b"b" * 200, b"c" * 300]
    for piece in pieces:  # buffered together, as several recv()s between two reads are
        reader.feed_data(piece)
    reader.feed_eof()
    body = StorageResponse(_Response(reader), "storage.test")  # type: ignore[arg-type]
    got = [await body.read_any() for _ in range(len(pieces) + 1)]
    assert got == [*pieces, b""]  # one at a time (readany() would have joined them), then the end


async def test_read_any_reads_through_http_chunk_boundaries_to_the_real_end() -> None:
    from aiohttp import StreamReader
    from aiohttp.client_proto import ResponseHandler

    from twvideo_async._media.storage import StorageResponse

    loop = asyncio.get_running_loop()
    reader = StreamReader(ResponseHandler(loop=loop), limit=2**20, loop=loop)
    # Chunked transfer encoding where a chunk's bytes are read before its end is parsed: the
    # next read then meets that boundary with nothing before it, and aiohttp answers
    # ``(b"", True)``, which is not the end of the body.
    body = StorageResponse(_Response(reader), "storage.test")  # type: ignore[arg-type]
    reader.begin_http_chunk_receiving()
    reader.feed_data(b"first")
    got = [await body.read_any()]
    reader.end_http_chunk_receiving()
    reader.begin_http_chunk_receiving()
    reader.feed_data(b"second")
    reader.end_http_chunk_receiving()
    reader.feed_eof()
    while chunk := await body.read_any():
        got.append(chunk)
    assert b"".join(got) == b"firstsecond"
