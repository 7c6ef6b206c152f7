"""`python -m bench.join_controls`: how many controls Flet's diffs send at a guest's join (see
the package's docstring)."""

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


def _counts(server: BenchServer, path: Path) -> tuple[Counter[str], Counter[str]]:
    """The server's control counts so far (it writes them on SIGUSR2): by type, by sender."""
    counts = read_after_signal(server, path, what="control counts")
    return Counter(counts["types"]), Counter(counts["senders"])


async def _settled(server: BenchServer, path: Path) -> tuple[Counter[str], Counter[str]]:
    """The counts once they have stayed the same for a second: the account menu and the
    member lists are drawn after a join."""
    counts = _counts(server, path)
    while True:
        await asyncio.sleep(1.0)
        settled = _counts(server, path)
        if settled == counts:
            return counts
        counts = settled


def _per_join(before: Counter[str], after: Counter[str], joins: int) -> dict[str, float]:
    per_join = {key: (after[key] - before[key]) / joins for key in after}
    ordered = sorted(per_join.items(), key=lambda item: -item[1])
    return {key: round(n, 2) for key, n in ordered if n > 0}


async def _measure(joins: int, tmp: Path) -> dict[str, Any]:
    counts_file = tmp / "controls.json"
    server = BenchServer(
        "ours",
        data_dir=tmp / "data",
        log_path=tmp / "server.log",
        env_overrides={
            "PYTHONPATH": str(Path(__file__).parent),
            "FLET_CHAT_BENCH_CONTROLS": str(counts_file),
        },
    ).start()
    try:
        recorder = Recorder("controls")
        warm = await open_sessions(server.ws_url, WARM_UP, recorder, name_prefix="w")
        types_before, senders_before = await _settled(server, counts_file)
        measured = await open_sessions(
            server.ws_url, joins, recorder, name_prefix="j", first_index=WARM_UP
        )
        if measured.failures:
            raise RuntimeError(f"joins failed: {measured.failures}")
        types_after, senders_after = await _settled(server, counts_file)
        await close_sessions([*warm.sessions, *measured.sessions])
    finally:
        server.stop()
    by_type = _per_join(types_before, types_after, joins)
    return {
        "joins": joins,
        "controls_per_join": round(sum(by_type.values()), 2),
        "by_sender": _per_join(senders_before, senders_after, joins),
        "by_type": by_type,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.join_controls",
        description="How many controls Flet's diffs send at a guest's join.",
    )
    parser.add_argument("--joins", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flet-chat-join-controls-") as tmp:
        result = asyncio.run(_measure(args.joins, Path(tmp)))
    print(f"{result['controls_per_join']} controls a join ({args.joins} joins)")
    for title, counts in (("sent by", result["by_sender"]), ("of type", result["by_type"])):
        print(title)
        for key, n in counts.items():
            print(f"{n:7.2f}  {key}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"join-controls-{stamp}.json"
    out.write_text(json.dumps({"run_at": stamp, **result}, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
