"""A rerun after a hard kill resumes from what the killed run left, only when storage proves it is
the same object (issue 12, item 9). The leftovers are made as a killed process leaves them: part
bytes and a sidecar on disk, no lock held. Storage is the loopback pair from ``media_servers``."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.media_servers import MediaEnv, files_in, leave_part, media_env, sid
from twvideo_async._media.bulk import MediaItem, download_many
from twvideo_async._media.integrity import Expected, Mismatch
from twvideo_async._media.leftover import remove_stale, take_leftover
from twvideo_async._media.partfile import PartFile, parse_record, read_sidecar
from twvideo_async._media.progress import Progress, ProgressKind
from twvideo_async._media.resolve import MediaPath
from twvideo_async._media.transfer import download_media

RT = sid("RT", 30)
MEDIA = MediaPath.recording(RT)
MIB = 1024 * 1024
NAME = "a.mka"


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def record(data: bytes, **changes: Any) -> dict[str, Any]:
    """The sidecar a run downloading ``data`` from the loopback storage writes."""
    digest = hashlib.md5(data).hexdigest()
    fields = {"sidecar": 1, "size": len(data), "etag": f'"{digest}"'}
    fields.update(last_modified=None, md5=[digest, "ETag"])
    fields.update(changes)
    return fields


def leave(
    directory: Path,
    head: bytes,
    sidecar: dict[str, Any] | bytes | None,
    tag: str = "deadbeef",
    name: str = NAME,
) -> Path:
    """:func:`leave_part` under this file's usual name."""
    return leave_part(directory, name, head, sidecar, tag)


def ranges(env: MediaEnv) -> list[tuple[str | None, str | None]]:
    return [(s.headers.get("Range"), s.headers.get("If-Range")) for s in env.storage.requests]


async def fetch(env: MediaEnv, directory: Path, **options: Any) -> tuple[Path, str | None]:
    """``download_many`` of the one object: the final path and the SHA-256 it reports."""
    item = MediaItem(RT, MEDIA, NAME, options.pop("expected_size", None))
    summary = await download_many(env.client._requester, [item], directory, **options)
    (result,) = summary.results
    assert result.error is None, result.error
    assert result.path is not None
    return result.path, result.sha256


# --- resuming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("md5_etag_storage", [True, False])
async def test_a_killed_runs_file_resumes_with_one_range_request(
    env: MediaEnv, tmp_path: Path, md5_etag_storage: bool
) -> None:
    data = env.add(RT, 3 * MIB + 5)
    kept = 1 * MIB + 123
    if md5_etag_storage:  # S3: the ETag is the MD5, checked over the whole file at commit
        sidecar = record(data)
    else:  # another store: an opaque strong ETag, only the size is checked
        env.storage.s3, env.storage.etag = False, '"v1-opaque"'
        sidecar = record(data, etag='"v1-opaque"', md5=None)
    leave(tmp_path, data[:kept], sidecar)
    events: list[Progress] = []
    path, sha256 = await fetch(env, tmp_path, expected_size=len(data), progress=events.append)
    assert ranges(env) == [(f"bytes={kept}-", sidecar["etag"])]  # one request, from the kept size
    assert path.read_bytes() == data
    assert sha256 == hashlib.sha256(data).hexdigest()  # the kept bytes were hashed from disk
    assert files_in(tmp_path) == [NAME]  # no temporary file or sidecar left
    started = [e for e in events if e.kind is ProgressKind.STARTED]
    assert [e.bytes_done for e in started] == [kept]  # shown from the kept bytes, not from 0
    assert events[-1].kind is ProgressKind.FINISHED and events[-1].overall_bytes == len(data)


