"""``twvideo recordings`` and ``twvideo compositions``: list, download, and create compositions."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from . import _cli_base as base
from ._client import VideoClient
from .models.enums import CompositionStatus, RecordingStatus

RECORDING_STATUSES = tuple(s.value for s in RecordingStatus)
COMPOSITION_STATUSES = tuple(s.value for s in CompositionStatus)


def register(commands: base.Commands) -> None:
    groups: dict[str, base.Commands] = {}
    for group, statuses in (
        ("recordings", RECORDING_STATUSES),
        ("compositions", COMPOSITION_STATUSES),
    ):
        sub = groups[group] = base.add_group(commands, group, help=f"list and download {group}")
        listing = base.add_command(sub, "list", _list, help=f"list {group}")
        _filters(listing, statuses, default="any")
        listing.add_argument(
            "--limit", type=base.positive, default=50, help="at most this many rows (default: 50)"
        )
        base.add_json_option(listing)
        download = base.add_command(
            sub,
            "download",
            _download,
            help=f"download the media of {group}",
            description=f"Download the media of {group} into a directory. Files already "
            "complete there are skipped, so a rerun finishes an interrupted batch.",
        )
        _filters(download, statuses, default="completed")
        download.add_argument(
            "--dest",
            type=base.directory,
            default=Path(group),
            metavar="DIR",
            help=f"target directory, created if missing (default: ./{group})",
        )
        download.add_argument(
            "--concurrency",
            type=base.positive,
            default=8,
            metavar="N",
            help="files downloaded at once (default: 8)",
        )
        download.add_argument(
            "--limit",
            type=base.positive,
            metavar="N",
            help="at most this many files (default: all)",
        )
        download.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bars (they are shown only when stderr is a terminal)",
        )
        base.add_json_option(download)
    create = base.add_command(
        groups["compositions"],
        "create",
        _create,
        help="compose a completed room",
    )
    create.add_argument(
        "--room", required=True, type=base.room_sid, help="SID of a completed room (RM...)"
    )
    create.add_argument(
        "--audio-sources",
        nargs="*",
        default=["*"],
        metavar="TRACK",
        help="audio track names or SIDs, `*` wildcards allowed (default: '*', every track)",
    )
    create.add_argument(
        "--layout",
        choices=["grid", "none"],
        default="grid",
        help="video layout: every video track in a grid, or audio only (default: grid)",
    )
    create.add_argument("--format", choices=["mp4", "webm"], default="mp4", help="(default: mp4)")
    create.add_argument(
        "--resolution",
        metavar="WxH",
        help="e.g. 1280x720; 16..1280 per side, at most 921,600 pixels (default: Twilio's 640x480)",
    )
    base.add_json_option(create)


def _filters(parser: argparse.ArgumentParser, statuses: tuple[str, ...], default: str) -> None:
    parser.add_argument(
        "--room",
        action="append",
        type=base.room_sid,
        metavar="RM...",
        help="only this room; repeat for several (default: every room)",
    )
    parser.add_argument("--status", choices=statuses, help=f"only this status (default: {default})")
    parser.add_argument(
        "--since", type=base.when, metavar="DATE", help="created at or after (ISO date, UTC)"
    )
    parser.add_argument(
        "--until", type=base.when, metavar="DATE", help="created before (ISO date, UTC)"
    )


async def _matching(
    client: VideoClient, args: argparse.Namespace, status: str | None, limit: int | None
) -> AsyncIterator[Any]:
    """The items the filters select, room after room when --room is repeated."""
    rooms: list[str | None] = list(dict.fromkeys(args.room)) if args.room else [None]
    left = limit
    for room in rooms:
        if left is not None and left <= 0:
            return
        common: dict[str, Any] = {
            "status": status,
            "date_created_after": args.since,
            "date_created_before": args.until,
            "limit": left,
        }
        if args.group == "recordings":
            listing: Any = client.recordings.list(grouping_sid=[room] if room else None, **common)
        else:
            listing = client.compositions.list(room_sid=room, **common)
        async for item in listing:
            yield item
            if left is not None:
                left -= 1


async def _list(args: argparse.Namespace) -> int:
    from . import _cli_output as show

    async with base.open_client(args) as client:
        items = [m async for m in _matching(client, args, args.status, args.limit + 1)]
    more = len(items) > args.limit
    items = items[: args.limit]
    if args.json:
        show.json_document([m.raw for m in items])
    else:
        rows = [
            (m.sid, m.status, m.date_created, show.mib(m.size), m.duration, _room_of(m))
            for m in items
        ]
        columns = ("sid", "status", "created", "MiB", "duration s", "room")
        show.table(args.group.capitalize(), columns, rows)
    if more:
        show.note(f"stopped at --limit {args.limit}; more {args.group} match (raise --limit)")
    return base.EXIT_OK


def check_dest(dest: Path) -> Path:
    """Make sure files can be written into ``dest`` before anything is downloaded."""
    if dest.exists() and not dest.is_dir():
        raise base.CliError(f"--dest {dest} is a file, not a directory; pass a directory")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=dest, prefix=".twvideo-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise base.CliError(
            f"--dest {dest} is not a writable directory ({reason}); pick another or fix its "
            "permissions"
        ) from None
    return dest


async def _download(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from ._cli_progress import DownloadProgress

    base.check_credentials(args)  # before --dest is created
    dest = check_dest(args.dest)
    enabled = not args.no_progress and show.err().is_terminal
    async with base.open_client(args) as client:
        # Listed first: the sizes give the overall bar its total and an ETA.
        listing = _matching(client, args, args.status or "completed", args.limit)
        with show.err().status(f"listing {args.group}…") if enabled else contextlib.nullcontext():
            items = [m async for m in listing]
        sizes = {m.sid: m.size for m in items if isinstance(m.size, int)}
        total = sum(sizes.values()) if len(sizes) == len(items) else None
        resource: Any = client.recordings if args.group == "recordings" else client.compositions
        bars = DownloadProgress(
            show.err(), files=len(items), total_bytes=total, sizes=sizes, enabled=enabled
        )
        with bars:
            result = await resource.download_many(
                items, dest, concurrency=args.concurrency, progress=bars
            )
    if args.json:
        show.json_document(show.summary_document(result))
    else:
        show.summary(result)
    return base.EXIT_FAILED if result.failed else base.EXIT_OK


async def _create(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .rules import grid

    async with base.open_client(args) as client:
        comp = await client.compositions.create(
            room_sid=args.room,
            audio_sources=args.audio_sources,
            video_layout=grid() if args.layout == "grid" else None,
            format=args.format,
            resolution=args.resolution,
        )
    if args.json:
        show.json_document(comp.raw)
    else:
        show.out().print(f"{comp.sid} {show.cell(comp.status)}")
    return base.EXIT_OK


def _room_of(media: Any) -> str | None:
    grouping = getattr(media, "grouping_sids", None)
    if grouping:
        return str(grouping.get("room_sid"))
    return getattr(media, "room_sid", None)
