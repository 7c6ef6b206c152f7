"""What a guest's join costs the server in its store calls, in CPU.

    .venv/bin/python -m bench.join_store            # 400 joins, SQLite in a temp data dir

The server's own services (`Runtime.start()`: migrations, SQLite) in this process. Each join
makes the calls a browser's join makes of the store, one after another: the guest account and
its session (`AccountService.guest`, with its ban check), presence and the join notice
(`ChatService.join`), the user's rooms with their unread counts (`rooms_of`), the composer's
standing in #general (`writable`) and the read marker (`mark_read`). Measured: the process's
CPU time (time.process_time) per join, SQLite's own work included; the median of `--rounds`
rounds. A Flet page's work (building, diffing and sending controls) is not in it: that is
`bench.run`'s joins.

Results are printed and go to bench/results/join-store-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


async def run(joins: int, rounds: int) -> dict[str, Any]:
    from flet_chat.bootstrap import Runtime
    from flet_chat.core.accounts.models import SessionKind
    from flet_chat.core.limits import DEFAULT_ROOM
    from flet_chat.settings import Settings

    per_round: list[float] = []
    joined = 0  # joins that ended writable in #general, its unread count known
    with tempfile.TemporaryDirectory(prefix="flet-chat-join-store-") as tmp:
        runtime = Runtime(Settings(data_dir=Path(tmp) / "data", secret_key="b" * 48))
        services = await runtime.start()
        try:
            chat, accounts = services.chat, services.accounts
            for round_number in range(rounds + 1):  # the first warms the caches, not counted
                started = time.process_time()
                for i in range(joins):
                    name = f"guest{round_number}x{i:04}"
                    auth = await accounts.guest(name, kind=SessionKind.BROWSER)
                    user, notice = await chat.join(auth.account.user_name, f"tab-{name}")
                    states = await chat.rooms.rooms_of(user)
                    room = await chat.rooms.writable(user, DEFAULT_ROOM)
                    if notice is not None:
                        await chat.rooms.mark_read(user, DEFAULT_ROOM, notice.id)
                    # rooms_of lists #general first.
                    joined += room.key == DEFAULT_ROOM and states[0].room.key == DEFAULT_ROOM
                if round_number:
                    per_round.append((time.process_time() - started) / joins)
        finally:
            await runtime.stop()
    return {
        "measured": "process CPU per guest join's store calls (SQLite, in process)",
        "joins_per_round": joins,
        "rounds": rounds,
        "joined": joined,
        "cpu_ms_per_join": [round(seconds * 1000, 3) for seconds in per_round],
        "cpu_ms_per_join_median": round(statistics.median(per_round) * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=400, help="joins per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after one warm-up)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.joins, args.rounds))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"join-store-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
