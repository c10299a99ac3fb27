"""Downloads never keep a bad file: write errors, short or overlong bodies, storage-chosen names
and changed objects (issue 12, items 5-8). Storage is a real server on 127.0.0.1: the loopback
pair from ``media_servers`` or, for bodies aiohttp would not send, a raw asyncio server."""

from __future__ import annotations

import asyncio
import errno
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.media_servers import MediaEnv, files_in, media_env, sid
from twvideo_async import errors
from twvideo_async._media import partfile
from twvideo_async._media.resolve import MediaPath
from twvideo_async._media.transfer import download_media

RT = sid("RT", 20)
MEDIA = MediaPath.recording(RT)
MIB = 1024 * 1024


@pytest.fixture
async def env() -> AsyncIterator[MediaEnv]:
    async with media_env() as media:
        yield media


# --- item 5: a write error removes the temporary file and names the target ---------------------


class FullDisk:
    """A file whose writes fail with ENOSPC once ``room`` bytes are in, and whose close fails
    again while flushing (as a buffered file on a full disk does)."""

    def __init__(self, real: Any, room: int) -> None:
        self._real = real
        self._room = room
        self._written = 0

    def write(self, data: bytes) -> int:
        if self._written + len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._written += len(data)
        return int(self._real.write(data))

    def close(self) -> None:
        self._real.close()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.mark.parametrize("existing", [False, True])
