"""The sizes of every case, and the bits of plumbing driver, server and workers share.

One :class:`Settings` object describes a run. The driver passes it to the server (pages, media
size, rate limit) and to every worker (as JSON on the command line), so all processes agree on
what the server serves and what the clients ask for.
"""

from __future__ import annotations

import dataclasses
import json
import os

MIB = 1024 * 1024

# Dummy credentials: the loopback server accepts anything. Never real ones.
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-token"
API_KEY_SID = "SK" + "0" * 32
API_KEY_SECRET = "bench-secret"

ROOM_SID = "RM" + "a" * 32
SERVER_CPU = 1
CLIENT_CPU = 0

CASES = ("fetch", "list", "download", "ratelimit", "import", "archive", "shared", "limits")
# Case (g) runs 2 x repeats rounds of many processes for ~20 s each, case (h) about 6 minutes
# per repeat: asked for by name only.
DEFAULT_CASES = tuple(case for case in CASES if case not in ("shared", "limits"))
CLIENTS = ("raw", "twilio", "ours")
# The archive case compares ways of copying media out rather than the three clients.
ARCHIVE_CLIENTS = ("raw", "download_many", "archive_local", "raw_s3", "archive_s3", "s3_big")
S3_CLIENTS = ("raw_s3", "archive_s3", "s3_big")
# The shared-limit case compares per-process throttles with one shared through Redis.
SHARED_CLIENTS = ("per_process", "redis_shared")
# The limit-shapes case compares throttles: now, the previous design, a bare AIMD pacer, and a
# client told the concurrency cap in advance, and raw aiohttp told it (what the machine itself
# allows).
LIMIT_CLIENTS = (
    "limits_now",
    "limits_previous",
    "limits_aimd",
    "limits_known",
    "limits_raw_known",
)
SHAPE_TITLES = {
    "leaky": "leaky bucket (nginx limit_req)",
    "token": "token bucket",
    "concurrency": "concurrency cap",
    "schedule": "rate that changes",
    "window": "fixed window",
}
CLIENT_LABELS = {
    "raw": "raw aiohttp",
    "twilio": "twilio-python",
    "ours": "twvideo_async",
    "ours_request": "twvideo_async request loop alone",
    "ours_decode": "twvideo_async request loop + typed model",
    "download_many": "download_many (local)",
    "archive_local": "archive to a directory",
    "raw_s3": "raw aiohttp + obstore (S3)",
    "archive_s3": "archive to S3",
    "s3_big": "archive one big file to S3",
    "per_process": "AdaptiveThrottle in each process",
    "redis_shared": "one RedisThrottle (shared)",
    "limits_now": "AdaptiveThrottle (now)",
    "limits_previous": "previous throttle",
    "limits_aimd": "bare AIMD pacer",
    "limits_known": "calibration: cap known in advance",
    "limits_raw_known": "calibration: raw aiohttp, cap known in advance",
    "before": "twvideo_async before (--before)",
}
BIG_SID = "RT" + "b" * 32  # the storage server serves archive_big_size bytes for this one


# What the "before" client runs as, per case: the older package's own default client.
BEFORE_RUNS_AS = {"fetch": "ours", "download": "ours", "limits": "limits_now"}


def case_clients(case: str) -> tuple[str, ...]:
    if case == "shared":
        return SHARED_CLIENTS
    if case == "limits":
        return (*LIMIT_CLIENTS, "before")  # "before" runs only with --before DIR
    if case in ("fetch", "download"):
        return (*CLIENTS, "before")
    return ARCHIVE_CLIENTS if case == "archive" else CLIENTS


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes of one run. ``full()`` is the published configuration, ``smoke()`` the CI one."""

    # (a) fetch one room
    fetch_n: int = 2000
    fetch_concurrency: int = 50
    fetch_warmup: int = 300
    fetch_samples: int = 3
    # (b) list recordings
    list_pages: int = 100
    list_page_size: int = 100
    list_samples: int = 3
    # (c) media downloads
    download_files: int = 32
    download_size: int = 16 * MIB
    download_concurrency: int = 8
    # (d) rate-limited fetches
    rl_calls: int = 2000
    rl_concurrency: int = 100
    rl_rate: float = 200.0
    rl_burst: int = 200
    # (e) import time: fresh interpreters per worker
    import_samples: int = 7
    # (f) archive: files of download_size to a directory and to S3 (moto on loopback), and
    # one file of archive_big_size to S3 (peak memory)
    archive_files: int = 16
    archive_concurrency: int = 4
    archive_big_size: int = 512 * MIB
    # Where the server and the clients run (``--one-core`` puts both on CPU 0)
    server_cpu: int = SERVER_CPU
    client_cpu: int = CLIENT_CPU
    # (g) one account limit for many processes (benchmarks.bench_shared_limit)
    shared_calls: int = 2000
    shared_processes: int = 4
    shared_tasks: int = 16
    shared_rps: float = 100.0
    shared_retry_after: float = 1.0
    # (h) five shapes of server-side limit (benchmarks.bench_limits): "full" is issue 17's sizes
    limits_size: str = "full"
    limits_concurrency: int = 100

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def smoke(cls) -> Settings:
        return cls(
            fetch_n=200,
            fetch_concurrency=20,
            fetch_warmup=20,
            fetch_samples=1,
            list_pages=3,
            list_samples=1,
            download_files=4,
            download_size=1 * MIB,
            download_concurrency=2,
            rl_calls=60,
            rl_concurrency=20,
            rl_rate=100.0,
            rl_burst=10,
            import_samples=2,
            archive_files=3,
            archive_concurrency=2,
            archive_big_size=12 * MIB,
            shared_calls=200,
            shared_processes=2,
            shared_tasks=8,
            limits_size="smoke",
            limits_concurrency=20,
        )

    @property
    def list_items(self) -> int:
        return self.list_pages * self.list_page_size

    @property
    def rl_ideal_seconds(self) -> float:
        """The figure the target is measured against: calls / sustained rate."""
        return self.rl_calls / self.rl_rate

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls(**json.loads(text))


def pin_to_cpu(cpu: int) -> bool:
    """Pin this process to one CPU when the platform allows it and the CPU exists."""
    setaffinity = getattr(os, "sched_setaffinity", None)
    getaffinity = getattr(os, "sched_getaffinity", None)
    if setaffinity is None or getaffinity is None:
        return False
    if cpu not in getaffinity(0):
        return False
    setaffinity(0, {cpu})
    return True


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux ``/proc``); 0 when unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
