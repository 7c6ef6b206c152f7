"""The benchmark's scenarios: one room under load, a history-heavy room, connect/disconnect churn.

`run_scenario(scenario, kind, ...)` starts a fresh server of that kind, drives it with the load
client, samples the server's memory and CPU around each phase and returns a JSON-ready dict.
Every wait is bounded; what did not happen in time is reported (missing deliveries, failed
joins, leftover sessions), never waited for without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import load_client as lc
from bench.seed import seed_history
from bench.servers import DEFAULT_WORKERS, FLET_CHAT_KINDS, REPO_ROOT, BenchServer, ProcSample
from bench.storm import run_storm

KB = 1024
MB = 1024 * 1024


# The session that sends while a room fills (Scenario.join_messages), and its tags' numbers:
# apart from the crowd's indexes and from the message phase's tags.
HERALD_INDEX = 1_000_000
DURING_JOINS_FIRST_SEQ = 1_000_000


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    kind: str  # "room" | "joins" (a room) | "history" | "churn" | "storm" (bench/storm.py)
    sessions: int
    senders: int = 5
    messages: int = 40
    interval: float = 0.5  # seconds between two messages, for the room in total
    history: int = 0  # messages stored before the server starts (ours and cluster only)
    # room: seconds between messages one more session sends while the others join (0: none)
    join_messages: float = 0.0
    targets: tuple[str, ...] = ("ours", "tutorial", "floor")


@dataclass(frozen=True, slots=True)
class Limits:
    """Time bounds; every phase of every scenario stops waiting at these."""

    connect_concurrency: int = 50
    open_timeout: float = 30.0
    join_timeout: float = 60.0
    connect_deadline: float = 150.0  # stop starting new sessions after this long
    settle_timeout: float = 45.0  # wait for the server to go quiet after the joins
    settle_cpu_percent: float = 15.0
    echo_timeout: float = 10.0
    drain_timeout: float = 15.0  # after the last send, wait this long for late deliveries
    sweep_timeout: float = 60.0  # churn: wait for the server to drop closed sessions
    scenario_timeout: float = 900.0  # hard stop for one scenario on one server
    session_timeout_env: str = "1"  # FLET_SESSION_TIMEOUT for every Flet server
    reconnect_timeout: float = 300.0  # storm: a session gives up this long after its drop
    reconnect_goal: float = 15.0  # storm: issue 18's budget, server healthy to session back


@dataclass
class ServerSampler:
    """Samples the server every `period` s to catch peak RSS between the phase samples."""

    server: BenchServer
    period: float = 0.5
    peak_rss: int = 0
    samples: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> ServerSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.peak_rss = max(self.peak_rss, self.server.sample().rss_bytes)
                self.samples += 1
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _mb(value: int) -> float:
    return round(value / MB, 2)


def _processes(server: BenchServer, sample: ProcSample) -> dict[str, int]:
    """Cluster: its worker count and how many processes the sample summed (parent, workers and
    multiprocessing's resource tracker); nothing for single-process servers."""
    if server.kind != "cluster":
        return {}
    return {"workers": server.workers, "processes": sample.processes}


def _phase(a: ProcSample, b: ProcSample) -> dict[str, float]:
    wall = max(1e-9, b.at - a.at)
    cpu = b.cpu_seconds - a.cpu_seconds
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_percent": round(100 * cpu / wall, 1),
        "rss_delta_mb": _mb(b.rss_bytes - a.rss_bytes),
    }


async def settle(server: BenchServer, limits: Limits) -> dict[str, Any]:
    """Wait until the server's CPU use falls under the threshold (join backlogs drained)."""
    began = time.monotonic()
    previous = server.sample()
    settled = False
    while time.monotonic() - began < limits.settle_timeout:
        await asyncio.sleep(0.5)
        current = server.sample()
        wall = current.at - previous.at
        busy = 100 * (current.cpu_seconds - previous.cpu_seconds) / wall if wall > 0 else 0.0
        if busy < limits.settle_cpu_percent:
            settled = True
            break
        previous = current
    return {"seconds": round(time.monotonic() - began, 2), "settled": settled}


