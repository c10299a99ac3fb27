"""The driver behind ``python -m benchmarks``.

Starts the loopback server (a separate process, pinned to CPU 1), then runs every selected
case x client in a fresh worker process (pinned to CPU 0), ``--repeats`` times, rotating the
client order each repeat so no client always runs first or last. Prints progress to stderr
and the Markdown report to stdout. Exits 1 when a run failed (the report still shows the rest).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import report, s3
from .harness import twilio_available
from .settings import (
    BEFORE_RUNS_AS,
    CASES,
    CLIENT_LABELS,
    CLIENTS,
    DEFAULT_CASES,
    LIMIT_CLIENTS,
    S3_CLIENTS,
    SHARED_CLIENTS,
    Settings,
    case_clients,
)

REPO = Path(__file__).resolve().parent.parent
WORKER_TIMEOUT = 600.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="twvideo_async against raw aiohttp and twilio-python on loopback.",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes and one repeat (CI: under a minute)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="fresh-process runs per case x client (5)"
    )
    parser.add_argument(
        "--cases",
        default=",".join(DEFAULT_CASES),
        help=f"comma-separated subset of {','.join(CASES)} (or their letters a-h); default "
        "all but shared (4 processes sharing one limit through Redis) and limits (five shapes "
        "of server-side limit against four throttles, ~6 minutes a repeat): ask for those",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also run the fetch, download and limits cases with the twvideo_async package "
        "found in DIR (e.g. `git archive OLD twvideo_async | tar -x -C DIR`), for a "
        "before/after table",
    )
    parser.add_argument(
        "--one-core",
        action="store_true",
        help="pin the server and the clients to CPU 0 (default: server CPU 1, clients CPU 0)",
    )
    parser.add_argument("--json", type=Path, help="write every run and the summary here")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="run each worker under cProfile and write DIR/<case>-<client>-<repeat>.prof",
    )
    args = parser.parse_args(argv)
    letters = dict(zip("abcdefgh", CASES, strict=True))
    cases = [letters.get(c.strip(), c.strip()) for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown or not cases:
        parser.error(f"--cases takes names from {','.join(CASES)}; got {args.cases!r}")
    args.cases = [c for c in CASES if c in cases]
    if args.repeats is None:
        args.repeats = 1 if args.smoke else 5
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.before is not None and not (args.before / "twvideo_async").is_dir():
        parser.error(f"--before: no twvideo_async package in {args.before}")
    return args


def _child_env(before: Path | None = None) -> dict[str, str]:
    """The workers' environment; with ``before``, its ``twvideo_async`` shadows this one."""
    env = dict(os.environ)
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        env.pop(name, None)
    paths = [str(before.resolve())] if before is not None else []
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*paths, str(REPO), env.get("PYTHONPATH")]))
    return env


