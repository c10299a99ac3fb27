"""Case (e): how long the import takes in a fresh interpreter.

Each sample starts a new ``python -c`` that times ``import <module>`` with ``perf_counter``
(interpreter start-up excluded); the median of ``import_samples`` counts. One untimed run first
so bytecode caches exist. Modules: ``aiohttp`` (raw), ``twilio.rest`` (twilio-python) and
``twvideo_async`` (which imports aiohttp itself).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from .harness import Context

MODULES = {"raw": "aiohttp", "twilio": "twilio.rest", "ours": "twvideo_async"}
REPO = Path(__file__).resolve().parent.parent
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def time_import(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return float(done.stdout.strip().splitlines()[-1])


def measure(client: str, ctx: Context) -> dict[str, float]:
    module = MODULES[client]
    time_import(module)
    times = [time_import(module) for _ in range(ctx.settings.import_samples)]
    return {
        "import_ms": statistics.median(times) * 1000,
        "import_min_ms": min(times) * 1000,
        "import_max_ms": max(times) * 1000,
    }
