"""MemoryTrimmer: hands memory freed by closed sessions back to the operating system.

glibc's malloc keeps freed memory for reuse, so after a crowd of sessions comes and goes the
process's RSS stays near its high-water mark although nothing leaked (the churn benchmark: about
+40% after 1,000 sessions, of which only a few percent in the second half). `malloc_trim(0)`
returns the free pages. It runs in a thread (ctypes releases the GIL), once sessions have stopped
closing for a moment, and at most every `min_interval` seconds.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

QUIET_SECONDS = 2.0
MIN_INTERVAL_SECONDS = 10.0


def _find_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim with
        return None
    return trim


class MemoryTrimmer:
    def __init__(
        self,
        *,
        quiet: float = QUIET_SECONDS,
        min_interval: float = MIN_INTERVAL_SECONDS,
        trim: Callable[[int], int] | None = None,
    ) -> None:
        self._trim = trim or _find_malloc_trim()
        self._quiet = quiet
        self._min_interval = min_interval
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._last = float("-inf")

    def session_closed(self) -> None:
        """Trim once closes have stopped for `quiet` seconds (a burst is trimmed once)."""
        if self._trim is None:
            return
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        delay = max(self._quiet, self._last + self._min_interval - loop.time())
        self._timer = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._task is None or self._task.done():
            self._last = asyncio.get_running_loop().time()
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        trim = self._trim
        if trim is not None:
            await asyncio.to_thread(trim, 0)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            await self._task