class Server:
    """The loopback server process; its stdin is a pipe, so it also stops if we die.
    ``module`` is ``benchmarks.server`` (API, storage, limited) or ``benchmarks.s3``."""

    def __init__(self, settings: Settings, module: str = "benchmarks.server") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, settings.to_json()],
            cwd=REPO,
            env=_child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"{module} did not start (see its stderr above)")
        self.ports: dict[str, int] = json.loads(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        process = self.process
        if process.stdin is not None:
            process.stdin.close()
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def run_worker(
    case: str,
    client: str,
    settings: Settings,
    server: Server,
    profile: Path | None = None,
    before: Path | None = None,
) -> dict[str, Any]:
    """One case x client in a fresh process: its JSON result, or an ``error`` record.

    With ``before``, the worker imports the ``twvideo_async`` package in that directory: it
    runs there, so the package is found first (``python -m`` puts the working directory ahead
    of ``PYTHONPATH``, so from the repository the current package would shadow it), and a run
    that imported any other package is reported as an error, not as a figure."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        case,
        client,
        settings.to_json(),
        json.dumps(server.ports),
        str(server.pid),
    ]
    if case == "shared":  # its own emulator, redis-server and worker processes, unpinned
        command = [sys.executable, "-m", "benchmarks.bench_shared_limit", case, client]
        command.append(settings.to_json())
    if case == "limits":  # its own limit-shapes server
        command = [sys.executable, "-m", "benchmarks.bench_limits", "--worker", client]
        command.append(settings.to_json())
    if profile is not None:
        command.append(str(profile))
    try:
        done = subprocess.run(
            command,
            cwd=before.resolve() if before is not None else REPO,
            env=_child_env(before),
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"case": case, "client": client, "error": f"timed out after {WORKER_TIMEOUT:g}s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"case": case, "client": client, "error": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    if before is not None and Path(result.get("package", "")).parent != before.resolve():
        imported = result.get("package", "an unknown package")
        return {"case": case, "client": client, "error": f"--before ran {imported}"}
    return result


def _progress(result: dict[str, Any], index: int, total: int) -> str:
    name = f"{result['case']} / {CLIENT_LABELS[result['client']]}"
    if "error" in result:
        return f"[{index}/{total}] {name}: FAILED {result['error']}"
    metric = report.METRICS[result["case"]]
    value = report.fmt(float(result[metric.key]), metric.digits)
    return f"[{index}/{total}] {name}: {value} {metric.unit}"


def run_matrix(
    cases: Sequence[str],
    clients: Sequence[str],
    repeats: int,
    settings: Settings,
    server: Server,
    profile_dir: Path | None = None,
    before: Path | None = None,
) -> list[dict[str, Any]]:
    """Every case x client ``repeats`` times, rotating the client order each repeat. The
    ``before`` client is ours run from the older package in ``before``."""
    runs: list[dict[str, Any]] = []
    plans = {case: [c for c in case_clients(case) if c in clients] for case in cases}
    total = repeats * sum(len(plan) for plan in plans.values())
    for repeat in range(repeats):
        for case in cases:
            plan = plans[case]
            shift = repeat % len(plan)
            for client in [*plan[shift:], *plan[:shift]]:
                profile = None
                if profile_dir is not None:
                    profile = profile_dir.resolve() / f"{case}-{client}-{repeat}.prof"
                if client == "before":
                    as_client = BEFORE_RUNS_AS[case]
                    result = run_worker(case, as_client, settings, server, profile, before)
                    result["client"] = "before"
                else:
                    result = run_worker(case, client, settings, server, profile)
                result["repeat"] = repeat
                runs.append(result)
                print(_progress(result, len(runs), total), file=sys.stderr, flush=True)
    return runs


def render(
    runs: list[dict[str, Any]],
    cases: Sequence[str],
    settings: Settings,
    *,
    smoke: bool,
    repeats: int,
    twilio_note: str | None,
    seconds: float,
) -> tuple[str, dict[str, Any]]:
    rows = report.group(runs)
    info = report.machine()
    targets_md, checked = report.target_table(rows, settings)
    lines = [
        "## Benchmark results" + (" (smoke sizes: not meaningful figures)" if smoke else ""),
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['os']}; Python {info['python']}, "
        f"aiohttp {info['aiohttp']}, twilio {info['twilio']}, "
        f"twvideo_async {info['twvideo_async']}; {info['date']}.",
        f"Sizes: {report.settings_line(settings)}. Median of {repeats} fresh-process "
        f"run(s) per row, server pinned to CPU {settings.server_cpu} and clients to CPU "
        f"{settings.client_cpu}; "
        f"total {seconds:.0f} s.",
    ]
    if twilio_note:
        lines.append(f"Note: {twilio_note}")
    lines += ["", report.results_table(rows, cases), "", targets_md]
    issue = report.issue_table(rows)
    if issue:
        lines += ["", "Issue 17, before and now, from this run:", "", issue]
    failures = [r for r in runs if "error" in r]
    if failures:
        lines += ["", "Failed runs:"]
        lines += [f"- {r['case']} / {CLIENT_LABELS[r['client']]}: {r['error']}" for r in failures]
    data = {
        "machine": info,
        "settings": json.loads(settings.to_json()),
        "smoke": smoke,
        "repeats": repeats,
        "runs": runs,
        "targets": checked,
    }
    return "\n".join(lines) + "\n", data


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.smoke() if args.smoke else Settings.full()
    if args.one_core:
        settings = dataclasses.replace(settings, server_cpu=0, client_cpu=0)
    clients = list(CLIENTS)
    twilio_note = None
    if not twilio_available():
        clients.remove("twilio")
        twilio_note = (
            "twilio-python is not installed, so its column is skipped "
            "(`pip install -r benchmarks/requirements.txt` adds it)."
        )
        print(f"note: {twilio_note}", file=sys.stderr)
    notes = [twilio_note] if twilio_note else []
    if "shared" in args.cases:
        clients += SHARED_CLIENTS
    if "limits" in args.cases:
        clients += LIMIT_CLIENTS
    if args.before is not None:
        clients.append("before")
    if "archive" in args.cases:
        clients += [c for c in case_clients("archive") if c not in clients]
        if not s3.available():
            clients = [c for c in clients if c not in S3_CLIENTS]
            notes.append("moto or obstore is not installed, so the S3 rows are skipped.")
            print(f"note: {notes[-1]}", file=sys.stderr)
    started = time.perf_counter()
    server = Server(settings)
    s3_server = None
    try:
        if any(c in S3_CLIENTS for c in clients) and "archive" in args.cases:
            s3_server = Server(settings, "benchmarks.s3")
            server.ports.update(s3_server.ports)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        runs = run_matrix(
            args.cases, clients, args.repeats, settings, server, args.profile, args.before
        )
    finally:
        server.stop()
        if s3_server is not None:
            s3_server.stop()
    markdown, data = render(
        runs,
        args.cases,
        settings,
        smoke=args.smoke,
        repeats=args.repeats,
        twilio_note=" ".join(notes) or None,
        seconds=time.perf_counter() - started,
    )
    print(markdown)
    if args.markdown:
        args.markdown.write_text(markdown, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 1 if any("error" in r for r in runs) else 0
