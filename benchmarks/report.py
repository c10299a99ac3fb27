"""Turning worker results into medians, target checks and the Markdown report."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import os
import platform
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .settings import CLIENT_LABELS, S3_CLIENTS, SHAPE_TITLES, Settings, case_clients

Run = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Metric:
    """How one case is read: its headline figure and whether bigger is better."""

    key: str
    unit: str
    higher_is_better: bool
    digits: int = 0


METRICS = {
    "fetch": Metric("rate", "req/s", True),
    "list": Metric("rate", "items/s", True),
    "download": Metric("rate", "MiB/s", True),
    "ratelimit": Metric("wall_s", "s wall", False, 2),
    "import": Metric("import_ms", "ms", False, 1),
    "archive": Metric("rate", "MiB/s", True),
    "shared": Metric("wall_vs_ideal", "x ideal", False, 2),
    "limits": Metric("worst_vs_ideal", "x ideal (worst shape)", False, 2),
}
CASE_TITLES = {
    "fetch": "(a) fetch one room",
    "list": "(b) list recordings",
    "download": "(c) download media",
    "ratelimit": "(d) rate-limited fetches",
    "import": "(e) import time",
    "archive": "(f) archive media",
    "shared": "(g) 4 processes, one account limit",
    "limits": "(h) five shapes of limit",
}
# Issue 15's goals for case (g), printed beside each figure.
SHARED_GOALS = {"wall_vs_ideal": 1.3, "requests_per_call": 1.1}
# Issue 17's goals for case (h), per shape, and for the fetch and download cases.
LIMIT_GOALS = {"vs_ideal": 1.1, "requests_per_call": 1.3}
FETCH_GOAL, DOWNLOAD_GOAL = 1.0, 0.95
CPU_UNITS = {
    "fetch": "µs/req",
    "list": "µs/item",
    "download": "µs/MiB",
    "ratelimit": "µs/call",
    "archive": "µs/MiB",
}


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


@dataclasses.dataclass(frozen=True)
class Row:
    """The aggregate of one case x client over its repeats."""

    case: str
    client: str
    runs: tuple[Run, ...]

    def values(self, key: str) -> list[float]:
        return [float(r[key]) for r in self.runs if key in r]

    def median(self, key: str) -> float:
        return statistics.median(self.values(key))

    @property
    def metric(self) -> Metric:
        return METRICS[self.case]

    @property
    def headline(self) -> float:
        return self.median(self.metric.key)


def group(runs: Sequence[Run]) -> dict[tuple[str, str], Row]:
    rows: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        if "error" not in run:
            rows.setdefault((run["case"], run["client"]), []).append(run)
    return {key: Row(key[0], key[1], tuple(found)) for key, found in rows.items()}


def _details(row: Row) -> str:
    """The secondary figures of a row, in words."""
    case = row.case
    parts: list[str] = []
    if case in ("download", "archive"):
        growth = row.values("rss_growth_mib")
        parts.append(
            f"peak RSS growth {fmt(statistics.median(growth), 1)} MiB (worst {fmt(max(growth), 1)})"
        )
    if case == "archive" and row.client in S3_CLIENTS and row.client != "raw_s3":
        parts.append("ratio vs raw aiohttp + obstore")
    if case == "ratelimit":
        errors = row.values("errors")
        parts.append(f"{fmt(row.median('wall_vs_ideal'), 2)}x ideal")
        parts.append(f"{fmt(sum(errors))} errors in {len(errors)} runs")
        parts.append(f"{fmt(row.median('requests_per_call'), 2)} requests/call")
        kinds = [str(r.get("error_kinds")) for r in row.runs if r.get("error_kinds")]
        if kinds:
            parts[-1] += f" (one run: {kinds[0]})"
    if case == "shared":
        parts += _shared_details(row)
    if case == "limits":
        parts += _limits_details(row)
    # /proc CPU times tick every 10 ms: a share of 0 only means the run was too short to see.
    if case in ("fetch", "list", "download", "archive") and row.median("server_cpu_share") > 0:
        parts.append(f"server CPU {row.median('server_cpu_share'):.0%}")
    if case == "import":
        note = " (async mode also imports aiohttp)" if row.client == "twilio" else ""
        parts.append(f"`import {_IMPORTED[row.client]}`{note}")
    return ", ".join(parts)


def _shared_details(row: Row) -> list[str]:
    """Case (g): each figure's median, its range over the repeats and the goal beside it."""

    def ranged(key: str, digits: int) -> str:
        values = row.values(key)
        low, high = fmt(min(values), digits), fmt(max(values), digits)
        return f"{fmt(row.median(key), digits)} ({low}-{high})"

    walls = row.values("wall_s")
    errors = row.values("errors")
    return [
        f"wall {ranged('wall_vs_ideal', 2)}x ideal, goal <= {SHARED_GOALS['wall_vs_ideal']:g}x"
        f" ({fmt(min(walls), 1)}-{fmt(max(walls), 1)} s)",
        f"{ranged('requests_per_call', 3)} requests/call, goal <= "
        f"{SHARED_GOALS['requests_per_call']:g}",
        f"{ranged('server_429s', 0)} server 429s",
        f"{fmt(sum(errors))} errors in {len(errors)} runs",
    ]