def pick_senders(sessions: list[lc.LoadSession], count: int) -> list[lc.LoadSession]:
    """`count` sessions spread over the list (early and late joiners alike)."""
    if not sessions or count <= 0:
        return []
    step = max(1, len(sessions) // count)
    return sessions[::step][:count]


async def warm_up(server: BenchServer, mode: str, run_id: str) -> None:
    """Two sessions open, join and close: imports and caches are loaded before measuring."""
    recorder = lc.Recorder(f"{run_id}w")
    result = await lc.open_sessions(
        server.ws_url, 2, recorder, mode=mode, name_prefix="warm", open_timeout=30
    )
    # Our server calls focus() after closing the dialog and logs an ERROR if the session is
    # gone before the answer (a real bug, but not what the warm-up is for): let it finish.
    await asyncio.sleep(1.0)
    await lc.close_sessions(result.sessions)
    await asyncio.sleep(0.5)


@contextlib.contextmanager
def client_gc_paused() -> Iterator[None]:
    """The load client's own garbage collector stays off while it times deliveries: a pause of
    the client's loop (1,000 sessions' state) would be counted as the server's latency. The
    phase is bounded (messages plus the drain timeout), so the garbage waits a few seconds."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def run_room(
    scenario: Scenario, server: BenchServer, limits: Limits, run_id: str
) -> dict[str, Any]:
    mode = "raw" if server.kind == "floor" else "flet"
    await warm_up(server, mode, run_id)
    # The warm-up's sessions are let go first (Flet evicts expired sessions every 10 s; our
    # server then collects and trims): otherwise that fell inside the join phase in some runs
    # and not others, and moved RSS per session by 1-4 MB / sessions (bimodal at 50).
    swept_before = await wait_swept(server, limits.sweep_timeout)
    recorder = lc.Recorder(run_id)
    monitor = lc.LoopLagMonitor().start()
    sampler = ServerSampler(server).start()
    sessions: list[lc.LoadSession] = []
    heralds: list[lc.LoadSession] = []
    during: asyncio.Task[lc.SendLog] | None = None
    try:
        if scenario.join_messages > 0:  # joined before the crowd, and not counted in it
            herald = await lc.open_sessions(
                server.ws_url,
                1,
                recorder,
                mode=mode,
                name_prefix=f"b{run_id[:4]}h",
                first_index=HERALD_INDEX,
                open_timeout=limits.open_timeout,
            )
            heralds = herald.sessions
            if not heralds:
                raise RuntimeError(
                    f"the session sending during the joins failed: {herald.failures}"
                )
        before = server.sample()
        joins_done = asyncio.Event()
        during = (
            asyncio.create_task(
                lc.send_while(
                    heralds[0],
                    recorder,
                    first_seq=DURING_JOINS_FIRST_SEQ,
                    interval=scenario.join_messages,
                    until=joins_done,
                    echo_timeout=limits.echo_timeout,
                )
            )
            if heralds
            else None
        )
        opened = await lc.open_sessions(
            server.ws_url,
            scenario.sessions,
            recorder,
            mode=mode,
            name_prefix=f"b{run_id[:4]}u",
            concurrency=limits.connect_concurrency,
            open_timeout=limits.open_timeout,
            join_timeout=limits.join_timeout,
            deadline=limits.connect_deadline,
            row_marker=b"msg-" if server.kind in FLET_CHAT_KINDS else None,
        )
        sessions = opened.sessions
        after_join = server.sample()
        joins_done.set()
        during_log = await during if during is not None else None
        settled = await settle(server, limits)
        after_settle = server.sample()
        senders = pick_senders(sessions, scenario.senders)
        received_before = recorder.received  # the messages sent during the joins, seen so far
        with client_gc_paused():
            log = await lc.send_messages(
                senders,
                recorder,
                count=scenario.messages,
                interval=scenario.interval,
                echo_timeout=limits.echo_timeout,
            )
            # The session that sent during the joins is in the room too, and counts its copies.
            expected = len(log.sent_at) * (len(sessions) + len(heralds))
            drain_seconds = await lc.wait_for_deliveries(
                recorder, received_before + expected, limits.drain_timeout
            )
        after_messages = server.sample()
        health = await asyncio.to_thread(server.health)
        probe = await first_rows_probe(server) if server.kind in FLET_CHAT_KINDS else None
        joined = len(sessions)
        result: dict[str, Any] = {
            "status": "ok",
            "sessions_requested": scenario.sessions,
            "sessions_joined": joined,
            "join_failures": opened.failures,
            "connect_wall_seconds": round(opened.wall_seconds, 2),
            "join": lc.join_stats(sessions),
            "first_rows_isolated": probe,
            "warm_up_swept": swept_before,
            "settle": settled,
            **lc.delivery_stats(sessions, log),
            "during_joins": (
                lc.delivery_to_joined(sessions, during_log) if during_log is not None else None
            ),
            "drain_seconds": round(drain_seconds, 2),
            **lc.session_health(sessions),
            "server": {
                "rss_before_mb": _mb(before.rss_bytes),
                "rss_after_join_mb": _mb(after_join.rss_bytes),
                "rss_after_settle_mb": _mb(after_settle.rss_bytes),
                "rss_after_messages_mb": _mb(after_messages.rss_bytes),
                "rss_peak_mb": _mb(max(sampler.peak_rss, after_messages.rss_bytes)),
                "rss_per_session_kb": (
                    round((after_join.rss_bytes - before.rss_bytes) / joined / KB, 1)
                    if joined
                    else None
                ),
                # Sampled once the server's CPU fell quiet: the join phase's background work
                # (presence coalesced to a second, guest marks, lists redrawn) has run by then,
                # where `rss_per_session_kb`, sampled as the last join is answered, may fall
                # before or after it.
                "rss_per_session_settled_kb": (
                    round((after_settle.rss_bytes - before.rss_bytes) / joined / KB, 1)
                    if joined
                    else None
                ),
                "threads": after_messages.threads,
                "threads_before": before.threads,
                "threads_after_join": after_join.threads,
                **_processes(server, after_messages),
                "join_phase": _phase(before, after_join),
                "message_phase": _phase(after_settle, after_messages),
                "health_after_messages": health,
            },
        }
    finally:
        if during is not None and not during.done():
            during.cancel()
            await asyncio.gather(during, return_exceptions=True)
        await sampler.stop()
        client = await monitor.stop()
        await lc.close_sessions([*heralds, *sessions], abrupt_every=0)
    result["client"] = client
    return result


async def first_rows_probe(server: BenchServer, count: int = 5) -> dict[str, Any]:
    """One session at a time opens the page: register to the first patch with message rows.

    Runs after the measured phase, so the server holds the scenario's sessions but is not busy
    with other joins: this is the server-side cost of showing the first page of history.
    """
    recorder = lc.Recorder("probe")
    times: list[float] = []
    rows: list[int] = []
    errors: list[str] = []
    for i in range(count):
        session = lc.LoadSession(-1 - i, server.ws_url, recorder, row_marker=b"msg-")
        try:
            await session.open(30)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.rows_seen.wait(), 10)
            if session.t_first_rows is not None and session.t_register is not None:
                times.append(session.t_first_rows - session.t_register)
                rows.append(session.first_rows_count or 0)
        except Exception as error:
            errors.append(f"{error.__class__.__name__}: {error}"[:200])
        finally:
            await session.close()
    return {"first_rows_ms": lc.summarize(times), "rows_in_first_patch": rows, "errors": errors}


async def run_churn(
    scenario: Scenario, server: BenchServer, limits: Limits, run_id: str, rounds: int = 2
) -> dict[str, Any]:
    """`scenario.sessions` connect/disconnect cycles in `rounds` rounds, swept after each.

    Comparing the rounds tells a leak (RSS grows again in round 2) from the allocator keeping
    its high-water mark (round 1 grows, round 2 does not).
    """
    mode = "raw" if server.kind == "floor" else "flet"
    await warm_up(server, mode, run_id)
    swept_before = await wait_swept(server, limits.sweep_timeout)
    recorder = lc.Recorder(run_id)
    monitor = lc.LoopLagMonitor().start()
    sampler = ServerSampler(server).start()
    page_seconds: list[float] = []
    failures: dict[str, int] = {}
    round_results: list[dict[str, Any]] = []

    async def disconnect(session: lc.LoadSession) -> None:
        # Half close with a handshake, half drop the connection as a killed tab does.
        if session.t_page is not None and session.t_start is not None:
            page_seconds.append(session.t_page - session.t_start)
        await session.close(abrupt=session.index % 2 == 1)

    per_round = [scenario.sessions // rounds] * rounds
    per_round[-1] += scenario.sessions - sum(per_round)
    began = time.monotonic()
    try:
        start = server.sample()
        end = start
        health_end: dict[str, Any] | None = None
        for number, count in enumerate(per_round):
            opened = await lc.open_sessions(
                server.ws_url,
                count,
                recorder,
                mode=mode,
                join=False,
                concurrency=limits.connect_concurrency,
                open_timeout=limits.open_timeout,
                deadline=limits.connect_deadline,
                after_open=disconnect,
                first_index=number * per_round[0],
            )
            for kind, n in opened.failures.items():
                failures[kind] = failures.get(kind, 0) + n
            after_cycles = server.sample()
            health_after_cycles = await asyncio.to_thread(server.health)
            sweep = await wait_swept(server, limits.sweep_timeout)
            end = server.sample()
            health_end = await asyncio.to_thread(server.health)
            round_results.append(
                {
                    "cycles": count,
                    "wall_seconds": round(opened.wall_seconds, 2),
                    "rss_after_cycles_mb": _mb(after_cycles.rss_bytes),
                    "health_after_cycles": health_after_cycles,
                    "sweep": sweep,
                    "rss_after_sweep_mb": _mb(end.rss_bytes),
                    "health_after_sweep": health_end,
                }
            )
    finally:
        await sampler.stop()
        client = await monitor.stop()
    growth = (end.rss_bytes - start.rss_bytes) / start.rss_bytes if start.rss_bytes else None
    second = None
    if len(round_results) >= 2 and start.rss_bytes:
        second = round(
            100
            * (round_results[-1]["rss_after_sweep_mb"] - round_results[-2]["rss_after_sweep_mb"])
            * MB
            / start.rss_bytes,
            1,
        )
    return {
        "status": "ok",
        "cycles_requested": scenario.sessions,
        "cycles_completed": len(page_seconds),
        "cycle_failures": failures,
        "cycles_wall_seconds": round(time.monotonic() - began, 2),
        "page_ms": lc.summarize(page_seconds),
        "warm_up_swept": swept_before,
        "rounds": round_results,
        "sweep": round_results[-1]["sweep"] if round_results else None,
        "leftover_sessions": None if health_end is None else health_end.get("sessions"),
        "leftover_flet_sessions": None if health_end is None else health_end.get("flet_sessions"),
        **(
            {"leftover_workers_answered": health_end.get("workers_answered")}
            if health_end is not None and "workers_answered" in health_end
            else {}
        ),
        "server": {
            "rss_start_mb": _mb(start.rss_bytes),
            "rss_end_mb": _mb(end.rss_bytes),
            "rss_peak_mb": _mb(max(sampler.peak_rss, end.rss_bytes)),
            "rss_growth_percent": None if growth is None else round(100 * growth, 1),
            "rss_growth_last_round_percent": second,
            "cpu_seconds": round(end.cpu_seconds - start.cpu_seconds, 2),
            "threads": end.threads,
            **_processes(server, end),
        },
        "client": client,
    }


async def wait_swept(server: BenchServer, timeout: float) -> dict[str, Any]:
    """Our server: poll /healthz until no session is left. Others: wait two sweep periods.

    The cluster's health() sums the answers of its workers (BenchServer.cluster_health): "no
    session left" needs every worker to have answered 0.
    """
    began = time.monotonic()
    if not server.has_health:
        # Flet sweeps expired sessions every 10 s; FLET_SESSION_TIMEOUT is 1 s here.
        wait = 0.0 if server.kind == "floor" else min(timeout, 12.0)
        await asyncio.sleep(wait)
        return {"seconds": round(time.monotonic() - began, 2), "complete": None}
    health: dict[str, Any] | None = None
    while time.monotonic() - began < timeout:
        health = await asyncio.to_thread(server.health)
        if (
            health is not None
            and health.get("flet_sessions") == 0
            and health.get("sessions") == 0
            and health.get("all_workers_answered", True)  # cluster: every worker said 0
        ):
            return {"seconds": round(time.monotonic() - began, 2), "complete": True}
        await asyncio.sleep(0.5)
    return {"seconds": round(time.monotonic() - began, 2), "complete": False, "health": health}


async def run_scenario(
    scenario: Scenario,
    kind: str,
    *,
    work_dir: Path,
    logs_dir: Path,
    run_id: str | None = None,
    limits: Limits | None = None,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """Start a fresh `kind` server, run `scenario` against it, stop it; never raises.

    `workers` is the cluster's process count (other kinds are one process).
    """
    limits = limits or Limits()
    run_id = run_id or secrets.token_hex(3)
    data_dir = work_dir / f"{scenario.name}-{kind}"
    shutil.rmtree(data_dir, ignore_errors=True)
    log_path = logs_dir / f"{scenario.name}-{kind}.log"
    log_path.unlink(missing_ok=True)
    began = time.monotonic()
    result: dict[str, Any] = {}
    seed_seconds = None
    env = {"FLET_SESSION_TIMEOUT": limits.session_timeout_env}
    server = BenchServer(kind, data_dir, log_path, env_overrides=env, workers=workers)
    try:
        if scenario.history and kind in FLET_CHAT_KINDS:
            # The cluster's fresh PostgreSQL database exists from prepare() on; ours seeds the
            # SQLite file in its data dir.
            await asyncio.to_thread(server.prepare)
            seed_seconds = await asyncio.to_thread(
                seed_history, data_dir, scenario.history, database_url=server.database_url
            )
        server.start()
        runner = {"churn": run_churn, "storm": run_storm}.get(scenario.kind, run_room)
        result = await asyncio.wait_for(
            runner(scenario, server, limits, run_id), limits.scenario_timeout
        )
    except TimeoutError:
        result = {
            "status": "error",
            "error": f"scenario timed out after {limits.scenario_timeout}s",
        }
    except Exception as error:
        result = {"status": "error", "error": f"{error.__class__.__name__}: {error}"[:500]}
    finally:
        alive = server.alive()
        exit_code = server.stop()
        result["server_alive_at_end"] = alive
        result["server_exit_code"] = exit_code
        result["server_log"] = (
            str(log_path.relative_to(REPO_ROOT))
            if log_path.is_relative_to(REPO_ROOT)
            else str(log_path)
        )
        result["server_log_problems"] = server.log_problems()
    result["seed_seconds"] = None if seed_seconds is None else round(seed_seconds, 2)
    result["history_messages"] = scenario.history if kind in FLET_CHAT_KINDS else 0
    result["scenario_seconds"] = round(time.monotonic() - began, 1)
    result["scenario"] = asdict(scenario)
    shutil.rmtree(data_dir, ignore_errors=True)
    return result
