"""The reconnect storm (issue 18, goal 2): N joined sessions, the server restarted, all come back.

Every session joins through the name dialog (the server stores its session token in the
session's client storage), a few send tagged messages and wait for them to come back, then

- `ours` (one process): the server gets SIGTERM and is started again on the same port and data
  dir; the clock starts when it answers `/healthz` again;
- `cluster`: the worker holding the most sessions gets SIGKILL; the clock starts then (the other
  worker serves all along, and uvicorn's parent starts a new one).

Every session that lost its socket reconnects as our web client does (`LoadSession.reconnect`:
Flet's retry schedule with some jitter, the page's reload, a register with a session id the
serving process does not know, the token read back from client storage) and is *back* when its
header shows the account menu.

*Missing* counts (session, tag) pairs where a tag sent (and echoed) before the restart is not in
what that session received after it: the history the new session loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench import load_client as lc
from bench.servers import BenchServer, ProcSample, descendants

if TYPE_CHECKING:
    from bench.scenarios import Limits, Scenario


@dataclass
class CpuTrace:
    """The server's samples every `period` s, to read its CPU up to the moment all were back."""

    server: BenchServer
    period: float = 0.25
    samples: list[ProcSample] = field(default_factory=list)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> CpuTrace:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.samples.append(self.server.sample())
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(OSError):
            self.samples.append(self.server.sample())

    def until(self, moment: float) -> ProcSample | None:
        """The first sample at or after `moment` (the last one if none is)."""
        for sample in self.samples:
            if sample.at >= moment:
                return sample
        return self.samples[-1] if self.samples else None


def acknowledged_tags(senders: Sequence[lc.LoadSession], log: lc.SendLog) -> list[int]:
    """Tags the server took before the restart: each came back to its own sender."""
    by_index = {s.index: s for s in senders}
    return sorted(
        seq for seq, sender in log.sender_of.items() if seq in by_index[sender].first_seen
    )


async def wait_for_history(
    sessions: Sequence[lc.LoadSession], tags: Sequence[int], timeout: float
) -> float:
    """The history loads in the background of a new session, so it may arrive after the account
    menu: wait (at most `timeout`) until every session back has every tag again; returns the
    seconds waited. What is still missing then is missing."""
    began = time.monotonic()
    wanted = set(tags)
    while time.monotonic() - began < timeout:
        if all(wanted <= s.seen_since_reconnect for s in sessions):
            break
        await asyncio.sleep(0.2)  # polling the sessions' own records, bounded by `timeout`
    return time.monotonic() - began


def storm_stats(
    sessions: Sequence[lc.LoadSession],
    outcomes: Sequence[BaseException | None],
    tags: Sequence[int],
    healthy_at: float,
    goal_seconds: float,
) -> dict[str, Any]:
    """Per-session reconnect times, failures by kind, and the tags missing after the return."""
    failures: dict[str, int] = {}
    back = [s for s, error in zip(sessions, outcomes, strict=True) if error is None and s.t_back]
    for error in outcomes:
        if error is not None:
            kind = lc.failure_kind(error)
            failures[kind] = failures.get(kind, 0) + 1
    after_healthy = [max(0.0, s.t_back - healthy_at) for s in back if s.t_back]
    missing = 0
    missing_sessions = 0
    for session in back:
        gone = sum(1 for seq in tags if seq not in session.seen_since_reconnect)
        missing += gone
        missing_sessions += bool(gone)
    return {
        "sessions_back": len(back),
        "back_within_goal": sum(1 for t in after_healthy if t <= goal_seconds),
        "goal_seconds": goal_seconds,
        "all_back_after_healthy_seconds": (
            round(max(after_healthy), 2) if len(back) == len(sessions) and back else None
        ),
        "reconnect_failures": dict(sorted(failures.items())),
        # Shown the name dialog first, then let in once the stored session was checked again.
        "back_after_the_dialog": sum(1 for s in back if s.restore_refused),
        "back_after_healthy_ms": lc.summarize(after_healthy),
        "back_after_drop_ms": lc.summarize(
            s.t_back - s.t_dropped for s in back if s.t_back and s.t_dropped
        ),
        # From the socket that stayed open to the account menu: the server's share.
        "restore_ms": lc.summarize(
            s.t_back - s.t_reopened for s in back if s.t_back and s.t_reopened
        ),
        "attempts_max": max((s.reconnect_attempts for s in sessions), default=0),
        "tags_checked": len(tags),
        "tags_missing": missing,
        "sessions_missing_some": missing_sessions,
    }


