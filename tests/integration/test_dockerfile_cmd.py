"""The image's start command serves the app and stops on SIGTERM.

Docker cannot run on the development machines, so this runs the Dockerfile's CMD argv from the
venv (bound to 127.0.0.1 and a free port instead of 0.0.0.0:8000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, free_port
from tests.unit.test_deploy_config import DOCKERFILE, Dockerfile, parse_dockerfile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text())


def test_dockerfile_cmd_serves_and_stops_on_sigterm(dockerfile: Dockerfile, tmp_path: Path) -> None:
    argv = list(dockerfile.cmd)
    port = free_port()
    for flag, container_value, local_value in (
        ("--host", "0.0.0.0", "127.0.0.1"),
        ("--port", "8000", str(port)),
    ):
        index = argv.index(flag) + 1
        assert argv[index] == container_value, f"{flag} is {argv[index]}, not {container_value}"
        argv[index] = local_value
    assert argv != dockerfile.cmd
    executable = Path(sys.executable).parent / argv[0]
    assert executable.is_file(), f"{argv[0]} is not installed next to {sys.executable}"
    argv[0] = str(executable)

    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "FLET_CHAT_DATA_DIR": str(data_dir),
        "FLET_WEB_NO_CDN": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)  # the SQLite file in the data dir is what this test checks
    server = ServerProcess(data_dir=data_dir, log_path=tmp_path / "server.log", port=port)
    with server.log_path.open("ab") as log:
        process = subprocess.Popen(
            argv, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
    server.process = process
    try:
        health = server.wait_healthy(timeout=60)
        assert health["status"] == "ok", health
        assert health["database"] == "ok", health
        assert (data_dir / "chat.db").is_file(), f"no chat.db in {data_dir}"

        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 15 s after SIGTERM; log:\n{server.log_text()}")
        assert code == 0, f"exit code {code} after SIGTERM; log:\n{server.log_text()}"
        assert not server.error_lines(), server.log_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
