"""``twvideo emulator``: run the bundled emulator until Ctrl-C, for demos and manual tests."""

from __future__ import annotations

import argparse
import errno
from typing import TYPE_CHECKING

from . import _cli_base as base

if TYPE_CHECKING:
    from .testing import Emulator


def register(commands: base.Commands) -> None:
    parser = base.add_command(
        commands,
        "emulator",
        _run,
        help="run the local emulator until Ctrl-C",
        description="Run the local Twilio Video emulator until Ctrl-C. It is seeded with "
        "completed rooms, recordings and compositions (--seed-rooms, --seed-media-size) and "
        "prints its URLs and credentials.",
    )
    parser.add_argument(
        "--port", type=base.port, default=8089, help="API port; 0 picks a free one (default: 8089)"
    )
    parser.add_argument(
        "--storage-port",
        type=base.port,
        default=0,
        help="media storage port (default: 0, a free one)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for SIDs, credentials and media bytes; same seed, same data (default: 0)",
    )


async def _run(args: argparse.Namespace) -> int:
    from . import _cli_output as show
    from .testing import Seed, serve

    if args.emulator or args.base_url is not None:
        raise base.CliError(
            "`twvideo emulator` runs an emulator itself: drop --emulator/--base-url"
        )

    def ready(emu: Emulator) -> None:
        sid, secret = emu.credentials
        out = show.out()
        out.print(f"API     {emu.base_url}\nstorage {emu.storage_url}")
        out.print(f"export TWILIO_API_KEY_SID={sid} TWILIO_API_KEY_SECRET={secret}")
        out.print(f"twvideo --base-url {emu.base_url} recordings list")

    seed = Seed(
        rooms=args.seed_rooms or base.SEED_ROOMS,
        recordings_per_room=4,
        media_size=args.seed_media_size or base.SEED_MEDIA_SIZE,
    )
    try:
        await serve(
            port=args.port,
            storage_port=args.storage_port,
            seed=args.seed,
            populate_with=seed,
            on_ready=ready,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise base.CliError(
                "a port is already in use; pick another with --port / --storage-port (0 = free)",
                base.EXIT_FAILED,
            ) from None
        raise
    return base.EXIT_OK
