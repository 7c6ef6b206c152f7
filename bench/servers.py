"""Starts the servers under test as subprocesses and samples their memory and CPU from /proc.

Every server listens on 127.0.0.1 on a free port, with a fresh data dir, and logs to a file the
caller keeps (bench/results/logs/...). Three kinds:

- `ours`: Flet Chat itself, `python -m flet_chat serve` (as tests/support/server.py does);
- `tutorial`: the seed tutorial's app, `python -m bench.baselines.tutorial_app`;
- `floor`: the bare broadcast server, `python -m bench.baselines.ws_broadcast`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
KINDS = ("ours", "tutorial", "floor")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class ProcSample:
    """One reading of a process: resident memory and CPU time used so far."""

    at: float
    rss_bytes: int
    cpu_seconds: float
    threads: int


def sample_process(pid: int) -> ProcSample:
    rss_kb = 0
    threads = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces; fields after the closing parenthesis are fixed.
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return ProcSample(time.monotonic(), rss_kb * 1024, (utime + stime) / CLK_TCK, threads)


@dataclass
class BenchServer:
    kind: str
    data_dir: Path
    log_path: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws" if self.kind != "floor" else self.base_ws

    @property
    def base_ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def has_health(self) -> bool:
        return self.kind == "ours"

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def command(self) -> list[str]:
        port = str(self.port)
        if self.kind == "ours":
            return [sys.executable, "-m", "flet_chat", "serve", "--port", port]
        if self.kind == "tutorial":
            return [sys.executable, "-m", "bench.baselines.tutorial_app", "--port", port]
        if self.kind == "floor":
            return [sys.executable, "-m", "bench.baselines.ws_broadcast", "--port", port]
        raise ValueError(f"unknown server kind {self.kind!r}")

    def start(self, timeout: float = 60.0) -> BenchServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FLET_CHAT_DATA_DIR": str(self.data_dir),
            "FLET_WEB_NO_CDN": "true",
            "PYTHONUNBUFFERED": "1",
            **self.env_overrides,
        }
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        self.wait_ready(timeout)
        return self

    def _probe_path(self) -> str:
        return "/healthz" if self.kind in ("ours", "floor") else "/"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + self._probe_path(), timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError) as error:
                last_error = error
            time.sleep(0.1)  # polling a readiness probe
        raise TimeoutError(f"{self.kind} server not ready after {timeout}s: {last_error}")

    def health(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """Our /healthz body, or None for servers without one (or when it does not answer)."""
        if not self.has_health:
            return None
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=timeout) as r:
                return dict(json.loads(r.read()))
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def sample(self) -> ProcSample:
        return sample_process(self.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        code = self.process.returncode
        self.process = None
        return code

    def log_problems(self, limit: int = 12) -> dict[str, Any]:
        """ERROR lines and tracebacks in the server log: counts and the distinct exceptions."""
        if not self.log_path.exists():
            return {"error_lines": 0, "warning_lines": 0, "tracebacks": 0, "exceptions": {}}
        lines = self.log_path.read_text(errors="replace").splitlines()
        error_lines = sum(
            " ERROR " in line
            or " CRITICAL " in line
            or "Exception in ASGI" in line
            or line.startswith("ERROR:")
            for line in lines
        )
        warning_lines = sum(" WARNING " in line or line.startswith("WARNING:") for line in lines)
        exceptions: dict[str, int] = {}
        tracebacks = 0
        for i, line in enumerate(lines):
            if not line.startswith("Traceback (most recent call last)"):
                continue
            tracebacks += 1
            # The exception is the first unindented line after the frames.
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j]):
                j += 1
            final = lines[j][:200] if j < len(lines) else "(log ended inside a traceback)"
            exceptions[final] = exceptions.get(final, 0) + 1
        top = dict(sorted(exceptions.items(), key=lambda kv: -kv[1])[:limit])
        return {
            "error_lines": error_lines,
            "warning_lines": warning_lines,
            "tracebacks": tracebacks,
            "exceptions": top,
        }
