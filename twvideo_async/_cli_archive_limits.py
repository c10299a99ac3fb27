"""``twvideo archive run``'s rate limits: ``--redis``, ``--read-rate``/``--write-rate`` and
``--total-workers``.

``--read-rate``/``--write-rate`` are quotas for the whole account (Twilio's defaults are 80
reads and 20 writes a second), however many workers share it. With ``--redis`` they are held
in Redis for every worker and machine together, and a worker that loses Redis falls back to
its share of them. Without Redis each worker process keeps to its share on its own (the
client's ``read_rate``/``write_rate``). The share is quota / total workers: ``--workers`` on
this host, unless ``--total-workers`` says how many run on all machines together. The parent
of ``--workers N`` passes the total on to its children (each of which runs ``--workers 1``).
"""

from __future__ import annotations

import argparse
import math
import os
from typing import TYPE_CHECKING

from . import _cli_base as base
from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._redis_throttle import RedisThrottle

__all__ = ["add_options", "check", "child_options", "client_rates", "shared_limit"]


def rate(text: str) -> float:
    """A quota in requests per second: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:  # NaN fails this too
        raise argparse.ArgumentTypeError(
            f"expected a number of requests per second > 0, e.g. 80, got {text!r}"
        )
    return value


def add_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--redis",
        metavar="URL",
        help="one rate limit for the whole account shared through Redis (redis://...) by "
        "every worker and machine; without Redis, each worker throttles alone",
    )
    run.add_argument(
        "--read-rate",
        type=rate,
        metavar="R",
        help="the account's read quota in requests/s (GET; Twilio's default is 80) for all "
        "workers together: held in Redis with --redis (a worker that loses Redis keeps to "
        "R / total workers), else each worker keeps to R / total workers (default: no fixed "
        "quota; 429s still slow every worker down)",
    )
    run.add_argument(
        "--write-rate",
        type=rate,
        metavar="W",
        help="the account's write quota in requests/s (POST, DELETE; Twilio's default is 20), "
        "shared like --read-rate",
    )
    run.add_argument(
        "--total-workers",
        type=base.positive,
        metavar="N",
        help="how many workers share the quotas on all machines together (default: "
        "--workers); on several machines give each the same total, e.g. 3 machines with "
        "--workers 4 each: --total-workers 12",
    )


def total_workers(args: argparse.Namespace) -> int:
    total: int | None = args.total_workers
    return args.workers if total is None else total


async def check(args: argparse.Namespace) -> None:
    """Before anything starts (before any child of ``--workers N``, too): the total covers
    this host's workers at least, and the ``--redis`` URL is one (no connection is made)."""
    if total_workers(args) < args.workers:
        raise base.CliError(
            f"--total-workers {args.total_workers} is fewer than the --workers {args.workers} "
            "on this host"
        )
    throttle = shared_limit(args)
    if throttle is not None:
        await throttle.aclose()


def child_options(args: argparse.Namespace) -> list[str]:
    """What the parent of ``--workers N`` adds to each child's command line (after the user's
    options, so it wins): the total the child's share is taken from."""
    return ["--total-workers", str(total_workers(args))]


def shared_limit(args: argparse.Namespace) -> RedisThrottle | None:
    """``--redis``: a RedisThrottle keyed by the account, holding the quotas; it falls back to
    this worker's share of them if Redis goes away."""
    if not args.redis:
        return None
    from ._redis_throttle import RedisThrottle

    key = os.environ.get("TWILIO_ACCOUNT_SID") or os.environ.get("TWILIO_API_KEY_SID") or "default"
    try:
        return RedisThrottle.from_url(
            args.redis,
            key=key,
            read_rate=args.read_rate,
            write_rate=args.write_rate,
            workers=total_workers(args),
        )
    except ConfigurationError as exc:
        raise base.CliError(f"--redis: {exc}") from None


def client_rates(args: argparse.Namespace) -> tuple[float | None, float | None]:
    """The client's own ``read_rate`` and ``write_rate``: this worker's share of the quotas,
    or none with ``--redis`` (the shared throttle holds them)."""
    if args.redis:
        return None, None
    total = total_workers(args)
    read: float | None = args.read_rate
    write: float | None = args.write_rate
    return (
        None if read is None else read / total,
        None if write is None else write / total,
    )
