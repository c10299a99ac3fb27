"""``twvideo rooms``: list rooms, show one, end one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import _cli_base as base

if TYPE_CHECKING:
    from .models import Room

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

STATUSES = ("in-progress", "completed", "failed")


def register(commands: base.Commands) -> None:
    rooms = base.add_group(commands, "rooms", help="list, show and end rooms")
    listing = base.add_command(
        rooms,
        "list",
        _list,
        help="list rooms",
        description="List rooms. Without --status Twilio lists only in-progress rooms.",
    )
    listing.add_argument(
        "--status",
        choices=STATUSES,
        help="rooms in this state (default: in-progress, Twilio's default)",
    )
    listing.add_argument(
        "--limit", type=base.positive, default=50, help="at most this many rooms (default: 50)"
    )
    base.add_json_option(listing)
    show = base.add_command(rooms, "show", _show, help="show one room")
    show.add_argument("room", help="room SID (RM...), or unique name while in progress")
    base.add_json_option(show)
    complete = base.add_command(rooms, "complete", _complete, help="end a room now")
    complete.add_argument("room", help="room SID (RM...), or unique name while in progress")
    base.add_json_option(complete)


async def _list(args: argparse.Namespace) -> int:
    from . import _cli_output as show

    async with base.open_client(args) as client:
        rooms = [r async for r in client.rooms.list(status=args.status, limit=args.limit + 1)]
    more = len(rooms) > args.limit
    rooms = rooms[: args.limit]
    if args.json:
        show.json_document([r.raw for r in rooms])
    else:
        rows = [(r.sid, r.unique_name, r.status, r.date_created, r.duration) for r in rooms]
        title = "Rooms" if args.status else "Rooms in progress"
        show.table(title, ("sid", "unique name", "status", "created", "duration s"), rows)
    if args.status is None:
        show.note("only in-progress rooms are listed by default; --status completed for ended ones")
    if more:
        show.note(f"stopped at --limit {args.limit}; more rooms match (raise --limit)")
    return base.EXIT_OK


async def _show(args: argparse.Namespace) -> int:
    async with base.open_client(args) as client:
        room = await client.rooms.fetch(args.room)
    _print_room(args, room)
    return base.EXIT_OK


async def _complete(args: argparse.Namespace) -> int:
    async with base.open_client(args) as client:
        room = await client.rooms.complete(args.room)
    _print_room(args, room)
    return base.EXIT_OK


def _print_room(args: argparse.Namespace, room: Room) -> None:
    from . import _cli_output as show

    if args.json:
        show.json_document(room.raw)
        return
    show.details(f"Room {room.sid}", ((f, getattr(room, f)) for f in _ROOM_FIELDS))