@dataclass
class Disruption:
    """What was done to the server: who lost their socket, and when the clock starts."""

    dropped: list[lc.LoadSession]
    tasks: list[asyncio.Task[None]]
    clock_from: float
    facts: dict[str, Any]


def _reconnect_all(
    sessions: Sequence[lc.LoadSession], limits: Limits, rng: random.Random
) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(
            s.reconnect(limits.reconnect_timeout, rng=rng, open_timeout=limits.open_timeout)
        )
        for s in sessions
    ]


async def restart(
    server: BenchServer, sessions: Sequence[lc.LoadSession], limits: Limits, rng: random.Random
) -> Disruption:
    """One process: SIGTERM, wait for the exit, start again; every session reconnects."""
    tasks = _reconnect_all(sessions, limits, rng)
    sigterm_at = time.monotonic()
    exit_code = await asyncio.to_thread(server.stop)
    stopped_at = time.monotonic()
    await asyncio.to_thread(server.start)
    healthy_at = time.monotonic()
    facts = {
        "what": "SIGTERM, then a fresh start; clock from /healthz answering again",
        "stop_seconds": round(stopped_at - sigterm_at, 2),
        "start_seconds": round(healthy_at - stopped_at, 2),
        "exit_code": exit_code,
    }
    return Disruption(list(sessions), tasks, healthy_at, facts)


def connection_owners(server_port: int, pids: list[int]) -> dict[int, int]:
    """client port -> the pid among `pids` holding the server side of that local connection:
    servers.socket_owner for every connection at once (one read of the tables and the fds)."""
    inodes: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines, None)  # the header
            for line in lines:
                fields = line.split()
                # local "ADDR:PORT" is the server's end, remote the client's; ports in hex.
                if int(fields[1].rsplit(":", 1)[1], 16) == server_port and fields[9] != "0":
                    inodes[f"socket:[{fields[9]}]"] = int(fields[2].rsplit(":", 1)[1], 16)
    owners: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    port = inodes.get(os.readlink(f"/proc/{pid}/fd/{fd}"))
                    if port is not None:
                        owners[port] = pid
    return owners


def _client_port(session: lc.LoadSession) -> int | None:
    sockname = None if session.ws is None else session.ws.transport.get_extra_info("sockname")
    return None if sockname is None else int(sockname[1])


async def kill_one_worker(
    server: BenchServer, sessions: Sequence[lc.LoadSession], limits: Limits, rng: random.Random
) -> Disruption:
    """Cluster: SIGKILL the worker that holds the most sessions; only its sessions reconnect."""
    by_port = await asyncio.to_thread(connection_owners, server.port, descendants(server.pid))
    owners = [by_port.get(_client_port(s) or -1) for s in sessions]
    counts: dict[int, int] = {}
    for pid in owners:
        if pid is not None:
            counts[pid] = counts.get(pid, 0) + 1
    if not counts:
        raise RuntimeError("could not tell which worker holds which session")
    victim = max(counts, key=lambda pid: counts[pid])
    dropped = [s for s, pid in zip(sessions, owners, strict=True) if pid == victim]
    tasks = _reconnect_all(dropped, limits, rng)
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    facts = {
        "what": "SIGKILL of one worker; clock from the kill",
        "sessions_per_worker": {str(pid): n for pid, n in sorted(counts.items())},
        "sessions_unattributed": sum(1 for pid in owners if pid is None),
        "killed_worker_sessions": len(dropped),
    }
    return Disruption(dropped, tasks, killed_at, facts)


