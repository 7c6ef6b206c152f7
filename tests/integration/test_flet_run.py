"""`flet run --web` from the project root starts src/main.py, a working chat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flet_chat.testing.flet_client import FletClient
from tests.integration.conftest import has_row
from tests.support.server import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def flet_run_web(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "FLET_CHAT_DATA_DIR": str(tmp_path / "data"), "FLET_WEB_NO_CDN": "true"}
    flet = Path(sys.executable).parent / "flet"
    log = (tmp_path / "flet-run.log").open("wb")
    process = subprocess.Popen(
        [str(flet), "run", "--web", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # flet run starts the app as a child: stop the whole group
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "flet-run.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "flet run --web did not start"
            time.sleep(0.2)  # polling for the port to open
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


async def test_flet_run_web_serves_the_chat(flet_run_web: str, tmp_path: Path) -> None:
    client = await FletClient(flet_run_web).connect()
    try:
        await client.join("Runner")
        await client.send("hello from flet run")
        await client.wait_for(lambda: has_row(client, "hello from flet run"))
    finally:
        await client.close()
    assert (tmp_path / "data" / "chat.db").exists()
