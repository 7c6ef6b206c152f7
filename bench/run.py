"""Runs the benchmark against Flet Chat, the tutorial baseline and the broadcast floor.

    .venv/bin/python -m bench.run --quick    # small scales, about 3 minutes
    .venv/bin/python -m bench.run            # the full set (1,000 sessions, 100,000 messages)

The full set also runs the cluster (Flet Chat with `serve --workers N`, Redis and PostgreSQL on
127.0.0.1; `--workers N`, default 2) and the Flet session floor (bench/baselines/flet_session.py);
a quick run does when `--targets` names them. The same floor served as our server serves a
session (`flet-patched`) runs only when `--targets` names it.

Each scenario gets a fresh server subprocess (free port on 127.0.0.1, temp data dir). Results go
to bench/results/<UTC timestamp>.json and bench/results/latest.json, server logs to
bench/results/logs/<UTC timestamp>/, and docs/benchmarks.md plus docs/bench/*.png are rebuilt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.scenarios import Limits, Scenario, run_scenario
from bench.servers import DEFAULT_WORKERS, KINDS, REPO_ROOT

RESULTS_DIR = REPO_ROOT / "bench" / "results"
DOCS_DIR = REPO_ROOT / "docs"

# Room scenarios use Scenario's default rate: one message every 500 ms for the room in total,
# from 5 senders (each one every 2.5 s, well under the per-user limit of a burst of 10 then 2/s).


BASELINES = ("ours", "tutorial", "floor")
NOT_RUN_REASONS = {
    "history": "the baselines keep no history",
    "storm": "the restart storm runs against our server only",
}
QUICK_TARGETS = BASELINES
# The Flet session floor (bench/baselines/flet_session.py): full runs only.
FULL_TARGETS = (*BASELINES, "cluster", "flet-session")
# ... and served as our server serves a session: only where a run's --targets names it.
PATCHED_FLOOR = ("flet-patched",)
# One letter per server in the run's message tags ("floor" and "flet-session" both begin
# with f).
TAG_LETTERS = {
    "ours": "o",
    "tutorial": "t",
    "floor": "f",
    "cluster": "c",
    "flet-session": "s",
    "flet-patched": "p",
}


def plan(quick: bool, targets: tuple[str, ...] | list[str] = ()) -> list[Scenario]:
    """The scenarios; the quick set runs the cluster and the Flet session floors only when
    `targets` names them, the full set the patched floor only when it does."""
    if quick:
        extra = ("cluster",) if "cluster" in targets else ()
        floors = tuple(k for k in ("flet-session", *PATCHED_FLOOR) if k in targets)
        baselines = (*BASELINES, *extra, *floors)
        return [
            Scenario("room-20", "room", 20, messages=10, targets=baselines),
            Scenario("room-50", "room", 50, messages=10, targets=baselines),
            Scenario(
                "history-20",
                "history",
                20,
                messages=10,
                history=100_000,
                targets=("ours", *extra),
            ),
            Scenario("churn-100", "churn", 100, targets=baselines),
            Scenario(
                "storm-100", "storm", 100, messages=10, interval=0.25, targets=("ours", *extra)
            ),
        ]
    return [
        Scenario("room-50", "room", 50, messages=40, targets=(*FULL_TARGETS, *PATCHED_FLOOR)),
        Scenario("room-200", "room", 200, messages=40, targets=(*FULL_TARGETS, *PATCHED_FLOOR)),
        Scenario("room-500", "room", 500, messages=40, targets=(*FULL_TARGETS, *PATCHED_FLOOR)),
        Scenario("room-1000", "room", 1000, messages=40, targets=(*FULL_TARGETS, *PATCHED_FLOOR)),
        # Issue 18's joins: one more session sends every second while the 1,000 join (a room
        # run; its own kind keeps it out of the report's rooms by size).
        Scenario(
            "joins-1000",
            "joins",
            1000,
            messages=10,
            join_messages=1.0,
            targets=("ours", "floor", "cluster", "flet-session", *PATCHED_FLOOR),
        ),
        Scenario(
            "history-200",
            "history",
            200,
            messages=20,
            history=100_000,
            targets=("ours", "cluster"),
        ),
        Scenario("churn-1000", "churn", 1000, targets=(*FULL_TARGETS, *PATCHED_FLOOR)),
        Scenario(
            "storm-1000", "storm", 1000, messages=10, interval=0.25, targets=("ours", "cluster")
        ),
    ]


def parse_targets(text: str | None, quick: bool) -> list[str]:
    """--targets as a list; without it, every server the plan runs (the cluster: full only)."""
    if text is None:
        return list(QUICK_TARGETS if quick else FULL_TARGETS)
    targets = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in targets if t not in KINDS]
    if unknown or not targets:
        raise SystemExit(
            f"python -m bench.run: --targets takes a comma-separated subset of {','.join(KINDS)}"
            + (f"; unknown: {','.join(unknown)}" if unknown else "")
        )
    return targets


def machine_facts() -> dict[str, Any]:
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
                break

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "flet": version("flet"),
        "flet_web": version("flet-web"),
        "websockets": version("websockets"),
        "uvicorn": version("uvicorn"),
        "flet_chat": version("flet-chat"),
    }


# The tutorial's cost grows with sessions x rows; once a scale is this far past the budget a
# larger one only takes minutes to say the same thing.
TUTORIAL_P99_CUTOFF_MS = 5000.0


def tutorial_skip_reason(previous: dict[str, Any] | None, sessions: int, cap: int | None) -> str:
    """Why the tutorial baseline is not run at this scale ('' when it is run)."""
    if cap is not None and sessions > cap:
        return f"skipped above {cap} sessions (--tutorial-max-sessions)"
    if previous is None:
        return ""
    name = previous.get("scenario", {}).get("name", "the previous scale")
    if previous.get("status") != "ok":
        return f"skipped: it failed at {name} ({previous.get('error', 'error')})"
    requested = previous.get("sessions_requested") or 1
    joined = previous.get("sessions_joined") or 0
    expected = previous.get("deliveries_expected") or 0
    missing = previous.get("deliveries_missing") or 0
    if joined < 0.9 * requested:
        return f"skipped: only {joined} of {requested} sessions could join at {name}"
    if expected and missing > 0.1 * expected:
        return f"skipped: {missing} of {expected} deliveries were missing at {name}"
    if (previous.get("connect_wall_seconds") or 0) > 120:
        return f"skipped: joining took {previous['connect_wall_seconds']} s at {name}"
    p99 = (previous.get("latency_ms") or {}).get("p99")
    if p99 is not None and p99 > TUTORIAL_P99_CUTOFF_MS:
        return (
            f"skipped: p99 latency was already {p99 / 1000:.1f} s at {name} (over "
            f"{TUTORIAL_P99_CUTOFF_MS / 1000:.0f} s, 20x the budget); more sessions only add to "
            "it and would take the run past its time limit"
        )
    return ""


async def run_all(args: argparse.Namespace, stamp: str, logs_dir: Path) -> dict[str, Any]:
    run_id = secrets.token_hex(3)
    targets = parse_targets(args.targets, args.quick)
    only = {s for s in (args.only or "").split(",") if s}
    limits = Limits()
    scenarios = [s for s in plan(args.quick, targets) if not only or s.name in only]
    started = time.monotonic()
    report: dict[str, Any] = {
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "results_file": f"{stamp}.json",
        "command": "python -m bench.run " + " ".join(sys.argv[1:]),
        "targets": targets,
        "workers": args.workers,  # the cluster's worker processes
        "machine": machine_facts(),
        "limits": asdict(limits),
        "scenarios": [],
    }
    previous_tutorial: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="flet-chat-bench-") as tmp:
        for scenario in scenarios:
            entry: dict[str, Any] = {**asdict(scenario), "results": {}}
            for kind in targets:
                if kind not in scenario.targets:
                    entry["results"][kind] = {
                        "status": "n/a",
                        "reason": NOT_RUN_REASONS.get(scenario.kind, "not run"),
                    }
                    continue
                if kind == "tutorial":
                    reason = tutorial_skip_reason(
                        previous_tutorial.get(scenario.kind),
                        scenario.sessions,
                        args.tutorial_max_sessions if scenario.kind == "room" else None,
                    )
                    if reason:
                        print(f"[bench] {scenario.name} tutorial: {reason}", flush=True)
                        entry["results"][kind] = {"status": "skipped", "reason": reason}
                        continue
                print(f"[bench] {scenario.name} on {kind} ...", flush=True)
                result = await run_scenario(
                    scenario,
                    kind,
                    work_dir=Path(tmp),
                    logs_dir=logs_dir,
                    run_id=f"{run_id}{len(report['scenarios'])}{TAG_LETTERS[kind]}",
                    limits=limits,
                    workers=args.workers,
                )
                print(f"[bench]   {one_line(result)}", flush=True)
                entry["results"][kind] = result
                if kind == "tutorial":
                    previous_tutorial[scenario.kind] = result
            report["scenarios"].append(entry)
            write_json(report, stamp, partial=True)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["duration_seconds"] = round(time.monotonic() - started, 1)
    return report


def one_line(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return f"{result.get('status')}: {result.get('error') or result.get('reason')}"
    if "back_after_healthy_ms" in result:
        back = result["back_after_healthy_ms"]
        return (
            f"joined {result['sessions_joined']}/{result['sessions_requested']}; back "
            f"{result['sessions_back']} (within {result['goal_seconds']:.0f} s: "
            f"{result['back_within_goal']}); after healthy p50 {back['p50']} p95 {back['p95']} "
            f"max {back['max']} ms; tags missing {result['tags_missing']}; failures "
            f"{result['reconnect_failures']}; {result['scenario_seconds']} s"
        )
    if "latency_ms" in result:
        lat = result["latency_ms"]
        return (
            f"joined {result['sessions_joined']}/{result['sessions_requested']} in "
            f"{result['connect_wall_seconds']}s; p50 {lat['p50']} p99 {lat['p99']} max "
            f"{lat['max']} ms; missing {result['deliveries_missing']}/"
            f"{result['deliveries_expected']}; crashes {result['crashes']}; "
            f"RSS/session {result['server']['rss_per_session_kb']} KB "
            f"(settled {result['server'].get('rss_per_session_settled_kb')} KB); "
            f"{result['scenario_seconds']} s"
        )
    return (
        f"cycles {result['cycles_completed']}/{result['cycles_requested']}; RSS "
        f"{result['server']['rss_start_mb']} -> {result['server']['rss_end_mb']} MB "
        f"({result['server']['rss_growth_percent']}%); leftovers "
        f"{result['leftover_sessions']}/{result['leftover_flet_sessions']}; "
        f"{result['scenario_seconds']} s"
    )


def write_json(report: dict[str, Any], stamp: str, *, partial: bool = False) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{stamp}.json"
    text = json.dumps(report, indent=2, sort_keys=False, default=str)
    path.write_text(text + "\n")
    if not partial:
        shutil.copyfile(path, RESULTS_DIR / "latest.json")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small scales, about 3 minutes")
    parser.add_argument(
        "--targets",
        default=None,
        help=(
            f"servers to run, a subset of {','.join(KINDS)} (default: "
            f"{','.join(FULL_TARGETS)}; with --quick {','.join(QUICK_TARGETS)})"
        ),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"worker processes of the cluster target (default {DEFAULT_WORKERS})",
    )
    parser.add_argument("--only", help="comma-separated scenario names (default: all)")
    parser.add_argument(
        "--tutorial-max-sessions",
        type=int,
        default=None,
        help="do not run the tutorial baseline's room scenarios above this many sessions",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rebuild docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    parse_targets(args.targets, args.quick)  # an unknown name stops here, before any server
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs_dir = RESULTS_DIR / "logs" / stamp
    logs_dir.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(run_all(args, stamp, logs_dir))
    path = write_json(report, stamp)
    print(f"[bench] results: {path.relative_to(REPO_ROOT)} ({report['duration_seconds']} s)")
    if not args.no_docs:
        from bench.report import write_docs

        doc = write_docs(report, DOCS_DIR, RESULTS_DIR)
        print(f"[bench] docs: {doc.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
