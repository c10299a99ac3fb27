"""What every ``twvideo`` command group shares: the parser class, the global options, argument
types, exit codes and the client a command talks to.

A command group lives in its own module with a ``register(commands)`` function that adds its
subcommands through :func:`add_group` and :func:`add_command`; ``cli.py`` calls each one. A
command's handler is ``async def handler(args) -> int`` (the exit status); it opens its client
with ``async with open_client(args) as client``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from ._client import VideoClient

if TYPE_CHECKING:
    from ._ratelimit import SharedThrottle
    from .testing import Emulator

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

# The emulator behind --emulator: its SIDs and credentials follow from this seed.
EMULATOR_SEED = 1
SEED_ROOMS = 3
SEED_MEDIA_SIZE = 1 << 20


class CliError(Exception):
    """A failure shown as one line (``twvideo: error: ...``) with an exit status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


class Parser(argparse.ArgumentParser):
    """argparse without abbreviations (``--seed`` must never be read as ``--seed-rooms``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # One line, with where to look, instead of argparse's usage dump.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


if TYPE_CHECKING:
    # What add_subparsers returns (generic only for type checkers).
    Commands = argparse._SubParsersAction[Parser]
else:
    Commands = argparse._SubParsersAction


def add_group(commands: Commands, name: str, *, help: str) -> Commands:
    """A command group such as ``rooms``; returns the collection its commands are added to."""
    parser = commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".")
    add_global_options(parser, top=False)
    sub: Commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    parser.set_defaults(command_parser=parser)
    return sub


def add_command(
    commands: Commands,
    name: str,
    handler: Handler,
    *,
    help: str,
    description: str | None = None,
    stop_hint: str | None = None,
) -> Parser:
    """A command with its handler; the global options are accepted after it too.

    ``stop_hint`` follows "interrupted:" or "terminated:" when SIGINT or SIGTERM stops the
    command (what the cancelled work left behind and how to carry on)."""
    text = description or (help[:1].upper() + help[1:] + ".")
    parser = commands.add_parser(name, help=help, description=text)
    add_global_options(parser, top=False)
    parser.set_defaults(handler=handler, command_parser=parser, stop_hint=stop_hint)
    return parser


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--emulator, --base-url and the emulator's seed options, before or after a command.

    Below the top level the defaults are SUPPRESS, so an option given before the command is not
    overwritten by the command's parser when it is absent after it.
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    target: argparse._ActionsContainer = (
        parser if top else parser.add_argument_group("global options (also before the command)")
    )

    target.add_argument(
        "--emulator",
        action="store_true",
        default=default(False),
        help="start a seeded local emulator and run the command against it (no account needed)",
    )
    target.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help="API origin, e.g. http://127.0.0.1:8089 for `twvideo emulator` "
        "(default: https://video.twilio.com)",
    )
    target.add_argument(
        "--seed-rooms",
        type=positive,
        metavar="N",
        default=default(None),
        help=f"with --emulator or `emulator`: completed rooms to seed, 4 recordings and "
        f"1 composition each (default: {SEED_ROOMS})",
    )
    target.add_argument(
        "--seed-media-size",
        type=positive,
        metavar="BYTES",
        default=default(None),
        help=f"with --emulator or `emulator`: bytes per seeded media file "
        f"(default: {SEED_MEDIA_SIZE})",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on stdout instead of a table (for jq and scripts)",
    )


def when(text: str) -> datetime:
    """ISO date or datetime; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date, e.g. 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number 0-65535 (0 picks a free one), got {text!r}"
        )
    return value


def room_sid(text: str) -> str:
    if re.fullmatch(r"RM[0-9a-fA-F]{32}", text) is None:
        raise argparse.ArgumentTypeError(
            f"expected a room SID ('RM' + 32 hex digits), got {text!r}"
        )
    return text


def directory(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory, got an empty string")
    return Path(text)


def base_url(text: str) -> str:
    """The API origin. A trailing ``/v1`` is dropped: the SDK adds the version itself."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(
            f"--base-url must be an http(s) URL such as https://video.twilio.com, got {text!r}"
        )
    path = parts.path.rstrip("/")
    if path.lower() == "/v1":
        path = ""
    if path or parts.query or parts.fragment or parts.username or parts.password:
        raise CliError(
            f"--base-url takes the API origin only (scheme, host and port, e.g. "
            f"http://127.0.0.1:8089), not {text!r}"
        )
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


_CREDENTIAL_PAIRS = (
    ("TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET"),
    ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"),
)


def credential_names(environ: Any = os.environ) -> str | None:
    """Which environment pair the client will use, as ``NAME / NAME`` (None without any)."""
    for user, secret in _CREDENTIAL_PAIRS:
        if environ.get(user) or environ.get(secret):
            return f"{user} / {secret}"
    return None


def check_global_options(args: argparse.Namespace) -> None:
    """Refuse combinations that would otherwise be ignored silently."""
    if args.emulator and args.base_url is not None:
        raise CliError("--emulator and --base-url cannot be combined: --emulator is its own API")
    if args.base_url is not None:
        args.base_url = base_url(args.base_url)
    seeded = args.seed_rooms is not None or args.seed_media_size is not None
    if seeded and not args.emulator and args.group != "emulator":
        raise CliError(
            "--seed-rooms and --seed-media-size apply only with --emulator or `emulator`"
        )


def check_credentials(args: argparse.Namespace) -> None:
    """Fail before any work when the environment has no credentials (and there is no emulator).

    Also records which pair will be used, so a 401 can name it.
    """
    if args.emulator:
        args.credentials = "the --emulator key"
        return
    names = credential_names()
    if names is None:
        raise CliError(
            "no Twilio credentials: set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (or "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), or add --emulator to try it offline"
        )
    args.credentials = names


@contextlib.asynccontextmanager
async def open_client(
    args: argparse.Namespace,
    throttle: SharedThrottle | None = None,
    *,
    read_rate: float | None = None,
    write_rate: float | None = None,
) -> AsyncIterator[VideoClient]:
    """The client for a command: the account in the environment, or a fresh ``--emulator``.
    ``throttle``: a shared rate limit (``--redis``) instead of the client's own;
    ``read_rate``/``write_rate``: the client's own quotas (requests per second)."""
    check_credentials(args)
    if not args.emulator:
        async with VideoClient(
            base_url=args.base_url, throttle=throttle, read_rate=read_rate, write_rate=write_rate
        ) as client:
            yield client
        return
    from .testing import Emulator, Seed

    emu: Emulator
    async with Emulator(seed=EMULATOR_SEED) as emu:
        emu.seed(
            Seed(
                rooms=args.seed_rooms or SEED_ROOMS,
                recordings_per_room=4,
                compositions_per_room=1,
                media_size=args.seed_media_size or SEED_MEDIA_SIZE,
            )
        )
        sid, secret = emu.credentials
        async with VideoClient(
            sid,
            secret,
            base_url=emu.base_url,
            throttle=throttle,
            read_rate=read_rate,
            write_rate=write_rate,
        ) as client:
            yield client
