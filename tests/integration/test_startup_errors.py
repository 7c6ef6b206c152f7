"""What a person starting the server sees when something is off: one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, free_port

pytestmark = pytest.mark.integration


def start(tmp_path: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLET_CHAT_DATA_DIR": str(tmp_path), "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "flet_chat", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql+asyncpg://no_such_role@127.0.0.1:5432/test", 'role "no_such_role"'),
        (f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test", "Connect call failed"),
    ],
    ids=["unknown role", "nothing listening"],  # stable: parallel workers compare the ids
)
def test_a_database_that_cannot_be_used_is_one_line(tmp_path: Path, url: str, reason: str) -> None:
    run = start(tmp_path, url)
    assert run.returncode == 2
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("flet-chat: cannot use the database postgresql+asyncpg://")
    assert reason in lines[0]


def test_a_normal_start_logs_no_alembic_plugin_noise(server: ServerProcess) -> None:
    server.stop()
    assert "alembic.runtime.plugins" not in server.log_text()
    assert "Application startup complete" in server.log_text()
