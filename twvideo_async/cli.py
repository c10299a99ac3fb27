"""The ``twvideo`` command: list and manage rooms, download recordings and compositions, and
run the local emulator. Credentials come from the environment (``TWILIO_API_KEY_SID`` /
``TWILIO_API_KEY_SECRET``); ``--emulator`` runs everything against a seeded local emulator.

Exit status: 0 on success, 1 when Twilio or a download failed, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import errors
from ._client import VideoClient

if TYPE_CHECKING:
    from .testing import Emulator

EXIT_FAILED = 1
EXIT_USAGE = 2


def _when(text: str) -> datetime:
    """ISO date or datetime; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date, e.g. 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twvideo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="start a seeded local emulator and run the command against it (no account needed)",
    )
    parser.add_argument("--base-url", help="API base URL (default https://video.twilio.com)")
    parser.add_argument("--seed-rooms", type=_positive, default=3, help="emulator: rooms to seed")
    parser.add_argument(
        "--seed-media-size", type=_positive, default=1 << 20, help="emulator: bytes per media file"
    )
    groups = parser.add_subparsers(dest="group", required=True)

    rooms = groups.add_parser("rooms", help="list, show and end rooms").add_subparsers(
        dest="command", required=True
    )
    listing = rooms.add_parser("list", help="list rooms (in-progress unless --status)")
    listing.add_argument("--status", help="in-progress (default), completed or failed")
    listing.add_argument("--limit", type=_positive, default=50)
    rooms.add_parser("show", help="show one room").add_argument("room", help="SID or unique name")
    rooms.add_parser("complete", help="end a room now").add_argument("room")

    for name in ("recordings", "compositions"):
        sub = groups.add_parser(name, help=f"list and download {name}").add_subparsers(
            dest="command", required=True
        )
        listing = sub.add_parser("list", help=f"list {name}")
        _filters(listing)
        listing.add_argument("--limit", type=_positive, default=50)
        download = sub.add_parser("download", help=f"download the media of {name}")
        _filters(download)
        download.add_argument("--dest", type=Path, default=Path(name), help="target directory")
        download.add_argument("--concurrency", type=_positive, default=8)
        download.add_argument("--limit", type=_positive, help="at most this many files")
        download.add_argument("--no-progress", action="store_true", help="no progress bars")
        if name == "compositions":
            create = sub.add_parser("create", help="compose a completed room")
            create.add_argument("--room", required=True, help="room SID (RM...)")
            create.add_argument("--audio-sources", nargs="*", default=["*"])
            create.add_argument("--layout", choices=["grid", "none"], default="grid")
            create.add_argument("--format", choices=["mp4", "webm"], default="mp4")
            create.add_argument("--resolution", default=None, help="e.g. 1280x720")

    emulator = groups.add_parser("emulator", help="run the local emulator until interrupted")
    emulator.add_argument("--port", type=int, default=8089)
    emulator.add_argument("--storage-port", type=int, default=0)
    emulator.add_argument("--seed", type=int, default=0)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--room", help="only this room (RM...)")
    parser.add_argument("--status", default=None, help="status filter (download: completed)")
    parser.add_argument("--since", type=_when, help="created at or after (ISO date, UTC)")
    parser.add_argument("--until", type=_when, help="created before (ISO date, UTC)")


@contextlib.asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[VideoClient]:
    if not args.emulator:
        async with VideoClient(base_url=args.base_url) as client:
            yield client
        return
    from .testing import Emulator

    emu: Emulator
    async with Emulator(seed=1) as emu:
        emu.seed(
            rooms=args.seed_rooms,
            recordings_per_room=4,
            compositions_per_room=1,
            media_size=args.seed_media_size,
        )
        sid, secret = emu.credentials
        async with VideoClient(sid, secret, base_url=emu.base_url) as client:
            yield client


