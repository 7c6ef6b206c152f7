"""Runs the real server (`python -m flet_chat serve`) in a subprocess for integration/e2e tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Each pytest-xdist worker takes ports from a block of its own, below the kernel's ephemeral
# range (32768 on): two workers asking the kernel for a free port at the same moment were once
# handed the same one, and the second server's health check then found the first server.
PORT_BLOCK_START = 20_000
PORT_BLOCK_SIZE = 1_500
_next_port: int | None = None


def free_port() -> int:
    """A port free now that no other test worker will pick."""
    global _next_port
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    block = PORT_BLOCK_START + (int(worker) if worker.isdigit() else 0) % 8 * PORT_BLOCK_SIZE
    if _next_port is None:  # two test runs at once start at different places in the block
        _next_port = os.getpid() % PORT_BLOCK_SIZE
    for _ in range(PORT_BLOCK_SIZE):
        port = block + _next_port
        _next_port = (_next_port + 1) % PORT_BLOCK_SIZE
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {block}..{block + PORT_BLOCK_SIZE - 1}")


@dataclass
class ServerProcess:
    data_dir: Path
    log_path: Path
    env_overrides: Mapping[str, str] = field(default_factory=dict)
    extra_args: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {
            **os.environ,
            "FLET_CHAT_DATA_DIR": str(self.data_dir),
            "FLET_WEB_NO_CDN": "true",
            "PYTHONUNBUFFERED": "1",
            **self.env_overrides,
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "flet_chat", "serve", "--port", str(self.port)),
                *self.extra_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited early; log:\n{self.log_text()}")
            try:
                response = httpx.get(f"{self.base_url}/healthz", timeout=2)
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.HTTPError as error:
                last_error = error
            time.sleep(0.1)  # polling a readiness probe, not standing in for synchronisation
        raise TimeoutError(
            f"server not healthy after {timeout}s ({last_error}); log:\n{self.log_text()}"
        )

    def health(self) -> dict[str, object]:
        return dict(httpx.get(f"{self.base_url}/healthz", timeout=5).json())

    def stop(self) -> int | None:
        """SIGTERM, as Fly and systemd stop it; returns the exit code."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self) -> int | None:
        """SIGKILL: no shutdown at all, as a power cut or the OOM killer; returns the exit code."""
        if self.process is None:
            return None
        self.process.kill()
        code = self.process.wait()
        self.process = None
        return code

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def error_lines(self) -> list[str]:
        """Lines the server logged at ERROR or above: by their level field (ours: "date time
        LEVEL name: message"; uvicorn's: "LEVEL: message"), so that words in a message (a
        client's, say) never count."""
        return [line for line in self.log_text().splitlines() if _is_error(line)]


def _is_error(line: str) -> bool:
    fields = line.split(" ", 3)
    ours = len(fields) > 2 and fields[2] in ("ERROR", "CRITICAL")
    return ours or line.startswith(("ERROR:", "CRITICAL:")) or "Exception in ASGI" in line