async def run_storm(
    scenario: Scenario, server: BenchServer, limits: Limits, run_id: str
) -> dict[str, Any]:
    # Imported here: bench.scenarios dispatches to this module.
    from bench.scenarios import _mb, _phase, pick_senders, settle, warm_up

    if server.kind not in ("ours", "cluster"):
        raise ValueError("the restart storm runs against our server only")
    await warm_up(server, "flet", run_id)
    recorder = lc.Recorder(run_id)
    monitor = lc.LoopLagMonitor().start()
    sessions: list[lc.LoadSession] = []
    trace: CpuTrace | None = None
    tasks: list[asyncio.Task[None]] = []
    try:
        opened = await lc.open_sessions(
            server.ws_url,
            scenario.sessions,
            recorder,
            name_prefix=f"s{run_id[:4]}u",
            concurrency=limits.connect_concurrency,
            open_timeout=limits.open_timeout,
            join_timeout=limits.join_timeout,
            deadline=limits.connect_deadline,
        )
        sessions = opened.sessions
        settled = await settle(server, limits)
        senders = pick_senders(sessions, scenario.senders)
        log = await lc.send_messages(
            senders,
            recorder,
            count=scenario.messages,
            interval=scenario.interval,
            echo_timeout=limits.echo_timeout,
        )
        tags = acknowledged_tags(senders, log)
        rss_before = server.sample().rss_bytes
        rng = random.Random(run_id)  # the same jitter for the same run id
        disrupt = restart if server.kind == "ours" else kill_one_worker
        disruption = await disrupt(server, sessions, limits, rng)
        tasks = disruption.tasks
        trace = CpuTrace(server).start()
        start = server.sample()
        outcomes = [
            None if not isinstance(r, BaseException) else r
            for r in await asyncio.gather(*tasks, return_exceptions=True)
        ]
        await trace.stop()
        dropped = disruption.dropped
        clock = disruption.clock_from
        back = [s for s, error in zip(dropped, outcomes, strict=True) if error is None]
        history_wait = await wait_for_history(back, tags, limits.drain_timeout)
        stats = storm_stats(dropped, outcomes, tags, clock, limits.reconnect_goal)
        last_back = max((s.t_back for s in dropped if s.t_back), default=clock)
        end = trace.until(last_back) or server.sample()
        health = await asyncio.to_thread(server.health)
        result: dict[str, Any] = {
            "status": "ok",
            "sessions_requested": scenario.sessions,
            "sessions_joined": len(sessions),
            "join_failures": opened.failures,
            "connect_wall_seconds": round(opened.wall_seconds, 2),
            "settle": settled,
            "send_outcomes": dict(sorted(log.outcomes.items())),
            "messages_sent": len(log.sent_at),
            "sessions_dropped": len(dropped),
            **stats,
            "history_wait_seconds": round(history_wait, 2),
            "restart": disruption.facts,
            "crashes": sum(1 for s in sessions if s.crash),
            "crash_samples": sorted({(s.crash or "")[-300:] for s in sessions if s.crash})[:3],
            "server": {
                "rss_before_restart_mb": _mb(rss_before),
                "rss_healthy_mb": _mb(start.rss_bytes),
                "rss_all_back_mb": _mb(end.rss_bytes),
                "rss_peak_mb": _mb(max((x.rss_bytes for x in trace.samples), default=0)),
                "storm_phase": _phase(start, end),
                "health_after_storm": health,
            },
        }
    finally:
        for task in tasks:
            task.cancel()
        if trace is not None:
            await trace.stop()
        client = await monitor.stop()
        await lc.close_sessions(sessions, abrupt_every=0)
    result["client"] = client
    return result
