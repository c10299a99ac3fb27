"""One case x client in one fresh process: ``python -m benchmarks.worker CASE CLIENT SETTINGS_JSON
PORTS_JSON SERVER_PID [PROFILE_PATH]``. Pins itself to CPU 0 and prints one JSON line with the
figures; with a profile path the case runs under cProfile (slower: for finding hot spots only,
not for the figures) and the stats are written there.

A fresh process per run keeps one client's warm caches, pools and garbage out of the next
client's figures, and makes peak RSS a per-run number.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from . import case_archive, case_download, case_fetch, case_import, case_list, case_ratelimit
from .harness import Context
from .settings import Settings, pin_to_cpu

AsyncCase = Callable[[Context], Coroutine[Any, Any, Mapping[str, Any]]]
ASYNC_CASES: dict[str, Mapping[str, AsyncCase]] = {
    "fetch": case_fetch.CLIENTS,
    "list": case_list.CLIENTS,
    "download": case_download.CLIENTS,
    "ratelimit": case_ratelimit.CLIENTS,
    "archive": case_archive.CLIENTS,
}


def run(case: str, client: str, ctx: Context) -> Mapping[str, Any]:
    if case == "import":
        return case_import.measure(client, ctx)
    return asyncio.run(ASYNC_CASES[case][client](ctx))


def package() -> str:
    """The directory of the ``twvideo_async`` this process imports (``--before`` checks it)."""
    import twvideo_async

    return os.path.dirname(os.path.abspath(twvideo_async.__file__))


def main(argv: list[str]) -> int:
    case, client, settings_json, ports_json, server_pid = argv[:5]
    profile_path = argv[5] if len(argv) > 5 else None
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        os.environ.pop(name, None)  # twilio-python would rewrite 127.0.0.1 into a bogus host
    ports = json.loads(ports_json)
    ctx = Context(
        settings=Settings.from_json(settings_json),
        api_port=ports["api"],
        storage_port=ports["storage"],
        limited_port=ports["limited"],
        server_pid=int(server_pid),
        s3_port=ports.get("s3", 0),
    )
    pinned = pin_to_cpu(ctx.settings.client_cpu)
    if profile_path is None:
        figures = run(case, client, ctx)
    else:
        profiler = cProfile.Profile()
        figures = profiler.runcall(run, case, client, ctx)
        profiler.dump_stats(profile_path)
    result = {"case": case, "client": client, "pinned": pinned, "package": package(), **figures}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
