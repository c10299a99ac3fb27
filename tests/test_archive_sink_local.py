"""LocalSink: byte-exact objects, metadata through a sidecar, atomic commit, nothing left after
an abort, a failure or a cancellation; key and metadata checks; open_sink's destinations."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path

import pytest

from twvideo_async.archive import LocalSink, ObjectInfo, SinkError, check_key, open_sink
from twvideo_async.archive._local import _owned
from twvideo_async.errors import InvalidRequestError

MIB = 1 << 20


def tree(root: Path) -> list[str]:
    """Every file below root, hidden ones included, as relative paths."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def visible(root: Path) -> list[str]:
    return [name for name in tree(root) if not any(s.startswith(".") for s in name.split("/"))]


async def collect(sink: LocalSink, key: str) -> bytes:
    return b"".join([chunk async for chunk in sink.read(key)])


async def test_a_committed_object_is_byte_exact_with_its_metadata(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path / "archive")
    data = os.urandom(3 * MIB + 17)
    writer = await sink.open_writer(
        "2026/01/02/RM1/RT1.mka",
        size=len(data),
        metadata={"twvideo-sid": "RT1", "twvideo-kind": "recording"},
        content_type="audio/x-matroska",
    )
    for offset in range(0, len(data), 100_000):
        await writer.write(data[offset : offset + 100_000])
    # Nothing at the key before the commit.
    assert await sink.head("2026/01/02/RM1/RT1.mka") is None
    assert visible(sink.root) == []
    info = await writer.commit({"twvideo-sha256": hashlib.sha256(data).hexdigest()})
    expected = {
        "twvideo-sid": "RT1",
        "twvideo-kind": "recording",
        "twvideo-sha256": hashlib.sha256(data).hexdigest(),
    }
    assert info.key == "2026/01/02/RM1/RT1.mka"
    assert info.size == len(data)
    assert dict(info.metadata) == expected
    assert await sink.head("2026/01/02/RM1/RT1.mka") == info
    assert (sink.root / "2026/01/02/RM1/RT1.mka").read_bytes() == data
    assert await collect(sink, "2026/01/02/RM1/RT1.mka") == data
    # Only the object and its hidden sidecar: no temporary file is left.
    assert tree(sink.root) == [
        "2026/01/02/RM1/.RT1.mka.twvideo-meta.json",
        "2026/01/02/RM1/RT1.mka",
    ]
    assert sink.url == (tmp_path / "archive").as_uri()
    assert repr(sink) == f"<LocalSink {sink.url}>"


async def test_rewriting_changes_the_etag_and_replaces_the_metadata(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path, fsync=False)
    first = await sink.put_bytes("a/b.json", b'{"v": 1}', metadata={"twvideo-sid": "RT1"})
    second = await sink.put_bytes("a/b.json", b'{"v": 22}', content_type="application/json")
    assert first.etag != second.etag
    assert second == ObjectInfo("a/b.json", 9, second.etag, {})
    assert await sink.head("a/b.json") == second
    assert (tmp_path / "a/b.json").read_bytes() == b'{"v": 22}'


async def test_metadata_of_another_version_is_never_reported(tmp_path: Path) -> None:
    """A sidecar that does not describe the file at the key (e.g. a crash between the two
    renames, or the file replaced by hand) is ignored."""
    sink = LocalSink(tmp_path)
    await sink.put_bytes("k.bin", b"old!", metadata={"twvideo-sha256": "0" * 64})
    replacement = tmp_path / "other"
    replacement.write_bytes(b"new!")
    os.replace(replacement, tmp_path / "k.bin")
    info = await sink.head("k.bin")
    assert info is not None and info.size == 4
    assert info.metadata == {}


