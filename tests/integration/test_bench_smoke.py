"""The load benchmark's harness at small scale, so it cannot rot between benchmark runs.

Runs `bench` exactly as `python -m bench.run` does (its own server launcher, a fresh server),
with 20 sessions and 10 messages, and checks that every message reached every session.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from bench import keystrokes
from bench.scenarios import Limits, Scenario, run_scenario

pytestmark = pytest.mark.integration
SMALL_LIMITS = Limits(settle_timeout=10, drain_timeout=10, scenario_timeout=50)


async def run_small(scenario: Scenario, tmp_path: Path) -> dict[str, Any]:
    """Run `scenario` on its one target with short limits, as `python -m bench.run` would."""
    (kind,) = scenario.targets
    return await run_scenario(
        scenario, kind, work_dir=tmp_path, logs_dir=tmp_path / "logs", limits=SMALL_LIMITS
    )


async def test_the_harness_delivers_every_message_to_every_session(tmp_path: Path) -> None:
    scenario = Scenario(
        "smoke-20", "room", 20, senders=5, messages=10, interval=0.25, targets=("ours",)
    )

    result = await run_small(scenario, tmp_path)

    assert result["status"] == "ok", result
    assert result["sessions_joined"] == 20, result["join_failures"]
    assert result["messages_sent"] == 10
    assert result["deliveries_expected"] == 200
    assert result["deliveries_missing"] == 0, result["send_outcomes"]
    assert result["crashes"] == 0, result["crash_samples"]
    assert result["disconnected_unexpectedly"] == 0, result["disconnect_samples"]
    latency = result["latency_ms"]
    assert latency["count"] == 200
    for key in ("p50", "p95", "p99", "max"):
        assert isinstance(latency[key], float), latency
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert result["server"]["rss_per_session_kb"] is not None
    assert result["server_log_problems"]["error_lines"] == 0, result["server_log_problems"]
    json.loads(json.dumps(result))  # the report is plain JSON


async def test_the_flet_session_floor_joins_and_delivers(tmp_path: Path) -> None:
    """The Flet session floor in a joins scenario: every session joins through its name
    dialog, and the messages sent while they join (if any joined before one was sent: 20 join
    in a moment) and after reach the sessions that had joined."""
    scenario = Scenario(
        "joins-20",
        "joins",
        20,
        senders=2,
        messages=4,
        interval=0.25,
        join_messages=0.1,
        targets=("flet-session",),
    )

    result = await run_small(scenario, tmp_path)

    assert result["status"] == "ok", result
    assert result["sessions_joined"] == 20, result["join_failures"]
    assert result["deliveries_expected"] == 80
    assert result["deliveries_missing"] == 0, result["send_outcomes"]
    assert result["crashes"] == 0, result["crash_samples"]
    assert result["during_joins"]["deliveries_missing"] == 0, result["during_joins"]
    assert result["server"]["join_phase"]["cpu_seconds"] > 0
    assert result["server_log_problems"]["error_lines"] == 0, result["server_log_problems"]


async def test_the_keystroke_benchmark_types_into_joined_sessions() -> None:
    """`python -m bench.keystrokes` at small scale: it joins, types, and measures each round
    (it raises if a session fails to join or crashes)."""
    args = argparse.Namespace(sessions=6, typists=2, keys=5, interval=0.02, rounds=2)

    result = await keystrokes.run(args)

    assert result["typists"] == 2
    assert result["keys"] == 5
    assert len(result["rounds_ms_per_keystroke"]) == 2
    assert all(ms >= 0 for ms in result["rounds_ms_per_keystroke"])
