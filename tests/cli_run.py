"""Running the ``twvideo`` command as a subprocess, for the CLI and archive command tests: the
command line, an environment without the caller's ``TWILIO_*`` credentials (a test passes the
emulator's when it wants them), one run to completion, and the media files an archive left."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from twvideo_async.testing import Emulator, FaultRule

__all__ = [
    "TWVIDEO",
    "clean_env",
    "emulator_env",
    "files_in",
    "final_media",
    "run",
    "spawn",
    "stalled_download",
]

TWVIDEO = [sys.executable, "-m", "twvideo_async.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``TWILIO_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(extra)
    return env


def emulator_env(emu: Emulator) -> dict[str, str]:
    """:func:`clean_env` with the emulator's API key as the credentials."""
    sid, secret = emu.credentials
    return clean_env(TWILIO_API_KEY_SID=sid, TWILIO_API_KEY_SECRET=secret)


async def spawn(*args: str, env: dict[str, str], **options: Any) -> asyncio.subprocess.Process:
    """``twvideo ARGS`` started with its output piped (``options`` go to the subprocess)."""
    return await asyncio.create_subprocess_exec(
        *TWVIDEO,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        **options,
    )


async def run(
    *args: str, env: dict[str, str] | None = None, **options: Any
) -> tuple[int, str, str]:
    """``twvideo ARGS`` to completion (60 s at most): exit code, stdout, stderr (``options``
    go to the subprocess, e.g. ``cwd``)."""
    proc = await spawn(*args, env=env or clean_env(), **options)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def stalled_download(
    emu: Emulator, dest: Path, **options: Any
) -> tuple[asyncio.subprocess.Process, FaultRule]:
    """``twvideo recordings download`` of two 1 MiB recordings whose storage stalls for 30 s
    after 256 KiB: a download under way, for the tests that signal it. Returns the process and
    the stall (``fired`` once the stall began)."""
    emu.seed(rooms=1, recordings_per_room=2, media_size=1 << 20)
    stall = emu.faults.storage_stall(30, after_bytes=256 * 1024)
    proc = await spawn(
        *("--base-url", emu.base_url, "recordings", "download", "--dest", str(dest)),
        env=emulator_env(emu),
        **options,
    )
    return proc, stall


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def final_media(root: Path) -> list[Path]:
    """The media objects an archive committed below ``root``: sidecars (``.json``) and hidden
    temporary files left out."""
    if not root.exists():
        return []
    return [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix != ".json"
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
