"""The join-store benchmark at small scale, so it cannot rot between runs: real migrations on
SQLite, every join's store calls made and answered."""

from __future__ import annotations

import json

import pytest
from bench.join_store import run

pytestmark = pytest.mark.integration


async def test_every_join_is_made_and_timed() -> None:
    result = await run(joins=4, rounds=2)
    assert result["joined"] == 4 * 3  # the warm-up round's joins too
    assert len(result["cpu_ms_per_join"]) == 2
    assert all(ms > 0 for ms in result["cpu_ms_per_join"])
    json.loads(json.dumps(result))  # the report is plain JSON
