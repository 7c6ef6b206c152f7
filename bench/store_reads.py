"""What a store read a join makes costs the server's CPU (all threads: the loop's and SQLite's),
with the one-trip cursor (storage/sqlite_trips.py) and with aiosqlite's own cursor, in the same
run (`python -m bench.store_reads [--reads N]`).

A fresh SQLite database (migrated) holds one user in #general; each read is one a tab makes
when it joins or comes back after a restart: its account session, its room standing in
#general, its rooms. Reads alternate between the two cursors in rounds (which goes first
alternates too), so a drift of the machine's speed lands on both; the median CPU per read
is printed with the ratio."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

from bench.run import RESULTS_DIR, machine_facts
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.sqlite_trips import OneTripCursor

CURSORS: dict[str, type] = {"one trip": OneTripCursor, "aiosqlite's": AsyncAdapt_aiosqlite_cursor}


async def _cpu_per_call(read: Callable[[], Awaitable[Any]], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        await read()
    return (time.process_time() - started) / calls * 1e6


async def measure(reads: int, rounds: int) -> dict[str, dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="store-reads-"))
    url = f"sqlite+aiosqlite:///{folder / 'chat.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    store = SqlStore(engine)
    rooms, accounts = SqlRoomStore(engine, store), SqlAccountStore(engine, store)
    await rooms.mark_read("general", "ann", 0)
    now = datetime.now(UTC)
    kinds: dict[str, Callable[[], Awaitable[Any]]] = {
        "account session": lambda: accounts.session("no-such-token-hash", now),
        "room standing": lambda: rooms.standing("general", "ann"),
        "rooms of a user": lambda: rooms.rooms_of("ann"),
    }
    samples: dict[str, dict[str, list[float]]] = {k: {c: [] for c in CURSORS} for k in kinds}
    try:
        for round_number in range(rounds):
            order = list(CURSORS.items())
            for cursor_name, cursor_cls in order if round_number % 2 == 0 else order[::-1]:
                AsyncAdapt_aiosqlite_connection._cursor_cls = cursor_cls  # type: ignore[misc]
                for kind, read in kinds.items():
                    await read()  # warm: the statement compiled, a connection in the pool
                    samples[kind][cursor_name].append(await _cpu_per_call(read, reads))
    finally:
        AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor  # type: ignore[misc]
        await engine.dispose()
    return {
        kind: {name: round(statistics.median(values), 1) for name, values in by_cursor.items()}
        for kind, by_cursor in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300, help="reads per kind per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    medians = asyncio.run(measure(args.reads, args.rounds))
    theirs_title = "aiosqlite's (us)"
    print(f"{'read':<18} {'one trip (us)':>14} {theirs_title:>17} {'ratio':>7}")
    for kind, by_cursor in medians.items():
        ours, theirs = by_cursor["one trip"], by_cursor["aiosqlite's"]
        print(f"{kind:<18} {ours:>14.1f} {theirs:>17.1f} {ours / theirs:>7.2f}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"store-reads-{stamp}.json"
    report = {
        "command": "python -m bench.store_reads " + " ".join(argv or sys.argv[1:]),
        "machine": machine_facts(),
        "reads_per_round": args.reads,
        "rounds": args.rounds,
        "cpu_us_per_read_median": medians,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"[store-reads] results: {path.relative_to(RESULTS_DIR.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