async def test_abort_leaves_nothing_and_is_idempotent(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    await sink.put_bytes("x/keep.bin", b"kept", metadata={"twvideo-sid": "RT0"})
    before = tree(tmp_path)
    writer = await sink.open_writer("x/keep.bin", size=None, metadata={"twvideo-sid": "RT9"})
    await writer.write(os.urandom(2 * MIB))  # past one write batch: bytes are on disk
    await writer.abort()
    await writer.abort()
    assert tree(tmp_path) == before  # the old object and its metadata are untouched
    assert (tmp_path / "x/keep.bin").read_bytes() == b"kept"
    with pytest.raises(SinkError):
        await writer.write(b"more")
    with pytest.raises(SinkError):
        await writer.commit()


async def test_a_cancelled_writer_leaves_no_temporary_file(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    started = asyncio.Event()

    async def upload() -> None:
        writer = await sink.open_writer("big.bin", size=None, metadata={})
        try:
            while True:
                await writer.write(b"\0" * (256 * 1024))
                started.set()
        except BaseException:
            await writer.abort()
            raise

    task = asyncio.create_task(upload())
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tree(tmp_path) == []


async def test_a_failed_commit_leaves_nothing(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    writer = await sink.open_writer("d/obj.bin", size=None, metadata={})
    await writer.write(b"abc")
    (tmp_path / "d" / "obj.bin").mkdir()  # the final name is now a directory: rename fails
    with pytest.raises(SinkError, match=r"cannot store d/obj\.bin"):
        await writer.commit()
    await writer.abort()
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/abs/key",
        "a//b",
        "a/",
        "a/../b",
        "..",
        "./a",
        "a\x00b",
        "a\\b",
        "a\nb",
        "x" * 1025,
    ],
)
async def test_bad_keys_are_refused_before_anything_is_written(tmp_path: Path, key: str) -> None:
    sink = LocalSink(tmp_path / "root")
    with pytest.raises(InvalidRequestError):
        check_key(key)
    with pytest.raises(InvalidRequestError):
        await sink.open_writer(key, size=None, metadata={})
    with pytest.raises(InvalidRequestError):
        await sink.head(key)
    assert not (tmp_path / "root").exists()


async def test_local_keys_may_not_use_hidden_names(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    assert check_key("a/.hidden") == "a/.hidden"  # fine for object stores
    with pytest.raises(InvalidRequestError, match="reserved"):
        await sink.put_bytes("a/.hidden", b"x")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"Twvideo-Sid": "RT1"}, "lower-case"),
        ({"twvideo sid": "RT1"}, "lower-case"),
        ({"twvideo-sid": "caf\u00e9"}, "printable ASCII"),
        ({"twvideo-sid": "a\r\nb"}, "printable ASCII"),
        ({"twvideo-sid": 1}, "printable ASCII"),
        ({"k": "v" * 2048}, "2048"),
    ],
)
async def test_bad_metadata_is_refused(
    tmp_path: Path, metadata: dict[str, str], message: str
) -> None:
    sink = LocalSink(tmp_path)
    with pytest.raises(InvalidRequestError, match=message):
        await sink.open_writer("k", size=None, metadata=metadata)
    assert tree(tmp_path) == []


async def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    for size in (-1, 1.5, True):
        with pytest.raises(InvalidRequestError, match="size"):
            await sink.open_writer("k", size=size, metadata={})  # type: ignore[arg-type]


async def test_head_and_read_of_a_missing_object(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    assert await sink.head("nope/none.bin") is None
    with pytest.raises(SinkError, match=r"no object nope/none\.bin"):
        await collect(sink, "nope/none.bin")
    (tmp_path / "dir").mkdir()
    with pytest.raises(SinkError, match="not a regular file"):
        await sink.head("dir")


def test_open_sink_destinations(tmp_path: Path) -> None:
    by_path = open_sink(str(tmp_path / "a"))
    assert isinstance(by_path, LocalSink) and by_path.root == tmp_path / "a"
    by_url = open_sink((tmp_path / "b c").as_uri())
    assert isinstance(by_url, LocalSink) and by_url.root == tmp_path / "b c"
    assert isinstance(open_sink(tmp_path, fsync=False), LocalSink)
    with pytest.raises(InvalidRequestError, match="must be local"):
        open_sink("file://server/share")
    with pytest.raises(InvalidRequestError, match="unsupported destination scheme 'ftp'"):
        open_sink("ftp://host/dir")
    with pytest.raises(InvalidRequestError):
        open_sink("")


async def test_a_thread_result_is_cleaned_up_when_the_caller_was_cancelled() -> None:
    """What a worker thread opens for a cancelled caller (a writer's temporary file) is
    released once the thread finishes, not leaked."""
    gate = threading.Event()
    cleaned: list[str] = []

    def slow() -> str:
        gate.wait(10)
        return "temporary file"

    task = asyncio.create_task(_owned(slow, (), cleaned.append))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == []
    gate.set()
    for _ in range(500):
        if cleaned:
            break
        await asyncio.sleep(0.01)
    assert cleaned == ["temporary file"]