async def _rooms(client: VideoClient, args: argparse.Namespace) -> int:
    from . import _cli_output as show

    if args.command == "list":
        rooms = client.rooms.list(status=args.status, limit=args.limit)
        rows = [(r.sid, r.unique_name, r.status, r.date_created, r.duration) async for r in rooms]
        show.table("Rooms", ("sid", "unique name", "status", "created", "duration s"), rows)
        return 0
    room = await (
        client.rooms.fetch(args.room)
        if args.command == "show"
        else client.rooms.complete(args.room)
    )
    show.details(f"Room {room.sid}", ((f, getattr(room, f)) for f in _ROOM_FIELDS))
    return 0


_ROOM_FIELDS = (
    "sid",
    "unique_name",
    "status",
    "type",
    "date_created",
    "end_time",
    "duration",
    "max_participants",
    "record_participants_on_connect",
    "media_region",
)


def _listing(client: VideoClient, args: argparse.Namespace, default_status: str | None) -> Any:
    status = args.status or default_status
    if args.group == "recordings":
        return client.recordings.list(
            status=status,
            grouping_sid=[args.room] if args.room else None,
            date_created_after=args.since,
            date_created_before=args.until,
            limit=args.limit,
        )
    return client.compositions.list(
        status=status,
        room_sid=args.room,
        date_created_after=args.since,
        date_created_before=args.until,
        limit=args.limit,
    )


async def _media(client: VideoClient, args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .rules import grid

    resource = client.recordings if args.group == "recordings" else client.compositions
    if args.command == "list":
        rows = [
            (m.sid, m.status, m.date_created, m.size, m.duration, _room_of(m))
            async for m in _listing(client, args, None)
        ]
        columns = ("sid", "status", "created", "bytes", "duration s", "room")
        show.table(args.group.capitalize(), columns, rows)
        return 0
    if args.command == "create":
        comp = await client.compositions.create(
            room_sid=args.room,
            audio_sources=args.audio_sources,
            video_layout=grid() if args.layout == "grid" else None,
            format=args.format,
            resolution=args.resolution,
        )
        show.out.print(f"{comp.sid} {getattr(comp.status, 'value', comp.status)}")
        return 0
    with show.DownloadProgress(enabled=not args.no_progress and show.err.is_terminal) as bars:
        result = await resource.download_many(
            _listing(client, args, "completed"),
            args.dest,
            concurrency=args.concurrency,
            progress=bars,
        )
    show.summary(result)
    return EXIT_FAILED if result.failed else 0


def _room_of(media: Any) -> str | None:
    grouping = getattr(media, "grouping_sids", None)
    if grouping:
        return str(grouping.get("room_sid"))
    return getattr(media, "room_sid", None)


async def _emulator(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .testing import Seed, serve

    def ready(emu: Emulator) -> None:
        sid, secret = emu.credentials
        show.out.print(f"API     {emu.base_url}\nstorage {emu.storage_url}")
        show.out.print(f"export TWILIO_API_KEY_SID={sid} TWILIO_API_KEY_SECRET={secret}")
        show.out.print(f"twvideo --base-url {emu.base_url} recordings list")

    await serve(
        port=args.port,
        storage_port=args.storage_port,
        seed=args.seed,
        populate_with=Seed(rooms=3, recordings_per_room=4, media_size=1 << 20),
        on_ready=ready,
    )
    return 0


async def run(args: argparse.Namespace) -> int:
    if args.group == "emulator":
        return await _emulator(args)
    async with _client(args) as client:
        if args.group == "rooms":
            return await _rooms(client, args)
        return await _media(client, args)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from . import _cli_output as show
    except ImportError:
        print("twvideo needs the cli extra: pip install 'twvideo_async[cli]'", file=sys.stderr)
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        show.err.print("interrupted")
        return 130
    except errors.ConfigurationError as exc:
        show.err.print(f"error: {show.one_line(exc)}")
        return EXIT_USAGE
    except errors.TwilioVideoError as exc:
        show.err.print(f"error: {show.one_line(exc)}")
        return EXIT_FAILED
    except OSError as exc:
        show.err.print(f"error: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
