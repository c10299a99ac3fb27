"""Case (g) of ``python -m benchmarks`` (one account limit for many processes): a smoke run
end to end (its own redis-server, emulator and worker processes), and its report lines: the
figures with their range over the repeats and the goal beside each, and the target checks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.servers import unavailable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import report  # noqa: E402
from benchmarks.settings import CLIENT_LABELS, SHARED_CLIENTS, Settings  # noqa: E402


def test_the_shared_limit_case_runs_both_throttles_and_prints_the_goals(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (apt-get install -y redis-server)")
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--cases", "g", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for client in SHARED_CLIENTS:
        row = f"| {report.CASE_TITLES['shared']} | {CLIENT_LABELS[client]} |"
        assert row in done.stdout, f"no row for {client}:\n{done.stdout}"
    assert "goal <= 1.3x" in done.stdout and "goal <= 1.1" in done.stdout
    assert "| shared limit: <= 1.1 requests per call" in done.stdout
    data = json.loads(out.read_text())
    runs = {r["client"]: r for r in data["runs"]}
    assert set(runs) == set(SHARED_CLIENTS)
    for run in runs.values():
        assert "error" not in run, run
        assert run["wall_vs_ideal"] > 0 and run["requests_per_call"] >= 1
    assert runs["redis_shared"]["errors"] == 0  # the shared limit: no 429 reaches a caller
    checked = {t["target"]: t for t in data["targets"]}
    assert checked["shared limit: zero errors (all runs)"]["result"] == "met"


def test_the_shared_rows_show_the_range_of_the_repeats() -> None:
    runs = [
        {"case": "shared", "client": "redis_shared", "wall_vs_ideal": w, "wall_s": w * 20,
         "requests_per_call": r, "server_429s": n, "errors": 0}
        for w, r, n in ((1.05, 1.02, 40), (1.12, 1.04, 80), (1.08, 1.03, 60))
    ]  # fmt: skip
    rows = report.group(runs)
    table = report.results_table(rows, ["shared"])
    assert "wall 1.08 (1.05-1.12)x ideal, goal <= 1.3x (21.0-22.4 s)" in table
    assert "1.030 (1.020-1.040) requests/call, goal <= 1.1" in table
    assert "60 (40-80) server 429s" in table
    targets, _ = report.target_table(rows, Settings())
    assert "| shared limit: <= 1.1 requests per call, one RedisThrottle (worst run) | 1.040 |" in (
        targets
    )
