"""``download_media``: temporary file + rename, resume with Range through cuts, stalls and
expired URLs, integrity checks, cancellation and failure clean-up, skip/overwrite, progress."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.media_servers import MediaEnv, files_in, media_env, sid
from twvideo_async import errors
from twvideo_async._media.integrity import expected_md5, parse_content_range
from twvideo_async._media.progress import Progress, ProgressKind
from twvideo_async._media.resolve import MediaPath
from twvideo_async._media.stream import stream_media
from twvideo_async._media.transfer import download_media

RT = sid("RT", 10)
MIB = 1024 * 1024
MEDIA = MediaPath.recording(RT)


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


def ranges(env: MediaEnv) -> list[str | None]:
    return [seen.headers.get("Range") for seen in env.storage.requests]


def check_resumes(env: MediaEnv, cut: int) -> list[int]:
    """Offsets of the storage requests. Each resume starts after the bytes already kept, which
    is at most ``cut`` more than the last start: aiohttp drops bytes it had buffered when the
    connection broke, so the exact offset depends on how fast the client read."""
    offsets = [0]
    for header in ranges(env)[1:]:
        assert header is not None and header.startswith("bytes=") and header.endswith("-")
        offsets.append(int(header[6:-1]))
    for before, after in itertools.pairwise(offsets):
        assert before < after <= before + cut
    return offsets


async def test_download_into_a_directory_uses_the_default_name(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 3 * MIB + 123)
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name=f"{RT}.mka")
    assert path == tmp_path / f"{RT}.mka"
    assert path.read_bytes() == data
    assert files_in(tmp_path) == [f"{RT}.mka"]  # no temporary file left behind


async def test_download_to_a_file_path_creating_parents(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 1000)
    target = tmp_path / "a" / "b" / "talk.mka"
    assert await download_media(env.client._requester, MEDIA, target, default_name="x") == target
    assert target.read_bytes() == data
    trailing = await download_media(
        env.client._requester, MEDIA, f"{tmp_path}/new/", default_name="y.mka"
    )
    assert trailing == tmp_path / "new" / "y.mka"


async def test_cut_connections_resume_with_range(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 3 * MIB)
    env.storage.cut_after, env.storage.cut_times = 700 * 1024, 3
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="r.mka")
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert len(check_resumes(env, 700 * 1024)) == 4
    assert env.api.hits == 1  # the signed URL was still valid: no new /Media call


async def test_progressing_attempts_do_not_use_up_max_attempts(
    env: MediaEnv, tmp_path: Path
) -> None:
    data = env.add(RT, 1 * MIB)
    env.storage.cut_after, env.storage.cut_times = 100_000, 8
    path = await download_media(
        env.client._requester, MEDIA, tmp_path, default_name="r", max_attempts=3
    )
    assert path.read_bytes() == data
    assert len(env.storage.requests) == 9


async def test_a_stall_times_out_and_resumes(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.stall_after, env.storage.stall_times = 512 * 1024, 1
    path = await download_media(
        env.client._requester, MEDIA, tmp_path, default_name="s.mka", read_timeout=0.3
    )
    assert path.read_bytes() == data
    assert len(check_resumes(env, 512 * 1024)) >= 2  # more if a loaded machine stalls again
    # The stall was caught by the transport's sweeper, not by a timer per chunk.
    assert env.client._transport.storage_gaps_swept


async def test_a_download_schedules_no_read_timer_per_chunk(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = env.add(RT, 4 * MIB)
    loop = asyncio.get_running_loop()
    scheduled: list[str] = []
    call_at = loop.call_at

    def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        scheduled.append(str(getattr(callback, "__qualname__", callback)))
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting)
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="t.mka")
    monkeypatch.undo()
    assert path.read_bytes() == data
    assert [name for name in scheduled if name.endswith("_on_read_timeout")] == []
    assert len(env.client._transport.sweeper()) == 0  # nothing left watched


async def test_an_expired_url_is_resolved_again(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 1 * MIB)
    env.storage.expired_below = 1  # the first signed URL has already expired
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="e.mka")
    assert path.read_bytes() == data
    assert env.api.hits == 2
    assert [seen.query["X-Amz-Signature"] for seen in env.storage.requests] == ["0", "1"]


async def test_expiry_mid_download_resumes_on_a_fresh_url(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.cut_after, env.storage.cut_times = 300_000, 1
    env.storage.expire_used = True  # each signed URL works once
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="e.mka")
    assert path.read_bytes() == data
    assert [s.query["X-Amz-Signature"] for s in env.storage.requests] == ["0", "0", "1"]
    first, resumed, again = ranges(env)
    assert first is None and resumed == again  # the fresh URL resumes at the same byte
    assert resumed is not None and 0 < int(resumed[6:-1]) <= 300_000


async def test_storage_ignoring_range_restarts_from_zero(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 2 * MIB)
    env.storage.cut_after, env.storage.cut_times = 1_500_000, 1
    env.storage.ignore_range = True
    events: list[Progress] = []
    path = await download_media(
        env.client._requester, MEDIA, tmp_path, default_name="i.mka", progress=events.append
    )
    assert path.read_bytes() == data
    assert len(check_resumes(env, 1_500_000)) == 2
    assert ProgressKind.RESTARTED in [e.kind for e in events]
    assert events[-1].overall_bytes == len(data)


async def test_a_206_from_the_wrong_offset_is_not_appended(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 1 * MIB)
    env.storage.cut_after, env.storage.cut_times = 200_000, 1
    env.storage.wrong_range_times = 1
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="w.mka")
    assert path.read_bytes() == data
    first, resumed, restarted = ranges(env)
    assert first is None and resumed is not None and restarted is None


async def test_md5_mismatch_keeps_nothing(env: MediaEnv, tmp_path: Path) -> None:
    env.add(RT, 500_000)
    env.storage.corrupt = True  # same length, one byte flipped; the ETag is the real MD5
    old = tmp_path / "m.mka"
    old.write_bytes(b"previous complete file")
    with pytest.raises(errors.IntegrityError, match="MD5"):
        await download_media(
            env.client._requester, MEDIA, tmp_path, default_name="m.mka", max_attempts=2
        )
    assert old.read_bytes() == b"previous complete file"
    assert files_in(tmp_path) == ["m.mka"]
    assert len(env.storage.requests) == 2


async def test_a_non_s3_etag_is_not_taken_for_an_md5(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 1000)
    env.storage.s3 = False
    env.storage.etag = '"' + "ab" * 16 + '"'
    path = await download_media(env.client._requester, MEDIA, tmp_path, default_name="n.mka")
    assert path.read_bytes() == data


def test_checksum_policy() -> None:
    md5 = hashlib.md5(b"x").hexdigest()
    s3 = {"x-amz-request-id": "R"}
    assert expected_md5({**s3, "ETag": f'"{md5}"'}) == (md5, "ETag")
    assert expected_md5({"Server": "AmazonS3", "ETag": f'"{md5.upper()}"'}) == (md5, "ETag")
    assert expected_md5({**s3, "ETag": f'"{md5}-3"'}) is None  # multipart upload
    assert expected_md5({**s3, "ETag": f'W/"{md5}"'}) is None
    assert expected_md5({**s3, "ETag": md5, "x-amz-server-side-encryption": "aws:kms"}) is None
    assert expected_md5({"ETag": f'"{md5}"'}) is None  # not S3: ETags are opaque
    content_md5 = {"Content-MD5": "nTUxpCS2gNYvQxrCkCWnkA=="}
    assert expected_md5(content_md5) == ("9d3531a424b680d62f431ac29025a790", "Content-MD5")
    assert parse_content_range("bytes 5-9/10") == (5, 10)
    assert parse_content_range("bytes 5-9/*") == (5, None)
    assert parse_content_range("bytes */10") is None


async def test_final_failure_leaves_nothing_and_keeps_the_old_file(
    env: MediaEnv, tmp_path: Path
) -> None:
    env.add(RT, 100_000)
    env.storage.fail_status = 500
    old = tmp_path / "f.mka"
    old.write_bytes(b"old")
    with pytest.raises(errors.InternalServerError) as caught:
        await download_media(
            env.client._requester, MEDIA, tmp_path, default_name="f.mka", max_attempts=3
        )
    assert caught.value.retries_taken == 2
    assert len(env.storage.requests) == 3
    assert files_in(tmp_path) == ["f.mka"] and old.read_bytes() == b"old"


async def test_failure_after_partial_bytes_removes_the_temporary_file(
    env: MediaEnv, tmp_path: Path
) -> None:
    env.add(RT, 2 * MIB)
    env.storage.cut_after, env.storage.cut_times = 1_200_000, 1
    env.storage.expire_used = True
    env.api.not_ready.add(RT)  # re-resolving fails once the first URL is spent
    with pytest.raises(errors.MediaNotReadyError):
        await download_media(env.client._requester, MEDIA, tmp_path, default_name="p.mka")
    assert files_in(tmp_path) == []


async def test_cancellation_leaves_no_file(env: MediaEnv, tmp_path: Path) -> None:
    env.add(RT, 3 * MIB)
    env.storage.chunk_delay = 0.01
    started = asyncio.Event()

    def on_progress(event: Progress) -> None:
        if event.kind is ProgressKind.BYTES:
            started.set()

    task = asyncio.ensure_future(
        download_media(
            env.client._requester, MEDIA, tmp_path, default_name="c.mka", progress=on_progress
        )
    )
    await asyncio.wait_for(started.wait(), 10)
    part, sidecar = files_in(tmp_path)  # the temporary file exists while downloading...
    assert sidecar == part + ".json"  # ...with the record of what it holds...
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files_in(tmp_path) == []  # ...and neither it nor a final file is left


async def test_skip_existing(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 10_000)
    done = tmp_path / "k.mka"
    done.write_bytes(data)
    kept = await download_media(
        env.client._requester,
        MEDIA,
        done,
        default_name="k",
        skip_existing=True,
        expected_size=len(data),
    )
    assert kept == done and env.api.hits == 0  # known size: no request at all
    await download_media(env.client._requester, MEDIA, done, default_name="k", skip_existing=True)
    assert len(env.storage.requests) == 1  # size checked against Content-Length; body unread
    done.write_bytes(data[:5000])  # incomplete: downloaded again
    await download_media(env.client._requester, MEDIA, done, default_name="k", skip_existing=True)
    assert done.read_bytes() == data


async def test_overwrite_false_refuses_before_any_request(env: MediaEnv, tmp_path: Path) -> None:
    env.add(RT, 100)
    (tmp_path / "o.mka").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        await download_media(
            env.client._requester, MEDIA, tmp_path, default_name="o.mka", overwrite=False
        )
    assert env.api.hits == 0 and (tmp_path / "o.mka").read_bytes() == b"mine"


@pytest.mark.parametrize("name", ["../up.mka", "a/b.mka", "", ".."])
async def test_default_name_must_be_a_plain_name(env: MediaEnv, tmp_path: Path, name: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match="plain name"):
        await download_media(env.client._requester, MEDIA, tmp_path, default_name=name)


async def test_progress_events(env: MediaEnv, tmp_path: Path) -> None:
    data = env.add(RT, 3 * MIB + 7)
    events: list[Progress] = []

    async def on_progress(event: Progress) -> None:
        events.append(event)

    path = await download_media(
        env.client._requester, MEDIA, tmp_path, default_name="g.mka", progress=on_progress
    )
    kinds = [e.kind for e in events]
    assert kinds[0] is ProgressKind.STARTED and kinds[-1] is ProgressKind.FINISHED
    assert set(kinds[1:-1]) == {ProgressKind.BYTES}
    done = [e.bytes_done for e in events]
    assert done == sorted(done) and done[-1] == len(data)
    assert all(e.bytes_total == len(data) and e.path == path for e in events)
    assert all(e.bytes_done - d <= MIB + 64 * 1024 for e, d in zip(events[1:], done, strict=False))
    last = events[-1]
    assert (last.files_finished, last.files_total, last.overall_bytes) == (1, 1, len(data))


async def test_a_raising_progress_callback_stops_the_download(
    env: MediaEnv, tmp_path: Path
) -> None:
    env.add(RT, 2 * MIB)

    def on_progress(event: Progress) -> None:
        if event.kind is ProgressKind.BYTES:
            raise ValueError("callback bug")

    with pytest.raises(ValueError, match="callback bug"):
        await download_media(
            env.client._requester, MEDIA, tmp_path, default_name="b.mka", progress=on_progress
        )
    assert files_in(tmp_path) == []


async def test_https_base_url_client_never_downloads_over_http(tmp_path: Path) -> None:
    async with media_env(https_client=True) as env:
        env.add(RT, 100)
        with pytest.raises(errors.UnexpectedRedirectError):
            await download_media(env.client._requester, MEDIA, tmp_path, default_name="h.mka")
        assert env.storage.requests == [] and files_in(tmp_path) == []


@pytest.mark.parametrize(
    ("disposition", "content_type", "expected"),
    [
        (None, "audio/x-matroska", f"{RT}.mka"),
        (None, "video/x-matroska", f"{RT}.mkv"),
        (None, "application/octet-stream", RT),
        # Never storage's name: it would choose which file in the directory is replaced.
        ('attachment; filename="talk.mkv"', "audio/x-matroska", f"{RT}.mka"),
        ('attachment; filename="../evil.mka"', "audio/x-matroska", f"{RT}.mka"),
        ('attachment; filename=".hidden"', "video/mp4", f"{RT}.mp4"),
    ],
)
async def test_without_a_name_the_sid_and_content_type_name_the_file(
    env: MediaEnv, tmp_path: Path, disposition: str | None, content_type: str, expected: str
) -> None:
    data = env.add(RT, 1000)
    env.storage.extra_headers = {"Content-Type": content_type}
    if disposition:
        env.storage.extra_headers["Content-Disposition"] = disposition
    path = await download_media(env.client._requester, MEDIA, tmp_path)
    assert path == tmp_path / expected and path.read_bytes() == data
    assert files_in(tmp_path) == [expected]


async def test_a_cut_while_streaming_is_a_connection_error(env: MediaEnv) -> None:
    env.add(RT, 1 * MIB)
    env.storage.cut_after, env.storage.cut_times = 100_000, 1
    with pytest.raises(errors.APIConnectionError, match=r"storage host 127\.0\.0\.1") as caught:
        async with stream_media(env.client._requester, MEDIA) as media:
            async for _chunk in media.iter_bytes():
                pass
    error = caught.value
    assert "Signature" not in str(error) and error.__cause__ is None and error.__context__ is None
