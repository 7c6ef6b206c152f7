"""Starts the servers under test as subprocesses and samples their memory and CPU from /proc.

Every server listens on 127.0.0.1 on a free port, with a fresh data dir, and logs to a file the
caller keeps (bench/results/logs/...). Four kinds:

- `ours`: Flet Chat itself, `python -m flet_chat serve` (as tests/support/server.py does): one
  process, SQLite in the data dir;
- `tutorial`: the seed tutorial's app, `python -m bench.baselines.tutorial_app`;
- `floor`: the bare broadcast server, `python -m bench.baselines.ws_broadcast`;
- `cluster`: Flet Chat scaled out, `python -m flet_chat serve --workers N`: N uvicorn worker
  processes under one parent on one port, the Redis bus (a fresh channel prefix per start) and a
  fresh PostgreSQL database per start, dropped after stop (flet_chat.testing.services). Its
  samples sum over the parent and every descendant process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
KINDS = ("ours", "tutorial", "floor", "cluster", "flet-session", "flet-patched")
# Our server, whichever way it runs: /healthz, message rows, history.
FLET_CHAT_KINDS = frozenset({"ours", "cluster"})
DEFAULT_WORKERS = 2  # one per core on the 2-core machines the benchmark runs on
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class ProcSample:
    """One reading of a process (or a process tree): resident memory and CPU time used so far."""

    at: float
    rss_bytes: int
    cpu_seconds: float
    threads: int
    processes: int = 1


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: index 1 is the ppid, 11/12 utime/stime,
    13/14 the CPU time of children it has waited for."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces; fields after the closing parenthesis are fixed.
        return stat.read().rsplit(")", 1)[1].split()


def _rss_and_threads(pid: int) -> tuple[int, int]:
    rss_kb = 0
    threads = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss_kb * 1024, threads


def sample_process(pid: int) -> ProcSample:
    rss, threads = _rss_and_threads(pid)
    fields = _stat_fields(pid)
    utime, stime = int(fields[11]), int(fields[12])
    return ProcSample(time.monotonic(), rss, (utime + stime) / CLK_TCK, threads)


def descendants(root: int) -> list[int]:
    """Every live process under `root` (children, grandchildren...), from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry.name))[1])
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def sample_tree(root: int) -> ProcSample:
    """The sum over `root` and its descendants, found anew on every call (workers may restart).

    CPU counts each process's own time plus that of the children it has reaped, so a worker that
    exited (and was waited for by the parent) still counts and the total does not drop.
    """
    # The root's reads raise if it is gone, as sample_process() does.
    rss, threads = _rss_and_threads(root)
    cpu = sum(int(x) for x in _stat_fields(root)[11:15]) / CLK_TCK
    processes = 1
    for pid in descendants(root):
        try:
            fields = _stat_fields(pid)
            pid_rss, pid_threads = _rss_and_threads(pid)
        except (OSError, IndexError, ValueError):
            continue  # exited between the scan and the read
        rss += pid_rss
        threads += pid_threads
        cpu += sum(int(x) for x in fields[11:15]) / CLK_TCK
        processes += 1
    return ProcSample(time.monotonic(), rss, cpu, threads, processes)


def socket_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the server side of the local TCP connection from `client_port` to
    `server_port` (None when it cannot be told)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)  # the header
                for line in lines:
                    fields = line.split()
                    # local "ADDR:PORT" is the server's end, remote the client's; ports in hex.
                    if (
                        int(fields[1].rsplit(":", 1)[1], 16) == server_port
                        and int(fields[2].rsplit(":", 1)[1], 16) == client_port
                    ):
                        inode = fields[9]
                        break
        except (OSError, StopIteration, IndexError, ValueError):
            continue
        if inode is not None:
            break
    if inode is None or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
    return None


def _identities(pids: list[int]) -> dict[int, str]:
    """pid -> its start time (stat field 22), for the pids still running."""
    found: dict[int, str] = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            found[pid] = _stat_fields(pid)[19]
    return found


