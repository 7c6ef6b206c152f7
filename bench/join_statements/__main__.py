"""`python -m bench.join_statements`: how many SQL statements a guest's join costs (see the
package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load_client import Recorder, close_sessions, open_sessions
from bench.servers import BenchServer
from bench.signalled import read_after_signal

RESULTS = Path(__file__).parent.parent / "results"
WARM_UP = 20


def _counts(server: BenchServer, path: Path) -> Counter[str]:
    """The server's statement counts so far (it writes them on SIGUSR2)."""
    return Counter(read_after_signal(server, path, what="statement counts"))


async def _measure(joins: int, tmp: Path) -> dict[str, Any]:
    counts_file = tmp / "statements.json"
    server = BenchServer(
        "ours",
        data_dir=tmp / "data",
        log_path=tmp / "server.log",
        env_overrides={
            "PYTHONPATH": str(Path(__file__).parent),
            "FLET_CHAT_BENCH_STATEMENTS": str(counts_file),
        },
    ).start()
    try:
        recorder = Recorder("statements")
        warm = await open_sessions(server.ws_url, WARM_UP, recorder, name_prefix="w")
        before = _counts(server, counts_file)
        measured = await open_sessions(
            server.ws_url, joins, recorder, name_prefix="j", first_index=WARM_UP
        )
        if measured.failures:
            raise RuntimeError(f"joins failed: {measured.failures}")
        # Presence settles after a join (the member lists' refresh): wait for the server to
        # have run no statement for a second before the second count.
        after = _counts(server, counts_file)
        while True:
            await asyncio.sleep(1.0)
            settled = _counts(server, counts_file)
            if settled == after:
                break
            after = settled
        await close_sessions([*warm.sessions, *measured.sessions])
    finally:
        server.stop()
    per_join = {text: (after[text] - before[text]) / joins for text in after}
    statements = dict(sorted(per_join.items(), key=lambda item: -item[1]))
    return {
        "joins": joins,
        "statements_per_join": round(sum(per_join.values()), 2),
        "statements": {text: round(n, 3) for text, n in statements.items() if n > 0},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.join_statements",
        description="How many SQL statements a guest's join costs the server.",
    )
    parser.add_argument("--joins", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flet-chat-join-statements-") as tmp:
        result = asyncio.run(_measure(args.joins, Path(tmp)))
    print(f"{result['statements_per_join']} statements a join ({args.joins} joins)")
    for text, n in result["statements"].items():
        print(f"{n:7.3f}  {text[:110]}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"join-statements-{stamp}.json"
    out.write_text(json.dumps({"run_at": stamp, **result}, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