async def test_a_full_disk_removes_the_part_file_and_names_the_target(
    env: MediaEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    env.add(RT, 3 * MIB)
    target = tmp_path / "talk.mka"
    if existing:
        target.write_bytes(b"the old version")

    def full_disk_open(path: Any, mode: str) -> Any:
        return FullDisk(open(path, mode), room=MIB)

    monkeypatch.setattr(partfile, "open", full_disk_open, raising=False)
    with pytest.raises(errors.MediaWriteError) as caught:
        await download_media(env.client._requester, MEDIA, target)
    error = caught.value
    assert isinstance(error, OSError) and isinstance(error, errors.TwilioVideoError)
    assert error.errno == errno.ENOSPC and error.filename == str(target)
    assert str(target) in str(error)
    assert files_in(tmp_path) == (["talk.mka"] if existing else [])
    if existing:
        assert target.read_bytes() == b"the old version"


_CHILD = textwrap.dedent(
    """
    import asyncio, json, resource, signal, sys
    from pathlib import Path
    from twvideo_async import VideoClient, errors
    from twvideo_async.testing import Emulator

    async def main(dest: Path) -> dict:
        async with Emulator() as emu:
            sid = emu.seed(rooms=1, recordings_per_room=1, media_size=3 << 20).recordings[0]
            # The file size limit applies from here on: the emulator holds media in memory.
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
            async with VideoClient(*emu.credentials, base_url=emu.base_url) as client:
                try:
                    await client.recordings.download(sid, dest)
                except errors.MediaWriteError as exc:
                    return {"errno": exc.errno, "filename": exc.filename, "message": str(exc),
                            "files": sorted(p.name for p in dest.iterdir()), "sid": sid}
        return {"errno": None}

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    print(json.dumps(asyncio.run(main(Path(sys.argv[1])))))
    """
)


def test_a_file_size_limit_leaves_no_part_file_in_a_subprocess(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(dest)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errno"] == errno.EFBIG
    assert result["filename"] == str(dest / f"{result['sid']}.mka")
    assert result["filename"] in result["message"]
    assert result["files"] == [] and files_in(dest) == []


# --- item 6: known size: short bodies never committed, long ones cut off and refused ----------

Body = Callable[[asyncio.StreamWriter, int], Awaitable[None]]


@pytest.fixture
async def raw_storage(env: MediaEnv) -> AsyncIterator[Callable[[Body], Awaitable[list[int]]]]:
    """A raw HTTP/1.1 storage host (bodies aiohttp.web would not produce); ``await serve(body)``
    makes ``/Media`` point at it, answers every request with ``body(writer, range_start)`` and
    returns the list of range starts it saw."""
    servers: list[asyncio.Server] = []

    async def serve(body: Body) -> list[int]:
        starts: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            start = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("range: bytes="):
                    start = int(line.split("=", 1)[1].rstrip("-"))
            starts.append(start)
            try:
                await body(writer, start)
            except ConnectionError:
                pass  # the client hung up, as it should on an overlong body
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        env.api.target = f"http://127.0.0.1:{port}/bucket/{RT}"
        return starts

    yield serve
    for server in servers:
        server.close()
        await server.wait_closed()


def _head(status: str, extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: audio/x-matroska\r\n{extra}".encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


DATA = bytes(range(256)) * 800  # 204,800 bytes


async def _short_chunked_once(writer: asyncio.StreamWriter, start: int) -> None:
    """The first answer ends (cleanly, chunked) after 50,000 bytes; a resume sends the rest."""
    if start == 0:
        writer.write(_head("200 OK", "Transfer-Encoding: chunked\r\n\r\n"))
        writer.write(_chunk(DATA[:50_000]) + b"0\r\n\r\n")
    else:
        extra = f"Content-Range: bytes {start}-{len(DATA) - 1}/{len(DATA)}\r\n"
        writer.write(_head("206 Partial Content", extra + "Transfer-Encoding: chunked\r\n\r\n"))
        writer.write(_chunk(DATA[start:]) + b"0\r\n\r\n")
    await writer.drain()


async def _short_close_delimited_always(writer: asyncio.StreamWriter, start: int) -> None:
    writer.write(_head("200 OK", "Connection: close\r\n\r\n"))
    writer.write(DATA[:50_000])
    await writer.drain()


async def _short_content_length_always(writer: asyncio.StreamWriter, start: int) -> None:
    writer.write(_head("200 OK", f"Content-Length: {len(DATA)}\r\n\r\n"))
    writer.write(DATA[:50_000])
    await writer.drain()


async def test_a_chunked_body_that_ends_short_is_resumed_not_committed(
    env: MediaEnv, raw_storage: Any, tmp_path: Path
) -> None:
    starts = await raw_storage(_short_chunked_once)
    target = tmp_path / "a.mka"
    await download_media(env.client._requester, MEDIA, target, expected_size=len(DATA))
    assert target.read_bytes() == DATA
    assert starts == [0, 50_000]


@pytest.mark.parametrize("body", [_short_close_delimited_always, _short_content_length_always])
async def test_a_body_that_always_ends_short_is_never_committed(
    env: MediaEnv, raw_storage: Any, tmp_path: Path, body: Body
) -> None:
    starts = await raw_storage(body)
    target = tmp_path / "a.mka"
    with pytest.raises(errors.APIError):
        await download_media(
            env.client._requester, MEDIA, target, expected_size=len(DATA), max_attempts=3
        )
    assert files_in(tmp_path) == []
    assert len(starts) >= 2


async def test_an_endless_chunked_body_is_cut_off_at_the_expected_size(
    env: MediaEnv, raw_storage: Any, tmp_path: Path
) -> None:
    sent: list[int] = []

    async def endless(writer: asyncio.StreamWriter, start: int) -> None:
        writer.write(_head("200 OK", "Transfer-Encoding: chunked\r\n\r\n"))
        total = 0
        while total < 64 * MIB:  # a bound for the test only: the client must stop far sooner
            writer.write(_chunk(DATA[:65_536]))
            total += 65_536
            await writer.drain()
        sent.append(total)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    starts = await raw_storage(endless)
    target = tmp_path / "a.mka"
    sizes: list[int] = []
    with pytest.raises(errors.IntegrityError, match="more than the 100000 bytes"):
        await download_media(
            env.client._requester,
            MEDIA,
            target,
            expected_size=100_000,
            max_attempts=2,
            progress=lambda event: sizes.append(event.bytes_done),
        )
    assert files_in(tmp_path) == []
    assert len(starts) == 2
    assert sent == []  # no answer ran to its (test-only) end: the client hung up each time
    assert max(sizes) <= 100_000


async def test_content_length_past_the_listed_size_is_refused(
    env: MediaEnv, tmp_path: Path
) -> None:
    env.add(RT, 300_000)
    with pytest.raises(errors.IntegrityError):
        await download_media(
            env.client._requester, MEDIA, tmp_path / "a.mka", expected_size=200_000, max_attempts=1
        )
    assert files_in(tmp_path) == []


# --- item 7: a directory target is named by the SID, never by storage ------------------------


@pytest.mark.parametrize(
    "disposition",
    ['attachment; filename="notes.txt"', 'inline; filename="RT00.mka"', "attachment; filename=x"],
)
async def test_content_disposition_never_names_a_file_in_a_directory(
    env: MediaEnv, tmp_path: Path, disposition: str
) -> None:
    data = env.add(RT, 10_000)
    (tmp_path / "notes.txt").write_text("my notes")
    env.storage.extra_headers = {"Content-Disposition": disposition}
    path = await env.client.recordings.download(RT, tmp_path)
    assert path == tmp_path / f"{RT}.mka" and path.read_bytes() == data
    assert (tmp_path / "notes.txt").read_text() == "my notes"
    assert files_in(tmp_path) == sorted([f"{RT}.mka", "notes.txt"])
    summary = await env.client.recordings.download_many([RT], tmp_path / "many")
    assert [r.path for r in summary.results] == [tmp_path / "many" / f"{RT}.mka"]


# --- item 8: a resumed answer must be the same object ----------------------------------------

V1 = bytes([1]) * 300_000
V2 = bytes([2]) * 300_000


@pytest.fixture
async def changing() -> AsyncIterator[tuple[MediaEnv, dict[str, Any]]]:
    """The object changes after the first answer, which is cut after 100,000 bytes."""
    state: dict[str, Any] = {"calls": 0, "resume_headers": {}}

    async def storage(request: web.Request) -> web.StreamResponse:
        state["calls"] += 1
        first = state["calls"] == 1
        data = V1 if first else V2
        headers = {"Content-Type": "audio/x-matroska", **(state["first"] if first else {})}
        rng = request.headers.get("Range")
        if rng:
            start = int(rng[6:-1])
            headers.update(state["resume_headers"])
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            resp = web.StreamResponse(status=206, headers=headers)
            resp.content_length = len(data) - start
            await resp.prepare(request)
            await resp.write(data[start:])
            return resp
        if not first:
            headers.update(state["second"])
        resp = web.StreamResponse(status=200, headers=headers)
        resp.content_length = len(data)
        await resp.prepare(request)
        if first:
            await resp.write(data[:100_000])
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write(data)
        return resp

    async with media_env() as env:
        app = web.Application()
        app.router.add_get("/{tail:.*}", storage)
        async with TestServer(app, host="127.0.0.1") as server:
            env.api.target = str(server.make_url(f"/bucket/{RT}"))
            yield env, state


@pytest.mark.parametrize(
    ("first", "resume", "second"),
    [
        ({"ETag": '"v1"'}, {}, {"ETag": '"v2"'}),  # the resume lost its ETag
        ({"ETag": '"v1"'}, {"ETag": '"v2"'}, {"ETag": '"v2"'}),  # a new ETag
        (  # no ETag at all, but Last-Modified changed
            {"Last-Modified": "Mon, 01 Dec 2025 10:00:00 GMT"},
            {"Last-Modified": "Tue, 02 Dec 2025 10:00:00 GMT"},
            {"Last-Modified": "Tue, 02 Dec 2025 10:00:00 GMT"},
        ),
        ({"Last-Modified": "Mon, 01 Dec 2025 10:00:00 GMT"}, {}, {}),  # Last-Modified dropped
    ],
)
async def test_a_resume_from_another_version_restarts_instead_of_splicing(
    changing: tuple[MediaEnv, dict[str, Any]],
    tmp_path: Path,
    first: dict[str, str],
    resume: dict[str, str],
    second: dict[str, str],
) -> None:
    env, state = changing
    state.update(first=first, resume_headers=resume, second=second)
    target = tmp_path / "a.mka"
    await download_media(env.client._requester, MEDIA, target)
    content = target.read_bytes()
    assert content == V2  # one whole version, never V1's head with V2's tail
    # The cut 200, then a refused 206 (if any byte of v1 was kept) and a full 200.
    assert state["calls"] in (2, 3)
