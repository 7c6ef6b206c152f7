"""The reconnect storm's load client and harness at small scale, against a real server restart.

A benchmark session keeps the token the server stores in its client storage and answers the next
server's `get` with it, so after the restart it is the same user again; one whose storage lost
the token gets the name dialog, and the harness must say so rather than count it back.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from bench import load_client as lc
from bench.scenarios import Limits, Scenario, run_scenario
from bench.servers import BenchServer

from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY

pytestmark = pytest.mark.integration


async def test_a_session_is_back_only_with_the_token_its_storage_kept(tmp_path: Path) -> None:
    server = BenchServer("ours", tmp_path / "data", tmp_path / "server.log").start()
    sessions: list[lc.LoadSession] = []
    try:
        opened = await lc.open_sessions(server.ws_url, 2, lc.Recorder("t"), name_prefix="keeper")
        sessions = opened.sessions
        assert opened.failures == {}
        kept, lost = sessions
        for session in (kept, lost):  # the join stored the account's token in client storage
            assert session.storage.get(IDENTITY_STORAGE_KEY)
        del lost.storage[IDENTITY_STORAGE_KEY]  # as if the browser's storage was cleared
        rng = random.Random(1)
        # The lost one is shown the dialog for good (no token: nothing to check again), so it
        # fails when its shorter wait for the account menu runs out.
        tasks = [
            asyncio.create_task(s.reconnect(timeout, rng=rng))
            for s, timeout in ((kept, 60), (lost, 20))
        ]
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(server.start)
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)

        assert outcomes[0] is None, outcomes[0]
        assert kept.t_back is not None
        assert kept.reconnect_attempts >= 1
        assert isinstance(outcomes[1], RuntimeError)
        assert "name dialog" in str(outcomes[1])
        assert lost.t_back is None
    finally:
        await lc.close_sessions(sessions)
        server.stop()


async def test_the_storm_brings_every_session_back_with_the_messages_before_it(
    tmp_path: Path,
) -> None:
    scenario = Scenario("storm-20", "storm", 20, messages=6, interval=0.25, targets=("ours",))
    limits = Limits(settle_timeout=10, reconnect_timeout=60, scenario_timeout=90)

    result = await run_scenario(
        scenario, "ours", work_dir=tmp_path, logs_dir=tmp_path / "logs", limits=limits
    )

    assert result["status"] == "ok", result
    assert result["sessions_joined"] == 20, result["join_failures"]
    assert result["tags_checked"] == 6, result["send_outcomes"]
    assert result["sessions_back"] == 20, result["reconnect_failures"]
    assert result["tags_missing"] == 0
    assert result["back_after_healthy_ms"]["count"] == 20
    assert result["restart"]["exit_code"] == 0
    assert result["server"]["storm_phase"]["cpu_seconds"] > 0
    assert result["server"]["health_after_storm"]["sessions"] == 20
    assert result["server_log_problems"]["error_lines"] == 0, result["server_log_problems"]
    json.loads(json.dumps(result))  # the report is plain JSON


async def test_the_cluster_serves_the_killed_workers_sessions_from_another(
    tmp_path: Path,
) -> None:
    scenario = Scenario("storm-20", "storm", 20, messages=4, interval=0.25, targets=("cluster",))
    limits = Limits(settle_timeout=10, reconnect_timeout=60, scenario_timeout=120)

    result = await run_scenario(
        scenario, "cluster", work_dir=tmp_path, logs_dir=tmp_path / "logs", limits=limits
    )

    assert result["status"] == "ok", result
    assert result["sessions_joined"] == 20, result["join_failures"]
    facts = result["restart"]
    assert facts["sessions_unattributed"] == 0, facts
    assert sum(facts["sessions_per_worker"].values()) == 20
    assert 0 < result["sessions_dropped"] == facts["killed_worker_sessions"] <= 20
    assert result["sessions_back"] == result["sessions_dropped"], result["reconnect_failures"]
    assert result["tags_checked"] == 4, result["send_outcomes"]
    assert result["tags_missing"] == 0
