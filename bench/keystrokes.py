"""What a keystroke in the composer costs the server, in CPU, with a room full of people.

    .venv/bin/python -m bench.keystrokes            # 200 sessions, 5 typing 40 keys each

Our server (bench/servers.py, as `bench.run` starts it) with `--sessions` joined in #general.
Then `--typists` of them type `--keys` characters each into the composer, one every
`--interval` seconds, as a browser sends them: the field's new value, then its "change"
event. Nothing is sent: a keystroke's work is the typing signal (at most one per two seconds
reaches the service, and "… is typing" the others), the emoji suggestions, and what Flet does
after the event. Measured: the server's CPU time from the first keystroke until it is quiet
again, per keystroke, the median of `--rounds` rounds (the first round warms up, not counted).

Results are printed and go to bench/results/keystrokes-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import load_client as lc
from bench.scenarios import Limits, settle
from bench.servers import BenchServer

RESULTS = Path(__file__).parent / "results"
TEXT = "the quick brown fox jumps over the lazy dog, again and again and again"


async def type_into_composer(session: lc.LoadSession, keys: int, interval: float) -> None:
    field_id = session.ids[lc.MESSAGE_INPUT]
    for n in range(1, keys + 1):
        text = TEXT[: 1 + (n - 1) % len(TEXT)]
        await session._send(lc.encode(lc.UPDATE_PROPS, {"id": field_id, "props": {"value": text}}))
        await session._send(
            lc.encode(lc.EVENT, {"target": field_id, "name": "change", "data": text})
        )
        await asyncio.sleep(interval)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    limits = Limits()
    per_round: list[float] = []
    with tempfile.TemporaryDirectory(prefix="flet-chat-keystrokes-") as tmp:
        server = BenchServer("ours", data_dir=Path(tmp) / "data", log_path=Path(tmp) / "log.txt")
        server.start()
        try:
            recorder = lc.Recorder("k")
            opened = await lc.open_sessions(server.ws_url, args.sessions, recorder)
            if opened.failures:
                raise RuntimeError(f"sessions failed to join: {opened.failures}")
            await settle(server, limits)
            typists = opened.sessions[: args.typists]
            for round_number in range(args.rounds + 1):
                before = server.sample()
                await asyncio.gather(
                    *(type_into_composer(s, args.keys, args.interval) for s in typists)
                )
                await settle(server, limits)
                cpu = server.sample().cpu_seconds - before.cpu_seconds
                if round_number:
                    per_round.append(cpu / (args.keys * len(typists)))
            crashed = [s.crash for s in opened.sessions if s.crash]
            if crashed:
                raise RuntimeError(f"sessions crashed: {crashed[:3]}")
            await lc.close_sessions(opened.sessions)
        finally:
            server.stop()
    return {
        "sessions": args.sessions,
        "typists": args.typists,
        "keys": args.keys,
        "interval": args.interval,
        "rounds_ms_per_keystroke": [round(1000 * v, 3) for v in per_round],
        "median_ms_per_keystroke": round(1000 * statistics.median(per_round), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.keystrokes", description=__doc__)
    parser.add_argument("--sessions", type=int, default=200, help="sessions joined")
    parser.add_argument("--typists", type=int, default=5, help="sessions typing at once")
    parser.add_argument("--keys", type=int, default=40, help="keystrokes per typist per round")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between keys")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (after a warm-up)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"keystrokes-{stamp}.json"
    out.write_text(json.dumps({"started_at": stamp, **result}, indent=2) + "\n")
    print(json.dumps(result))
    print(f"results: {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