def _limits_details(row: Row) -> list[str]:
    """Case (h): each shape's x ideal and requests per call (medians), errors (all runs)."""
    names = row.runs[0]["shapes"]
    return [
        f"{n} {row.median(f'{n}_vs_ideal'):.2f}x, {row.median(f'{n}_requests_per_call'):.2f} "
        f"req/call, {sum(row.values(f'{n}_errors')):.0f} errors"
        for n in names
    ]


_IMPORTED = {"raw": "aiohttp", "twilio": "twilio.rest", "ours": "twvideo_async"}


def _versus_raw(row: Row, raw: Row | None) -> str:
    if raw is None:
        return "n/a"
    ratio = f"{row.headline / raw.headline:.2f}x"
    return ratio if row.metric.higher_is_better else f"{ratio} the time"


def _baseline(rows: Mapping[tuple[str, str], Row], case: str, client: str) -> Row | None:
    """What a row is compared with: raw aiohttp, or for S3 rows raw aiohttp + obstore."""
    if case == "archive" and client in S3_CLIENTS and client != "raw_s3":
        return rows.get((case, "raw_s3"))
    return rows.get((case, "raw"))


def results_table(rows: Mapping[tuple[str, str], Row], cases: Sequence[str]) -> str:
    lines = [
        "| Case | Client | Median | Min / max | vs raw aiohttp | Client CPU | Details |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in cases:
        metric = METRICS[case]
        for client in case_clients(case):
            raw = _baseline(rows, case, client)
            row = rows.get((case, client))
            if row is None:
                continue
            values = row.values(metric.key)
            cpu = (
                f"{fmt(row.median('cpu_us_per_unit'))} {CPU_UNITS[case]}"
                if case in CPU_UNITS and row.values("cpu_us_per_unit")
                else ""
            )
            lines.append(
                f"| {CASE_TITLES[case]} | {CLIENT_LABELS[client]} | "
                f"{fmt(row.headline, metric.digits)} {metric.unit} | "
                f"{fmt(min(values), metric.digits)} / {fmt(max(values), metric.digits)} | "
                f"{_versus_raw(row, raw)} | {cpu} | {_details(row)} |"
            )
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    needs: tuple[tuple[str, str], ...]
    figure: Callable[[Mapping[tuple[str, str], Row]], float]
    passes: Callable[[float], bool]
    shown: Callable[[float], str]
    spread: Callable[[Mapping[tuple[str, str], Row]], str] | None = None


def paired_ratios(
    rows: Mapping[tuple[str, str], Row], case: str, client: str, base: str
) -> list[float]:
    """``client / base`` of the headline figure in each repeat where both ran.

    The driver runs the clients of a repeat back to back (in rotating order), so each ratio
    compares two runs made under the same machine load: on a shared machine these swing far
    less than either figure alone. Empty when the runs carry no ``repeat`` number.
    """
    key = METRICS[case].key
    mine = {r["repeat"]: float(r[key]) for r in rows[(case, client)].runs if "repeat" in r}
    theirs = {r["repeat"]: float(r[key]) for r in rows[(case, base)].runs if "repeat" in r}
    return [mine[k] / theirs[k] for k in sorted(mine.keys() & theirs.keys()) if theirs[k]]


def interleaved_ratio(case: str, base: str) -> Callable[[Mapping[tuple[str, str], Row]], float]:
    """The median of :func:`paired_ratios`; the ratio of the medians without repeat numbers."""

    def figure(rows: Mapping[tuple[str, str], Row]) -> float:
        ratios = paired_ratios(rows, case, "ours", base)
        if not ratios:
            return rows[(case, "ours")].headline / rows[(case, base)].headline
        return statistics.median(ratios)

    return figure


def ratio_spread(case: str, base: str) -> Callable[[Mapping[tuple[str, str], Row]], str]:
    def spread(rows: Mapping[tuple[str, str], Row]) -> str:
        ratios = paired_ratios(rows, case, "ours", base)
        if len(ratios) < 2:
            return ""
        return f"{min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} interleaved repeats"

    return spread


def targets(s: Settings) -> list[Target]:
    def ratio(case: str, other: str) -> Callable[[Mapping[tuple[str, str], Row]], float]:
        return lambda rows: rows[(case, "ours")].headline / rows[(case, other)].headline

    def x(v: float) -> str:
        return f"{v:.2f}x"

    ours = "ours"
    return [
        Target(f"fetch req/s: ours / raw >= {FETCH_GOAL}", (("fetch", "raw"), ("fetch", ours)),
               interleaved_ratio("fetch", "raw"), lambda v: v >= FETCH_GOAL, x,
               ratio_spread("fetch", "raw")),
        Target("list items/s: ours / raw >= 1.0", (("list", "raw"), ("list", ours)),
               ratio("list", "raw"), lambda v: v >= 1.0, x),
        Target("download MiB/s: ours / raw >= 0.95", (("download", "raw"), ("download", ours)),
               interleaved_ratio("download", "raw"), lambda v: v >= 0.95, x,
               ratio_spread("download", "raw")),
        Target("download peak RSS growth < 64 MiB (worst run)", (("download", ours),),
               lambda rows: max(rows[("download", ours)].values("rss_growth_mib")),
               lambda v: v < 64, lambda v: f"{v:.1f} MiB"),
        Target("fetch req/s: ours / twilio-python >= 1.5", (("fetch", "twilio"), ("fetch", ours)),
               ratio("fetch", "twilio"), lambda v: v >= 1.5, x),
        Target("list items/s: ours / twilio-python >= 2.2", (("list", "twilio"), ("list", ours)),
               ratio("list", "twilio"), lambda v: v >= 2.2, x),
        Target("rate-limited: zero errors (all runs)", (("ratelimit", ours),),
               lambda rows: sum(rows[("ratelimit", ours)].values("errors")),
               lambda v: v == 0, lambda v: f"{v:.0f} errors"),
        Target(f"rate-limited: wall <= 1.1x ideal ({s.rl_ideal_seconds:g} s)",
               (("ratelimit", ours),),
               lambda rows: rows[("ratelimit", ours)].median("wall_vs_ideal"),
               lambda v: v <= 1.1, x),
        Target("rate-limited: <= 1.3 requests per call", (("ratelimit", ours),),
               lambda rows: rows[("ratelimit", ours)].median("requests_per_call"),
               lambda v: v <= 1.3, lambda v: f"{v:.2f}"),
        Target(f"shared limit: wall <= {SHARED_GOALS['wall_vs_ideal']:g}x ideal, one "
               "RedisThrottle (median)", (("shared", "redis_shared"),),
               lambda rows: rows[("shared", "redis_shared")].median("wall_vs_ideal"),
               lambda v: v <= SHARED_GOALS["wall_vs_ideal"], x),
        Target(f"shared limit: <= {SHARED_GOALS['requests_per_call']:g} requests per call, one "
               "RedisThrottle (worst run)", (("shared", "redis_shared"),),
               lambda rows: max(rows[("shared", "redis_shared")].values("requests_per_call")),
               lambda v: v <= SHARED_GOALS["requests_per_call"], lambda v: f"{v:.3f}"),
        Target("shared limit: zero errors (all runs)", (("shared", "redis_shared"),),
               lambda rows: sum(rows[("shared", "redis_shared")].values("errors")),
               lambda v: v == 0, lambda v: f"{v:.0f} errors"),
        *_limit_targets(),
        Target(f"archive one {s.archive_big_size / 2**20:g} MiB file to S3: peak RSS growth "
               "< 64 MiB (worst run)", (("archive", "s3_big"),),
               lambda rows: max(rows[("archive", "s3_big")].values("rss_growth_mib")),
               lambda v: v < 64, lambda v: f"{v:.1f} MiB"),
    ]  # fmt: skip


def _limit_targets() -> list[Target]:
    """Case (h): each shape within its goal with the current throttle (medians over repeats)."""
    now = ("limits", "limits_now")

    def shape_ratio(name: str) -> Callable[[Mapping[tuple[str, str], Row]], float]:
        return lambda rows: rows[now].median(f"{name}_vs_ideal")

    def worst_requests(rows: Mapping[tuple[str, str], Row]) -> float:
        row = rows[now]
        return max(row.median(f"{n}_requests_per_call") for n in row.runs[0]["shapes"])

    goal, per_call = LIMIT_GOALS["vs_ideal"], LIMIT_GOALS["requests_per_call"]
    found = [
        Target(f"limit shapes: {title} <= {goal}x ideal", (now,), shape_ratio(name),
               lambda v: v <= goal, lambda v: f"{v:.2f}x")
        for name, title in SHAPE_TITLES.items()
    ]  # fmt: skip
    found.append(Target(f"limit shapes: <= {per_call} requests per call (worst shape)", (now,),
                        worst_requests, lambda v: v <= per_call, lambda v: f"{v:.2f}"))  # fmt: skip
    found.append(Target("limit shapes: zero errors (all runs, all shapes)", (now,),
                        lambda rows: sum(rows[now].values("errors")), lambda v: v == 0,
                        lambda v: f"{v:.0f} errors"))  # fmt: skip
    return found


def _shape_cell(row: Row | None, name: str) -> str:
    if row is None or name not in row.runs[0]["shapes"]:
        return "n/a"
    errors = sum(row.values(f"{name}_errors"))
    return (
        f"{row.median(f'{name}_vs_ideal'):.2f}x ideal, "
        f"{row.median(f'{name}_requests_per_call'):.2f} req/call, {errors:.0f} errors"
    )


def issue_table(rows: Mapping[tuple[str, str], Row]) -> str:
    """Issue 17's table from this one run: each goal, the design before and now.

    "Before" is the ``--before DIR`` package, or for the limit shapes without it the previous
    throttle's law as ``benchmarks/previous_throttle.py`` emulates it; ratios against raw
    aiohttp are medians of per-repeat ratios."""
    lines = [
        "| Case | Goal | Before | Now | Now meets the goal |",
        "| --- | --- | --- | --- | --- |",
    ]
    now, previous = rows.get(("limits", "limits_now")), rows.get(("limits", "limits_previous"))
    old_package = rows.get(("limits", "before"))
    known = rows.get(("limits", "limits_known"))
    raw_known = rows.get(("limits", "limits_raw_known"))
    goal, per_call = LIMIT_GOALS["vs_ideal"], LIMIT_GOALS["requests_per_call"]
    for name, title in SHAPE_TITLES.items():
        if now is None or name not in now.runs[0]["shapes"]:
            continue
        met = (
            now.median(f"{name}_vs_ideal") <= goal
            and now.median(f"{name}_requests_per_call") <= per_call
            and sum(now.values(f"{name}_errors")) == 0
        )
        cell = _shape_cell(now, name)
        if known is not None and name in known.runs[0]["shapes"]:
            cell += f" (cap known in advance: {known.median(f'{name}_vs_ideal'):.2f}x"
            if raw_known is not None and name in raw_known.runs[0]["shapes"]:
                cell += f"; raw aiohttp told the cap: {raw_known.median(f'{name}_vs_ideal'):.2f}x"
            cell += ")"
        if old_package is not None:
            before = f"{_shape_cell(old_package, name)} (--before package)"
        else:
            before = f"{_shape_cell(previous, name)} (previous law, emulated)"
        lines.append(
            f"| {title} | <= {goal}x ideal, <= {per_call} req/call, 0 errors | "
            f"{before} | {cell} | {'yes' if met else '**no**'} |"
        )
    for case, goal_ratio in (("fetch", FETCH_GOAL), ("download", DOWNLOAD_GOAL)):
        if (case, "raw") not in rows or (case, "ours") not in rows:
            continue
        mine = statistics.median(paired_ratios(rows, case, "ours", "raw") or [0.0])
        before = ""
        if (case, "before") in rows:
            old = paired_ratios(rows, case, "before", "raw")
            before = f"{statistics.median(old):.2f}x raw" if old else ""
        text, met = f"{mine:.2f}x raw", mine >= goal_ratio
        goal_text = f">= {goal_ratio}x raw aiohttp"
        if case == "download":
            worst = max(rows[(case, "ours")].values("rss_growth_mib"))
            text += f", peak RSS +{worst:.1f} MiB"
            met = met and worst < 64
            goal_text += ", RSS growth < 64 MiB"
            if (case, "before") in rows:
                old_rss = max(rows[(case, "before")].values("rss_growth_mib"))
                before += f", peak RSS +{old_rss:.1f} MiB"
        lines.append(
            f"| {CASE_TITLES[case]} | {goal_text} | {before or 'n/a'} | {text} | "
            f"{'yes' if met else '**no**'} |"
        )
    return "\n".join(lines) if len(lines) > 2 else ""


def target_table(
    rows: Mapping[tuple[str, str], Row], s: Settings
) -> tuple[str, list[dict[str, Any]]]:
    lines = ["| Target | Figure | Result |", "| --- | ---: | --- |"]
    checked: list[dict[str, Any]] = []
    for target in targets(s):
        missing = [key for key in target.needs if key not in rows]
        if missing:
            client, case = CLIENT_LABELS[missing[0][1]], missing[0][0]
            shown, verdict, value = "n/a", f"not measured ({client}, {case})", None
        else:
            value = target.figure(rows)
            shown = target.shown(value)
            spread = target.spread(rows) if target.spread is not None else ""
            if spread:
                shown += f" ({spread})"
            verdict = "met" if target.passes(value) else "**missed**"
        lines.append(f"| {target.name} | {shown} | {verdict} |")
        checked.append({"target": target.name, "value": value, "result": verdict.strip("*")})
    return "\n".join(lines), checked


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "aiohttp": _version("aiohttp"),
        "twilio": _version("twilio"),
        "twvideo_async": _version("twvideo_async"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def settings_line(s: Settings) -> str:
    return (
        f"fetch N={s.fetch_n} at C={s.fetch_concurrency}; "
        f"list {s.list_pages} pages x {s.list_page_size}; "
        f"download {s.download_files} x {s.download_size / 2**20:g} MiB at C="
        f"{s.download_concurrency}; rate-limited {s.rl_calls} calls at C={s.rl_concurrency} "
        f"against {s.rl_rate:g} req/s (burst {s.rl_burst}); import x{s.import_samples}; "
        f"archive {s.archive_files} x {s.download_size / 2**20:g} MiB at "
        f"C={s.archive_concurrency} (S3: moto on loopback), one of "
        f"{s.archive_big_size / 2**20:g} MiB; shared limit {s.shared_calls} calls by "
        f"{s.shared_processes} processes x {s.shared_tasks} tasks against {s.shared_rps:g} "
        f"req/s (429 + Retry-After {s.shared_retry_after:g} s)"
    )