def _run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Runs `coro` to the end on a fresh event loop in another thread: callable with or without
    a running loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class BenchServer:
    kind: str
    data_dir: Path
    log_path: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    workers: int = DEFAULT_WORKERS  # cluster only
    # cluster only: the fresh PostgreSQL database (prepare() makes it, stop() drops it) and the
    # Redis channel prefix of this start.
    database_url: str | None = None
    redis_prefix: str | None = None
    _log_offset: int = field(default=0, repr=False)  # where this start's log lines begin

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
        return self.kind in FLET_CHAT_KINDS

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
        if self.kind in ("flet-session", "flet-patched"):
            patched = ["--patched"] if self.kind == "flet-patched" else []
            return [sys.executable, "-m", "bench.baselines.flet_session", "--port", port, *patched]
        if self.kind == "cluster":
            return [
                *(sys.executable, "-m", "flet_chat", "serve", "--port", port),
                *("--workers", str(self.workers)),
            ]
        raise ValueError(f"unknown server kind {self.kind!r}")

    def prepare(self) -> BenchServer:
        """The cluster's fresh PostgreSQL database and Redis prefix (a no-op for other kinds).

        start() calls it; call it before to seed the database the server will use.
        """
        if self.kind != "cluster":
            return self
        from flet_chat.testing.services import create_postgres_database, unique_redis_prefix

        if self.database_url is None:
            self.database_url = str(_run_coroutine(create_postgres_database()))
        if self.redis_prefix is None:
            self.redis_prefix = unique_redis_prefix()
        return self

    def drop_database(self) -> None:
        """Drops the cluster's database; a failure is printed, not raised (stop() must finish)."""
        if self.database_url is None:
            return
        from flet_chat.testing.services import drop_postgres_database

        url, self.database_url = self.database_url, None
        try:
            _run_coroutine(drop_postgres_database(url))
        except Exception as error:
            print(f"[bench] could not drop the database {url}: {error!r}", file=sys.stderr)

    def _environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "FLET_CHAT_DATA_DIR": str(self.data_dir),
            "FLET_WEB_NO_CDN": "true",
            "PYTHONUNBUFFERED": "1",
            # A thousand sessions from one host: its per-IP budget would refuse them (per-user
            # and per-connection limits still apply).
            "FLET_CHAT_RATE_LIMIT_EXEMPT_NETWORKS": '["127.0.0.0/8"]',
        }
        if self.kind == "cluster":
            from flet_chat.testing.services import REDIS_URL

            assert self.database_url is not None, "prepare() makes the database"
            assert self.redis_prefix is not None, "prepare() picks the prefix"
            env |= {
                "REDIS_URL": REDIS_URL,
                "FLET_CHAT_REDIS_PREFIX": self.redis_prefix,
                "DATABASE_URL": self.database_url,
            }
        env |= self.env_overrides
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        return env

    def start(self, timeout: float = 60.0) -> BenchServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self._environment(),
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready(timeout)
        return self

    def _probe_path(self) -> str:
        return "/healthz" if self.kind in ("ours", "floor", "cluster") else "/"

    def _log_count(self, needle: str) -> int:
        """Lines holding `needle` that this start wrote to the log."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                return log.read().decode(errors="replace").count(needle)
        except OSError:
            return 0

    def _workers_ready(self) -> bool:
        """Cluster: /healthz answering proves one worker is up, not all N; uvicorn logs
        'Application startup complete.' once per worker when its startup hooks have run."""
        return (
            self.kind != "cluster"
            or self._log_count("Application startup complete.") >= self.workers
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + self._probe_path(), timeout=2) as r:
                    if r.status == 200 and self._workers_ready():
                        self._wait_bus_connected(deadline)
                        return
            except (OSError, urllib.error.URLError) as error:
                last_error = error
            time.sleep(0.1)  # polling a readiness probe
        raise TimeoutError(f"{self.kind} server not ready after {timeout}s: {last_error}")

    def _wait_bus_connected(self, deadline: float) -> None:
        """Cluster: each worker subscribes to the Redis channel in the background after its
        startup; give them until the deadline (at most 10 s) to say so in the log. Not fatal:
        a message published before a worker subscribed is caught up from the store anyway."""
        if self.kind != "cluster":
            return
        until = min(deadline, time.monotonic() + 10)
        while time.monotonic() < until:
            if self._log_count("redis bus connected") >= self.workers:
                return
            time.sleep(0.1)  # polling the log

    def _health_once(self, timeout: float) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=timeout) as r:
                return dict(json.loads(r.read()))
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def health(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """Our /healthz body, or None for servers without one (or when it does not answer).

        Cluster: see cluster_health().
        """
        if not self.has_health:
            return None
        if self.kind == "cluster":
            return self.cluster_health(timeout)
        return self._health_once(timeout)

    def cluster_health(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """/healthz of every worker, summed: the cluster's sessions, Flet sessions, subscribers.

        Each request is answered by whichever worker accepted the connection, with that worker's
        counts only, and the body does not say which worker it was (the server is not changed
        for the benchmark). So /healthz is polled on a new connection each time, and while the
        connection is still open (keep-alive) /proc tells which worker holds its server side
        (the socket's inode from /proc/net/tcp, matched in the workers' /proc/<pid>/fd). Polls
        stop once every worker has answered, or after 6 x N polls; each count is the sum of
        every worker's latest answer.

        Limitations: the kernel hands a connection to any worker waiting in accept, so a
        worker may answer none of the polls (`all_workers_answered` is then false and its
        sessions are not counted); and an answer that could not be attributed (a worker
        restarted between the scan and the lookup) only raises a count to its own value, as
        the MAX over polls would. `per_worker` keeps each worker's answer.
        """
        counts = ("sessions", "flet_sessions", "pubsub_subscribers")
        processes = descendants(self.pid)
        latest: dict[int, dict[str, Any]] = {}
        unattributed: list[dict[str, Any]] = []
        polls = 0
        while polls < 6 * self.workers and len(latest) < self.workers:
            polls += 1
            body, owner = self._health_attributed(timeout, processes)
            if body is not None and owner is None:
                processes = descendants(self.pid)  # a worker may have been restarted
                unattributed.append(body)
            elif body is not None and owner is not None:
                latest[owner] = body
        answers = [*latest.values(), *unattributed]
        if not answers:
            return None
        merged: dict[str, Any] = dict(answers[-1])
        merged["status"] = "ok" if all(a.get("status") == "ok" for a in answers) else "degraded"
        for key in counts:
            total = sum(int(a.get(key) or 0) for a in latest.values())
            merged[key] = max([total, *(int(a.get(key) or 0) for a in unattributed)])
        merged["workers_answered"] = len(latest)
        merged["all_workers_answered"] = len(latest) >= self.workers
        merged["polls"] = polls
        merged["unattributed_answers"] = len(unattributed)
        merged["per_worker"] = {
            str(pid): {k: a.get(k) for k in (*counts, "gc_pauses")}
            for pid, a in sorted(latest.items())
        }
        return merged

    def _health_attributed(
        self, timeout: float, processes: list[int]
    ) -> tuple[dict[str, Any] | None, int | None]:
        """One /healthz on a new connection: its body and the pid of the process that answered."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            raw = response.read()
            if response.status != 200:
                return None, None
            body = dict(json.loads(raw))
            # The connection is kept alive: its server side is still open in the worker.
            sock = conn.sock
            owner = (
                None if sock is None else socket_owner(self.port, sock.getsockname()[1], processes)
            )
            return body, owner
        except (OSError, http.client.HTTPException, ValueError):
            return None, None
        finally:
            conn.close()

    def sample(self) -> ProcSample:
        if self.kind == "cluster":
            return sample_tree(self.pid)
        return sample_process(self.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        if self.process is None:
            self.drop_database()
            return None
        # The cluster's workers, identified by pid and start time, so that none outlives a
        # parent that had to be killed (and no other process that reused a pid is touched).
        children = _identities(descendants(self.process.pid)) if self.kind == "cluster" else {}
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        for pid, started in children.items():
            if _identities([pid]).get(pid) == started:  # still the same process, still running
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        code = self.process.returncode
        self.process = None
        self.drop_database()
        self.redis_prefix = None  # the next start gets a fresh one
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
