"""The ``twvideo`` command: list and manage rooms, download recordings and compositions, and
run the local emulator.

Each command group is a module with a ``register(commands)`` function (see ``_cli_base``);
:data:`GROUPS` lists them in the order ``--help`` shows them. This module builds the parser,
runs the chosen handler and turns every expected failure into one line and an exit status:
0 on success, 1 when Twilio or a download failed, 2 for bad usage or bad input, 130 on Ctrl-C,
143 on SIGTERM (handled like Ctrl-C: downloads in flight remove their temporary files).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence

from . import _cli_archive, _cli_emulator, _cli_media, _cli_rooms, errors
from . import _cli_base as base
from ._version import __version__

# Each registers one command group; a new group is one more entry here.
GROUPS: tuple[Callable[[base.Commands], None], ...] = (
    _cli_rooms.register,
    _cli_media.register,
    _cli_archive.register,
    _cli_emulator.register,
)

DESCRIPTION = """\
List and manage Twilio Video rooms, download recordings and compositions, and run the bundled
local emulator.

Credentials come from the environment: TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET, or
TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN. --emulator instead runs the command against a
seeded local emulator (no account needed). The options above the commands are also accepted
after the command, e.g. `twvideo recordings list --emulator`.
"""

EPILOG = """\
exit status: 0 success, 1 Twilio or a download failed, 2 bad usage or bad input, 130 Ctrl-C,
143 SIGTERM
"""


def build_parser() -> base.Parser:
    parser = base.Parser(
        prog="twvideo",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"twvideo {__version__}")
    base.add_global_options(parser, top=True)
    parser.set_defaults(command_parser=parser)
    commands: base.Commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", dest="group"
    )
    for register in GROUPS:
        register(commands)
    return parser


def _usable_streams() -> bool:
    """False when stdout is closed (``>&-``): there would be nowhere to print results."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        print(  # noqa: T201 - before rich: stdout is gone, stderr is all there is
            "twvideo: error: standard output is closed; redirect it instead (>/dev/null)",
            file=sys.stderr,
        )
        return False
    return True


class _Stopped(Exception):
    """SIGINT or SIGTERM arrived: the command's work was cancelled and has cleaned up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _quiet_cancelled_thread_results(
    loop: asyncio.AbstractEventLoop, context: dict[str, object]
) -> None:
    """Drop one known asyncio race at interruption: a worker thread (a file write) finishing
    just as its awaiting task is cancelled makes ``_chain_future`` set a result on a cancelled
    future and log ``InvalidStateError`` with a traceback. The work was cancelled and cleaned up;
    anything else goes to the default handler."""
    if isinstance(context.get("exception"), asyncio.InvalidStateError) and "_chain_future" in repr(
        context.get("handle")
    ):
        return
    loop.default_exception_handler(context)


async def _run(handler: base.Handler, args: argparse.Namespace) -> int:
    """Run ``handler`` with SIGINT (Ctrl-C) and SIGTERM (``timeout``, ``kill``, service managers)
    cancelling it, so every download removes its temporary file and every archive run releases
    its work before the process exits.

    Both signals are taken by the loop rather than left to Python's default: on 3.10,
    ``asyncio.run`` lets Ctrl-C raise ``KeyboardInterrupt`` wherever the loop happens to be,
    inside a task's cleanup or in asyncio's own bookkeeping, instead of cancelling the work."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_cancelled_thread_results)
    task = asyncio.current_task()
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        if task is not None:
            task.cancel()

    installed: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop, signum)
            installed.append(signum)
    try:
        return await handler(args)
    except asyncio.CancelledError:
        if received:
            raise _Stopped(received[0]) from None
        raise
    finally:
        for taken in installed:
            loop.remove_signal_handler(taken)


def main(argv: Sequence[str] | None = None) -> int:
    if not _usable_streams():
        return base.EXIT_USAGE
    try:
        from . import _cli_output as show
    except ImportError:
        # rich (the cli extra) is what prints everything else; without it, plain stderr.
        print("twvideo needs the cli extra: pip install 'twvideo_async[cli]'", file=sys.stderr)  # noqa: T201
        return base.EXIT_USAGE
    try:
        args = build_parser().parse_args(argv)
        # The command line as given: `archive run --workers N` starts children with it.
        args.argv = list(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else base.EXIT_USAGE
    handler: base.Handler | None = getattr(args, "handler", None)
    if handler is None:
        chosen: argparse.ArgumentParser = args.command_parser
        names = [
            name
            for action in chosen._actions
            if isinstance(action, argparse._SubParsersAction)
            for name in action.choices
        ]
        with contextlib.suppress(SystemExit):
            chosen.error(f"choose a command: {', '.join(names)}")
        return base.EXIT_USAGE
    try:
        base.check_global_options(args)
        return asyncio.run(_run(handler, args))
    except KeyboardInterrupt:  # before the loop took SIGINT over, or where it cannot
        show.failure("interrupted")
        return 128 + signal.SIGINT
    except _Stopped as stopped:
        word = "interrupted" if stopped.signum == signal.SIGINT else "terminated"
        hint: str | None = args.stop_hint  # every command has one (add_command sets it)
        show.failure(f"{word}: {hint}" if hint else word)
        return 128 + stopped.signum
    except BrokenPipeError:
        # The reader went away (`twvideo recordings list | head`): stop quietly, as tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except base.CliError as exc:
        show.failure(str(exc))
        return exc.status
    except (errors.ConfigurationError, errors.InvalidRequestError) as exc:
        show.failure(show.one_line(exc))
        return base.EXIT_USAGE
    except errors.TwilioVideoError as exc:
        show.failure(show.one_line(exc, credentials=getattr(args, "credentials", None)))
        return base.EXIT_FAILED
    except OSError as exc:
        show.failure(show.one_line(exc))
        return base.EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