async def test_a_last_modified_validator_resumes_too(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    modified = "Mon, 01 Dec 2025 10:00:00 GMT"
    env.storage.extra_headers["Last-Modified"] = modified
    # A record of an object with no ETag: Last-Modified is the validator sent back.
    leave(tmp_path, data[:MIB], record(data, etag=None, last_modified=modified, md5=None))
    env.storage.s3 = False
    env.storage.etag = None
    path = await download_media(env.client._requester, MEDIA, tmp_path / NAME)
    (seen,) = env.storage.requests
    assert seen.headers.get("Range") == f"bytes={MIB}-"
    assert seen.headers.get("If-Range") == modified
    assert path.read_bytes() == data and files_in(tmp_path) == [NAME]


async def test_a_complete_but_uncommitted_file_fetches_its_last_byte(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, MIB)
    leave(tmp_path, data, record(data))  # killed between the last write and the rename
    path = await download_media(env.client._requester, MEDIA, tmp_path / NAME)
    assert ranges(env) == [(f"bytes={len(data) - 1}-", md5_etag(data))]
    assert path.read_bytes() == data and files_in(tmp_path) == [NAME]


async def test_of_several_leftovers_the_longest_valid_one_is_resumed(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 3 * MIB)
    leave(tmp_path, data[:100_000], record(data), tag="00000001")
    leave(tmp_path, data[: 2 * MIB], record(data), tag="00000002")
    leave(tmp_path, data + b"longer", record(data), tag="00000003")  # cannot be this object
    leave(tmp_path, data[: 2 * MIB + 1], b"{corrupt", tag="00000004")
    leave(tmp_path, data[: 2 * MIB + 2], None, tag="00000005")
    path, _ = await fetch(env, tmp_path)
    assert ranges(env) == [(f"bytes={2 * MIB}-", md5_etag(data))]
    assert path.read_bytes() == data
    assert files_in(tmp_path) == [NAME]  # the others and all their sidecars removed


@pytest.mark.parametrize("many", [False, True])
async def test_without_a_name_a_leftover_under_the_name_storage_gives_resumes(
    env: MediaEnv, tmp_path: Path, many: bool
) -> None:
    data = env.add(RT, 2 * MIB)  # served as audio/x-matroska: the file is RT....mka
    leave(tmp_path, data[:MIB], record(data), name=f"{RT}.mka")
    if many:  # a bare SID: no name, no size
        summary = await download_many(env.client._requester, [MediaItem(RT, MEDIA)], tmp_path)
        (result,) = summary.results
        assert result.error is None and result.sha256 == hashlib.sha256(data).hexdigest()
    else:
        await download_media(env.client._requester, MEDIA, tmp_path)
    assert ranges(env) == [(f"bytes={MIB}-", md5_etag(data))]
    assert (tmp_path / f"{RT}.mka").read_bytes() == data
    assert files_in(tmp_path) == [f"{RT}.mka"]


async def test_without_a_name_a_leftover_of_another_name_is_not_used(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 2 * MIB)
    leave(tmp_path, data[:MIB], record(data), name=f"{RT}.mp4")  # storage says audio/x-matroska
    path = await download_media(env.client._requester, MEDIA, tmp_path, max_attempts=1)
    assert path == tmp_path / f"{RT}.mka" and path.read_bytes() == data
    assert ranges(env) == [(f"bytes={MIB}-", md5_etag(data)), (None, None)]
    assert files_in(tmp_path) == [f"{RT}.mka"]  # the leftover went with its sidecar


# --- refusing: a restart from zero, never a splice -------------------------------------------


async def test_a_changed_object_restarts_from_zero(env: MediaEnv, tmp_path: Path) -> None:
    old = random.Random(1).randbytes(3 * MIB)
    data = env.add(RT, 3 * MIB)  # same size, another version (another ETag)
    leave(tmp_path, old[:MIB], record(old))
    path, sha256 = await fetch(env, tmp_path, expected_size=len(data))
    # Storage honoured If-Range: the changed object came whole in answer to the one request.
    assert ranges(env) == [(f"bytes={MIB}-", md5_etag(old))]
    assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()
    assert files_in(tmp_path) == [NAME]


async def test_a_changed_object_behind_a_storage_ignoring_if_range_restarts(
    env: MediaEnv, tmp_path: Path
) -> None:
    old = random.Random(1).randbytes(3 * MIB)
    data = env.add(RT, 3 * MIB)
    env.storage.ignore_if_range = True  # a 206 of the new version: its ETag gives it away
    leave(tmp_path, old[:MIB], record(old))
    events: list[Progress] = []
    path, _ = await fetch(env, tmp_path, max_attempts=1, progress=events.append)
    assert ranges(env) == [(f"bytes={MIB}-", md5_etag(old)), (None, None)]
    assert path.read_bytes() == data  # one whole version, never the old head with a new tail
    kinds = [e.kind for e in events]
    assert kinds.count(ProgressKind.STARTED) == 1 and ProgressKind.RETRYING not in kinds


async def test_a_storage_ignoring_range_restarts_from_zero(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.ignore_range = True  # answers 200 with the whole body
    leave(tmp_path, data[:MIB], record(data))
    path, sha256 = await fetch(env, tmp_path)
    assert len(env.storage.requests) == 1
    assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()
    assert files_in(tmp_path) == [NAME]


async def test_an_object_now_shorter_than_the_kept_bytes_restarts(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, MIB)
    bigger = data + b"x" * 1000  # the record says 1000 bytes more, with the same ETag
    leave(tmp_path, bigger[: MIB + 500], record(bigger, etag=md5_etag(data), md5=None))
    path = await download_media(env.client._requester, MEDIA, tmp_path / NAME, max_attempts=1)
    # 416 for a range past the end: the object is not what was recorded; start again.
    assert ranges(env) == [(f"bytes={MIB + 500}-", md5_etag(data)), (None, None)]
    assert path.read_bytes() == data and files_in(tmp_path) == [NAME]


async def test_a_resumed_answer_that_does_not_state_the_size_restarts(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.unknown_total = True  # "bytes N-M/*": nothing says it is the recorded size
    leave(tmp_path, data[:MIB], record(data))
    path = await download_media(env.client._requester, MEDIA, tmp_path / NAME, max_attempts=1)
    assert ranges(env) == [(f"bytes={MIB}-", md5_etag(data)), (None, None)]
    assert path.read_bytes() == data and files_in(tmp_path) == [NAME]


async def test_a_resume_within_one_run_sends_if_range_too(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.cut_after, env.storage.cut_times = 700 * 1024, 1
    path = await download_media(env.client._requester, MEDIA, tmp_path / NAME)
    (first, _), (second, if_range) = ranges(env)
    assert first is None and second is not None and if_range == md5_etag(data)
    assert path.read_bytes() == data


@pytest.mark.parametrize(
    ("head", "sidecar"),
    [
        pytest.param(b"x" * (MIB + 1), "valid", id="longer-than-the-size"),
        pytest.param(b"x" * 1000, b"{not json", id="corrupt-sidecar"),
        pytest.param(b"x" * 1000, {"sidecar": 1, "size": "1", "etag": '"e"'}, id="bad-types"),
        pytest.param(b"x" * 1000, {"sidecar": 1, "size": MIB, "etag": '"e\r\nX: y"'}, id="crlf"),
        pytest.param(b"x" * 1000, {"sidecar": 1, "size": MIB, "etag": 'W/"weak"'}, id="weak"),
        pytest.param(b"x" * 1000, {"sidecar": 1, "size": MIB}, id="no-validator"),
        pytest.param(b"x" * 1000, b" " * 5000, id="oversized-sidecar"),
        pytest.param(b"x" * 1000, None, id="missing-sidecar"),
        pytest.param(b"x" * 1000, "other-size", id="size-not-the-listings"),
    ],
)
async def test_an_unprovable_leftover_is_removed_and_the_file_restarts(
    env: MediaEnv, tmp_path: Path, head: bytes, sidecar: Any
) -> None:
    data = env.add(RT, MIB)
    if sidecar == "valid":
        sidecar = record(data)
    elif sidecar == "other-size":
        sidecar = record(data, size=MIB + 1)
    leave(tmp_path, head, sidecar)
    path, sha256 = await fetch(env, tmp_path, expected_size=MIB)
    assert ranges(env) == [(None, None)]  # from zero: nothing of the leftover was trusted
    assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()
    assert files_in(tmp_path) == [NAME]


async def test_a_live_downloads_file_is_never_touched(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, MIB)
    live = PartFile(tmp_path / NAME)  # another download of the same path, still running
    live.record(Expected(len(data), md5_etag(data)))
    live.write([data[:100_000]])  # larger than the file buffer: on disk
    try:
        path, _ = await fetch(env, tmp_path)
        assert ranges(env) == [(None, None)]
        assert path.read_bytes() == data
        assert live.path.read_bytes() == data[:100_000]
        assert read_sidecar(live.path) == Expected(len(data), md5_etag(data))
    finally:
        live.discard()
    assert files_in(tmp_path) == [NAME]  # discard removed the live file and its sidecar


# --- the record itself and the sweep ---------------------------------------------------------


def test_the_sidecar_is_written_with_the_first_bytes_and_forgotten_for_an_unprovable_object(
    tmp_path: Path,
) -> None:
    part = PartFile(tmp_path / NAME)
    try:
        part.record(Expected(10, '"e1"'))
        assert files_in(tmp_path) == [part.path.name]  # nothing before a byte arrives
        part.write([b"12345"])
        assert read_sidecar(part.path) == Expected(10, '"e1"')
        part.reset(md5=False)
        part.record(Expected(10, 'W/"weak"'))  # a new answer with nothing to prove
        part.write([b"abc"])
        assert files_in(tmp_path) == [part.path.name]  # the old record went before the bytes
    finally:
        part.discard()
    assert files_in(tmp_path) == []


def test_a_commit_removes_the_sidecar(tmp_path: Path) -> None:
    part = PartFile(tmp_path / NAME)
    part.record(Expected(3, '"e"'))
    part.write([b"abc"])
    part.finish(fsync=True)
    part.commit()
    assert files_in(tmp_path) == [NAME]


def test_remove_stale_leaves_no_orphan_sidecar_and_nothing_of_other_files(tmp_path: Path) -> None:
    dead = leave(tmp_path, b"abc", record(b"abcdef"), tag="00000001")
    orphan = tmp_path / f".{NAME}.part-00000002.json"  # its file is gone
    orphan.write_text("{}")
    half = tmp_path / f".{NAME}.part-00000003.json.tmp"  # a record being written when killed
    half.write_text("{")
    other = tmp_path / ".other.mka.part-00000001.json"
    other.write_text("{}")
    assert remove_stale(tmp_path / NAME) == 1
    assert not dead.exists()
    assert files_in(tmp_path) == [other.name]


def test_take_leftover_holds_the_lock_so_a_second_rerun_cannot_take_it(tmp_path: Path) -> None:
    data = b"0123456789" * 1000
    leave(tmp_path, data[:4000], record(data))
    first = take_leftover(tmp_path / NAME, None)
    assert first is not None and first.size == 4000
    try:
        assert take_leftover(tmp_path / NAME, None) is None  # locked by the first
        assert remove_stale(tmp_path / NAME) == 0
        assert first.sha256.hexdigest() == hashlib.sha256(data[:4000]).hexdigest()
    finally:
        PartFile(tmp_path / NAME, kept=first).discard()
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'{"sidecar": 2, "size": 5, "etag": "\\"e\\""}',
        b'{"sidecar": 1, "size": true, "etag": "\\"e\\""}',
        b'{"sidecar": 1, "size": 0, "etag": "\\"e\\""}',
        b'{"sidecar": 1, "size": 5, "etag": 5}',
        b'{"sidecar": 1, "size": 5, "etag": "\\"e\\"", "md5": ["x", "ETag"]}',
        b'{"sidecar": 1, "size": 5, "etag": "\\"e\\"", "md5": ["' + b"a" * 32 + b'", "Other"]}',
        b"[" * 100_000,
    ],
)
def test_malformed_records_are_refused(raw: bytes) -> None:
    assert parse_record(raw) is None


def test_a_strict_resume_needs_the_stated_total() -> None:
    expected = Expected(100, '"e"')
    headers = {"Content-Range": "bytes 10-99/*", "ETag": '"e"'}
    expected.check_resume(headers, 10, strict=False)  # within one run: tolerated as before
    with pytest.raises(Mismatch, match="did not state"):
        expected.check_resume(headers, 10, strict=True)


# --- a batch scans its directory once ------------------------------------------------------------


class _ScandirSpy:
    """``os`` for the leftover module, with ``scandir`` replaced."""

    def __init__(self, scandir: Any) -> None:
        import os

        self._os, self.scandir = os, scandir

    def __getattr__(self, name: str) -> Any:
        return getattr(self._os, name)


async def test_a_batch_scans_its_directory_once_and_still_resumes_each_leftover(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One directory listing for the whole ``download_many`` (a scan per file made a batch of
    n files into one directory read n**2 entries), and every item's leftover still found."""
    import os

    from twvideo_async._media import leftover

    sids = [sid("RT", 40 + n) for n in range(6)]
    objects = {s: env.add(s, MIB + 7) for s in sids}
    for n, s in enumerate(sids[:4]):  # four killed files (one with a dead sibling), two fresh
        leave(tmp_path, objects[s][: 1000 * (n + 1)], record(objects[s]), name=f"{s}.mka")
    leave(tmp_path, b"x" * 10, None, tag="0badf00d", name=f"{sids[0]}.mka")
    (tmp_path / f".{sids[5]}.mka.part-12345678.json").write_bytes(b"{}")  # an orphan sidecar
    scans: list[str] = []
    real_scandir = os.scandir

    def counting(path: Any) -> Any:
        scans.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(leftover, "os", _ScandirSpy(counting))
    items = [MediaItem(s, MediaPath.recording(s), f"{s}.mka", MIB + 7) for s in sids]
    summary = await download_many(env.client._requester, items, tmp_path, concurrency=3)
    assert scans == [str(tmp_path)]
    assert all(r.error is None for r in summary.results)
    for s in sids:
        assert (tmp_path / f"{s}.mka").read_bytes() == objects[s]
    resumed = sorted(int(h[6:-1]) for h, _ in ranges(env) if h is not None)
    assert resumed == [1000, 2000, 3000, 4000]  # each killed file from its own bytes
    assert files_in(tmp_path) == sorted(f"{s}.mka" for s in sids)  # the rest removed


def test_the_directory_index_maps_files_and_sidecars_to_their_final_name(tmp_path: Path) -> None:
    from twvideo_async._media.leftover import Leftovers

    for name in (
        ".a.mka.part-0123abcd",
        ".a.mka.part-0123abcd.json",
        ".b.part-x.mka.part-ffffffff.json.tmp",
        ".c.mka.part-123",
        "c.mka",
        ".d.mka.part-0123abcd.txt",
    ):
        (tmp_path / name).write_bytes(b"")  # fmt: skip
    index = Leftovers(tmp_path)
    assert len(index) == 2
    assert index.take(tmp_path / "a.mka") == {".a.mka.part-0123abcd"}
    assert index.take(tmp_path / "b.part-x.mka") == {".b.part-x.mka.part-ffffffff"}
    assert index.take(tmp_path / "a.mka") == set()  # handed out once
    assert index.take(tmp_path / "c.mka") == set()  # not a temporary name (7 hex digits)
    assert Leftovers(tmp_path / "missing").take(tmp_path / "a.mka") == set()
