"""``download_many``: bounded storage connections, per-file failures, input order, lazy async
iterables, skip-existing reruns, progress totals, cancellation."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.media_servers import MediaEnv, media_env, sid
from twvideo_async import errors
from twvideo_async._media.bulk import MediaItem, composition_item, download_many, recording_item
from twvideo_async._media.progress import Progress, ProgressKind
from twvideo_async._media.resolve import MediaPath
from twvideo_async.models import Composition, Recording
from twvideo_async.models.enums import CompositionFormat, RecordingFormat


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


def items_for(env: MediaEnv, count: int, size: int, *, sized: bool = False) -> list[MediaItem]:
    items = []
    for n in range(count):
        rt = sid("RT", n)
        data = env.add(rt, size + n)
        expected = len(data) if sized else None
        items.append(MediaItem(rt, MediaPath.recording(rt), f"{rt}.mka", expected))
    return items


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".part-" in p.name]


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


async def test_64_files_8_at_a_time_one_not_ready(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 64, 40_000)
    missing = items[17].sid
    env.api.not_ready.add(missing)
    env.storage.gate = 8  # hold the first answers until 8 requests are in flight together
    env.storage.chunk_delay = 0.001
    summary = await download_many(env.client._requester, items, tmp_path, concurrency=8)
    assert env.storage.peak == 8  # never more storage connections than `concurrency`
    assert [r.sid for r in summary.results] == [item.sid for item in items]  # input order
    assert (summary.files, summary.succeeded, summary.failed, summary.skipped) == (64, 63, 1, 0)
    [failure] = summary.errors
    assert failure.sid == missing and failure.path is None
    assert isinstance(failure.error, errors.MediaNotReadyError)
    for result in summary:
        if result.ok:
            data = env.storage.objects[result.sid]
            assert result.sha256 == hashlib.sha256(data).hexdigest()
            assert result.path is not None and result.path.read_bytes() == data
            assert result.bytes == len(data)
    assert summary.bytes == sum(r.bytes for r in summary.results)
    assert summary.throughput > 0
    assert leftovers(tmp_path) == []


async def test_a_failing_file_does_not_stop_the_others(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 6, 300_000)
    env.storage.fail_keys = {items[2].sid}
    env.storage.cut_after, env.storage.cut_times = 100_000, 3  # and some cuts to resume
    summary = await download_many(
        env.client._requester, items, tmp_path, concurrency=3, max_attempts=3
    )
    assert [r.ok for r in summary] == [True, True, False, True, True, True]
    assert isinstance(summary.results[2].error, errors.InternalServerError)
    assert leftovers(tmp_path) == [] and not (tmp_path / f"{items[2].sid}.mka").exists()


async def test_async_iterables_are_consumed_lazily(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 12, 20_000)
    finished: list[str] = []
    finished_when_pulled: list[int] = []

    async def listing() -> AsyncIterator[MediaItem]:
        for item in items:
            finished_when_pulled.append(len(finished))
            yield item

    totals: list[int | None] = []

    def on_progress(event: Progress) -> None:
        totals.append(event.files_total)
        if event.kind is ProgressKind.FINISHED:
            finished.append(event.sid)

    summary = await download_many(
        env.client._requester, listing(), tmp_path, concurrency=2, progress=on_progress
    )
    assert summary.succeeded == 12
    # Items are read one ahead of the free worker, and the other worker holds at most one.
    assert all(done >= i - 2 for i, done in enumerate(finished_when_pulled))
    assert totals[0] is None and totals[-1] == 12


async def test_rerun_skips_complete_files(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 5, 50_000)
    env.storage.fail_keys = {items[1].sid, items[3].sid}
    first = await download_many(env.client._requester, items, tmp_path, max_attempts=1)
    assert first.failed == 2
    env.storage.fail_keys = set()
    env.storage.requests.clear()
    second = await download_many(env.client._requester, items, tmp_path)
    assert [r.skipped for r in second] == [True, False, True, False, True]
    assert (second.succeeded, second.skipped, second.failed) == (2, 3, 0)
    for item in items:
        assert (tmp_path / f"{item.sid}.mka").read_bytes() == env.storage.objects[item.sid]
    # Without a known size, completeness is read from Content-Length (one GET per file).
    assert len(env.storage.requests) == 5
    env.storage.requests.clear()
    sized = [
        MediaItem(i.sid, i.media_path, i.file_name, len(env.storage.objects[i.sid])) for i in items
    ]
    third = await download_many(env.client._requester, sized, tmp_path)
    assert third.skipped == 5 and env.storage.requests == []


async def test_progress_totals(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 4, 1_500_000, sized=True)
    (tmp_path / f"{items[0].sid}.mka").write_bytes(env.storage.objects[items[0].sid])
    events: list[Progress] = []
    summary = await download_many(
        env.client._requester, items, tmp_path, concurrency=2, progress=events.append
    )
    last = events[-1]
    assert (last.files_finished, last.files_skipped, last.files_failed) == (3, 1, 0)
    assert last.files_total == 4
    assert (
        last.overall_bytes
        == summary.bytes
        == sum(len(env.storage.objects[i.sid]) for i in items[1:])
    )
    per_file = {e.sid for e in events if e.kind is ProgressKind.BYTES}
    assert per_file == {i.sid for i in items[1:]}
    overall = [e.overall_bytes for e in events]
    assert overall == sorted(overall)


async def test_cancelling_leaves_no_partial_files(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 10, 2_000_000)
    env.storage.chunk_delay = 0.005
    busy = asyncio.Event()

    def on_progress(event: Progress) -> None:
        if event.kind is ProgressKind.BYTES:
            busy.set()

    task = asyncio.ensure_future(
        download_many(env.client._requester, items, tmp_path, concurrency=4, progress=on_progress)
    )
    await asyncio.wait_for(busy.wait(), 10)
    assert leftovers(tmp_path)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(tmp_path) == []
    for name, data in contents(tmp_path).items():  # whatever did finish is complete
        assert data == env.storage.objects[name.removesuffix(".mka")]


async def test_bad_items_and_duplicate_names_are_per_item_errors(
    env: MediaEnv, tmp_path: Path
) -> None:
    [good] = items_for(env, 1, 1000)
    duplicate = MediaItem("RTdup", good.media_path, good.file_name)
    escaping = MediaItem("RTesc", good.media_path, "../outside.mka")
    malformed = MediaItem("RTbad", "/v1/Recordings/nope/Media", "bad.mka")
    junk: Any = "junk"
    summary = await download_many(
        env.client._requester, [good, duplicate, escaping, malformed, junk], tmp_path, concurrency=1
    )
    assert [r.ok for r in summary] == [True, False, False, False, False]
    assert all(isinstance(r.error, errors.InvalidRequestError) for r in summary.errors)
    assert "share the file name" in str(summary.results[1].error)
    assert not (tmp_path.parent / "outside.mka").exists()


async def test_a_failing_item_source_is_raised_after_in_flight_work(
    env: MediaEnv, tmp_path: Path
) -> None:
    items = items_for(env, 3, 1000)

    async def listing() -> AsyncIterator[MediaItem]:
        yield items[0]
        yield items[1]
        raise errors.APIConnectionError("listing broke")

    with pytest.raises(errors.APIConnectionError, match="listing broke"):
        await download_many(env.client._requester, listing(), tmp_path, concurrency=1)
    assert sorted(contents(tmp_path)) == sorted(f"{i.sid}.mka" for i in items[:2])


async def test_a_raising_progress_callback_stops_everything(env: MediaEnv, tmp_path: Path) -> None:
    items = items_for(env, 6, 1_500_000)

    def on_progress(event: Progress) -> None:
        if event.kind is ProgressKind.BYTES:
            raise LookupError("callback bug")

    with pytest.raises(LookupError, match="callback bug"):
        await download_many(
            env.client._requester, items, tmp_path, concurrency=3, progress=on_progress
        )
    assert contents(tmp_path) == {}


@pytest.mark.parametrize("concurrency", [0, -1, True, 2.5])
async def test_concurrency_must_be_a_positive_int(
    env: MediaEnv, tmp_path: Path, concurrency: object
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="concurrency"):
        await download_many(env.client._requester, [], tmp_path, concurrency=concurrency)  # type: ignore[arg-type]


async def test_no_items_gives_an_empty_summary(env: MediaEnv, tmp_path: Path) -> None:
    summary = await download_many(env.client._requester, [], tmp_path / "new")
    assert (summary.files, summary.bytes, len(summary)) == (0, 0, 0)
    assert (tmp_path / "new").is_dir()


async def test_sids_and_models_map_to_items_one_by_one(env: MediaEnv, tmp_path: Path) -> None:
    rt1, rt2, cj = sid("RT", 1), sid("RT", 2), sid("CJ", 3)
    env.add(rt1, 3000)
    video = env.add(rt2, 4000)
    composition = env.add(cj, 5000)
    recordings: list[Any] = [
        rt1,  # a bare SID: storage names the file (audio/x-matroska -> .mka)
        Recording(sid=rt2, container_format=RecordingFormat.MKV, size=len(video)),
        "RT-not-a-sid",
    ]
    summary = await download_many(
        env.client._requester, recordings, tmp_path, to_item=recording_item
    )
    assert [r.ok for r in summary] == [True, True, False]
    assert isinstance(summary.results[2].error, errors.InvalidRequestError)
    assert sorted(contents(tmp_path)) == [f"{rt1}.mka", f"{rt2}.mkv"]
    env.storage.requests.clear()
    again = await download_many(
        env.client._requester, recordings[1:2], tmp_path, to_item=recording_item
    )
    assert again.skipped == 1 and env.storage.requests == []  # the model's size sufficed
    model = Composition(sid=cj, format=CompositionFormat.MP4, size=len(composition))
    summary = await download_many(
        env.client._requester, [model], tmp_path, to_item=composition_item
    )
    assert summary.results[0].path == tmp_path / f"{cj}.mp4"
