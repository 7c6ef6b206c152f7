"""What a joined session holds, by Python type and by the attribute holding it.

    python -m bench.session_objects [--sessions 200] [--top 30]

Starts our server (bench/servers.py) with `bench/object_census/sitecustomize.py` loaded, opens
and joins 20 sessions (imports, caches, the first pages), takes a census of the server's Python
objects, joins `--sessions` more, takes another, and prints the difference per joined session:
by type (objects and bytes, `sys.getsizeof`, so a container's items count under their own
types), and the containers held in objects' attributes by the owner's type and the attribute
(`Text|_values`: the `_values` dicts of Flet's Text controls). A census reads each object's
`__dict__`, which Python 3.11 may otherwise not have made yet: bytes are a close estimate, and
the same in both censuses. The server's RSS per session is the benchmark's (`bench.run`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import load_client as lc
from bench.servers import REPO_ROOT, BenchServer

CENSUS_DIR = REPO_ROOT / "bench" / "object_census"
WARM_SESSIONS = 20


def take_census(server: BenchServer, path: Path, timeout: float = 120.0) -> dict[str, Any]:
    """Signal the server and wait for its census; a request wakes its event loop, which runs
    Python's signal handlers only between callbacks."""
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server wrote no census")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(server.base_url + "/healthz", timeout=5).read()
        time.sleep(0.2)
    census: dict[str, Any] = json.loads(path.read_text())
    return census


def per_session(before: dict[str, int], after: dict[str, int], sessions: int) -> dict[str, float]:
    return {k: (after.get(k, 0) - before.get(k, 0)) / sessions for k in {*before, *after}}


async def measure(sessions: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="session-objects-"))
    census_file = work / "census.json"
    server = BenchServer(
        "ours",
        work / "data",
        work / "server.log",
        env_overrides={
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(CENSUS_DIR), os.environ.get("PYTHONPATH", "")) if p
            ),
            "FLET_CHAT_CENSUS_FILE": str(census_file),
        },
    )
    server.start()
    recorder = lc.Recorder("census")
    opened: list[lc.LoadSession] = []
    try:
        warm = await lc.open_sessions(server.ws_url, WARM_SESSIONS, recorder, name_prefix="w")
        opened += warm.sessions
        before = await asyncio.to_thread(take_census, server, census_file)
        crowd = await lc.open_sessions(
            server.ws_url, sessions, recorder, name_prefix="u", first_index=WARM_SESSIONS
        )
        opened += crowd.sessions
        if crowd.failures:
            raise RuntimeError(f"sessions failed to join: {crowd.failures}")
        after = await asyncio.to_thread(take_census, server, census_file)
    finally:
        await lc.close_sessions(opened)
        server.stop()
    return {
        "sessions": sessions,
        "count": per_session(before["counts"], after["counts"], sessions),
        "bytes": per_session(before["sizes"], after["sizes"], sessions),
        "held": per_session(before["held"], after["held"], sessions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    result = asyncio.run(measure(args.sessions))
    total = sum(result["bytes"].values())
    print(f"{args.sessions} sessions joined; Python objects per session: {total / 1024:.1f} KB")
    print("\nby type: bytes, objects per session")
    for name, size in sorted(result["bytes"].items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{size:9.0f} {result['count'].get(name, 0):8.1f}  {name}")
    print("\ncontainers by owner|attribute: bytes per session")
    for name, size in sorted(result["held"].items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{size:9.0f}  {name}")


if __name__ == "__main__":
    main()
