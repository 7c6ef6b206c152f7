"""Loaded by the server only when this folder is on its PYTHONPATH (`python -m
bench.join_statements` puts it there): counts the SQL statements the server runs, by their
text, and writes the counts to `$FLET_CHAT_BENCH_STATEMENTS` on SIGUSR2. Nothing here changes
what the server does."""

from __future__ import annotations

import json
import os
import re
import signal
from collections import Counter
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_counts: Counter[str] = Counter()


@event.listens_for(Engine, "before_cursor_execute")
def _count(
    _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    _counts[re.sub(r"\s+", " ", statement).strip()] += 1


def _write(_signal: int, _frame: FrameType | None) -> None:
    path = os.environ["FLET_CHAT_BENCH_STATEMENTS"]
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(dict(_counts), out)
    os.replace(path + ".tmp", path)  # whole, for the reader polling for it


signal.signal(signal.SIGUSR2, _write)
