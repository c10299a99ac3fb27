"""Case (h) of ``python -m benchmarks``: the five limit shapes against each throttle, the goal
beside every shape, and issue 17's before/now table (``--before DIR`` for fetch and download)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import cli, report  # noqa: E402
from benchmarks.settings import (  # noqa: E402
    CASES,
    CLIENT_LABELS,
    LIMIT_CLIENTS,
    SHAPE_TITLES,
    Settings,
)

SHAPES = list(SHAPE_TITLES)


def limits_run(client: str, repeat: int, ratio: float, per_call: float = 1.05,
               errors: int = 0, shapes: list[str] = SHAPES) -> dict[str, Any]:  # fmt: skip
    run: dict[str, Any] = {"case": "limits", "client": client, "repeat": repeat, "shapes": shapes}
    for name in shapes:
        run[f"{name}_vs_ideal"] = ratio
        run[f"{name}_requests_per_call"] = per_call
        run[f"{name}_errors"] = errors
    run["worst_vs_ideal"] = ratio
    run["requests_per_call"] = per_call
    run["errors"] = errors * len(shapes)
    return run


def test_each_shape_is_checked_against_its_goal() -> None:
    runs = [limits_run("limits_now", r, 1.05) for r in range(3)]
    runs[1]["window_vs_ideal"] = 1.5  # one slow repeat: the median still meets the goal
    runs[2]["concurrency_vs_ideal"] = runs[0]["concurrency_vs_ideal"] = 1.2  # two: it does not
    runs[0]["leaky_requests_per_call"] = 1.4
    runs[2]["token_errors"] = 1
    runs[2]["errors"] = 1
    _, checked = report.target_table(report.group(runs), Settings.full())
    by_name = {c["target"]: c for c in checked}
    assert by_name["limit shapes: fixed window <= 1.1x ideal"]["result"] == "met"
    assert by_name["limit shapes: concurrency cap <= 1.1x ideal"]["result"] == "missed"
    assert by_name["limit shapes: concurrency cap <= 1.1x ideal"]["value"] == 1.2
    assert by_name["limit shapes: leaky bucket (nginx limit_req) <= 1.1x ideal"]["result"] == "met"
    # Requests per call: the worst shape's median (1.05: one run's 1.4 is not the median).
    assert by_name["limit shapes: <= 1.3 requests per call (worst shape)"]["value"] == 1.05
    assert by_name["limit shapes: zero errors (all runs, all shapes)"]["result"] == "missed"


def test_the_issue_table_puts_before_and_now_side_by_side() -> None:
    runs = [
        limits_run("limits_now", 0, 1.04),
        limits_run("limits_previous", 0, 1.6, per_call=1.1, errors=2),
        limits_run("limits_known", 0, 1.02, per_call=1.0, shapes=["concurrency"]),
        limits_run("limits_raw_known", 0, 1.01, per_call=1.0, shapes=["concurrency"]),
        {"case": "fetch", "client": "raw", "repeat": 0, "rate": 1000.0},
        {"case": "fetch", "client": "ours", "repeat": 0, "rate": 1020.0},
        {"case": "fetch", "client": "before", "repeat": 0, "rate": 800.0},
        {"case": "download", "client": "raw", "repeat": 0, "rate": 100.0, "rss_growth_mib": 1.0},
        {"case": "download", "client": "ours", "repeat": 0, "rate": 90.0, "rss_growth_mib": 20.0},
    ]
    table = report.issue_table(report.group(runs))
    lines = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()}
    assert set(lines) >= {*SHAPE_TITLES.values(), "(a) fetch one room", "(c) download media"}
    cap = lines["concurrency cap"]
    assert "1.60x ideal, 1.10 req/call, 2 errors (previous law, emulated)" in cap
    assert (
        "1.04x ideal, 1.05 req/call, 0 errors (cap known in advance: 1.02x; raw aiohttp told "
        "the cap: 1.01x)"
    ) in cap
    assert cap.endswith("| yes |")
    assert "| 0.80x raw | 1.02x raw | yes |" in lines["(a) fetch one room"]
    download = lines["(c) download media"]
    assert "| n/a | 0.90x raw, peak RSS +20.0 MiB | **no** |" in download  # no --before run
    assert report.issue_table(report.group(runs[4:6])).count("\n") == 2  # fetch alone: one row
    # With a --before package measured on the shapes, that is the "before" column.
    runs.append({**limits_run("limits_now", 0, 1.3), "client": "before"})
    table = report.issue_table(report.group(runs))
    assert "| 1.30x ideal, 1.05 req/call, 0 errors (--before package) |" in table


def test_limits_is_a_case_asked_for_by_name_and_before_needs_the_package(tmp_path: Path) -> None:
    assert "limits" in CASES and "limits" not in cli.parse_args([]).cases
    assert cli.parse_args(["--cases", "h"]).cases == ["limits"]
    assert cli.parse_args(["--before", str(REPO)]).before == REPO
    with pytest.raises(SystemExit):
        cli.parse_args(["--before", str(tmp_path)])


def test_the_smoke_run_measures_every_shape_with_every_throttle(tmp_path: Path) -> None:
    out, old = tmp_path / "bench.json", tmp_path / "old"
    # A copy of the package stands in for an older release: the "before" runs must import it,
    # not the repository's own package (which the working directory would put first).
    shutil.copytree(REPO / "twvideo_async", old / "twvideo_async",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--cases", "fetch,limits",
         "--before", str(old), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(out.read_text())
    limits = {r["client"]: r for r in data["runs"] if r["case"] == "limits"}
    assert set(limits) == {*LIMIT_CLIENTS, "before"}
    assert limits["before"]["shapes"] == SHAPES and "error" not in limits["before"]
    before = [r for r in data["runs"] if r["client"] == "before"]
    assert {r["case"] for r in before} == {"fetch", "limits"}
    assert all(r["package"] == str(old.resolve() / "twvideo_async") for r in before)
    assert limits["limits_now"]["package"] == str(REPO / "twvideo_async")
    assert limits["limits_known"]["shapes"] == ["concurrency"]  # calibration: the cap only
    assert limits["limits_raw_known"]["shapes"] == ["concurrency"]
    assert limits["limits_raw_known"]["concurrency_errors"] == 0
    now = limits["limits_now"]
    assert now["shapes"] == SHAPES
    assert now["errors"] == 0  # 429s never reach the caller, whatever the shape
    assert all(now[f"{name}_requests_per_call"] < 3 for name in SHAPES)
    for client in LIMIT_CLIENTS:
        assert f"| (h) five shapes of limit | {CLIENT_LABELS[client]} |" in done.stdout
    assert "| (a) fetch one room | twvideo_async before (--before) |" in done.stdout
    assert "Issue 17, before and now, from this run:" in done.stdout
    assert "| concurrency cap | <= 1.1x ideal, <= 1.3 req/call, 0 errors |" in done.stdout
