"""What a server under a bench tool's `sitecustomize.py` writes when signalled: the tool
removes the file, sends SIGUSR2 and reads the file once the server has written it whole
(bench.join_statements, bench.join_controls)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from bench.servers import BenchServer


def read_after_signal(server: BenchServer, path: Path, *, what: str, timeout: float = 30) -> Any:
    """Signal `server` and return the JSON it writes to `path` (`what` names it in the error
    when nothing comes within `timeout` seconds)."""
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server wrote no {what}")
        time.sleep(0.05)  # another process's file: nothing to wait on but its appearance
    return json.loads(path.read_text(encoding="utf-8"))
