"""The sign-in benchmark's in-process harness at small scale, so it cannot rot between runs: real
migrations on SQLite, the real argon2id hasher, every sign-in timed and answered."""

from __future__ import annotations

import argparse
import json

import pytest
from bench.sign_in import run_in_process

pytestmark = pytest.mark.integration


async def test_the_in_process_harness_times_every_sign_in() -> None:
    args = argparse.Namespace(accounts=3, sign_ins=6, concurrency=[1, 2])
    result = await run_in_process(args)
    assert result["via"] == "inprocess"
    assert [run["concurrency"] for run in result["runs"]] == [1, 2]
    for run in result["runs"]:
        latency = run["latency_ms"]
        assert latency["count"] == 6
        # An argon2id check of 32 MiB takes tens of milliseconds: a run that skipped it would not.
        assert 5 < latency["p50"] <= latency["p99"] <= latency["max"], latency
        assert run["cpu_seconds_per_sign_in"] > 0.005
        assert run["loop_lag_ms"]["count"] > 0
    assert result["guest_ms"]["count"] == 3
    json.loads(json.dumps(result))  # the report is plain JSON
