"""Memory: the garbage collector's settings, and giving memory back after sessions close.

Python's cyclic collector pauses every session on the loop, and a full collection's pause grows
with the sessions held: in the 500-session benchmark room they took hundreds of milliseconds and
landed on the latency of every message in flight (`/healthz` reports them: `GcPauses`).
`tune_garbage_collector` freezes what start-up built (it lives as long as the process and need
never be scanned again), and `MemoryTrimmer.fit_to` lets about 50 objects per live session (not a
flat 700) be allocated between young collections, up to 25,000: fewer objects are promoted just for
being alive when a collection ran, so far fewer full collections follow, while a small process
keeps little garbage waiting (bench/changes.md has the before and after).

With a crowd (`CROWD_SESSIONS`) `MemoryTrimmer.fit_to` makes every other collection reach the
middle generation, and `MemoryTrimmer` freezes the survivors right after each of those (when
only what survived it is left unfrozen): a collection then scans only what was allocated since
the last one, not every session's controls again. At 1,000 sessions Python's own schedule let a
middle collection reach 140 ms and a full one 180-680 ms, each landing on the messages in flight.
What was frozen and later dies in a cycle waits for the trimmer's next whole-heap collection,
which unfreezes first: the collection of closed sessions, or, in a crowd that stays, a check
every `FROZEN_CHECK_SECONDS` that collects once what is frozen has grown by a quarter since the
last one (garbage frozen in flight: a cancelled task's traceback, a closed dialog). When the last
session leaves, what is left is frozen again, as at start. Python 3.14's collector works
differently (incremental, two generations): there the crowd keeps Python's own schedule.

MemoryTrimmer frees closed sessions promptly and hands their memory back to the operating system.

A closed session is garbage in reference cycles (its controls hold handlers bound to its
controller, Flet's dialogs hold closures over the page, a cancelled task keeps the traceback of its
frames), so only the cyclic collector frees it. By the time it closes its objects have usually
been promoted to the oldest generation, which Python collects only after that has grown by a
quarter: in a burst of short visits (crawlers, tabs closed at the name dialog) dozens of dead
pages waited at once, and the heap's high-water mark they set stayed (the churn benchmark: RSS
+17% after 1,000 visits, +7% with this). `session_closed` runs a full collection once the
sessions closed since the last one reach a quarter of those still open (at least
`MIN_CLOSED_PER_COLLECTION`): a full collection costs in proportion to the live sessions, so each
close pays for a few sessions' worth of scanning, whatever the crowd.

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
import gc
import logging
import sys
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

YOUNG_OBJECTS_PER_SESSION = 50
YOUNG_GENERATION_MIN = 700  # Python's own
YOUNG_GENERATION_MAX = 25_000
# From this many sessions on, a middle collection follows every young one, and the survivors
# are frozen after it (MemoryTrimmer): a collection scans at most two young generations. Python's
# thresholds (10 young collections per middle one, 10 middle per full one) let a middle
# collection reach 500,000 objects at 1,000 sessions (140 ms) and a full one the whole heap
# (180-680 ms).
CROWD_SESSIONS = 100
CROWD_COLLECTOR = sys.version_info < (3, 14)  # three generations, as the thresholds assume
FROZEN_CHECK_SECONDS = 600.0
FROZEN_GROWTH = 0.25  # Python's own rule for a full collection
PYTHON_THRESHOLDS = (10, 10)  # Python's own middle and old thresholds
# Collect once closed sessions since the last full collection reach 1/CLOSED_SHARE of live ones.
CLOSED_SHARE = 4
MIN_CLOSED_PER_COLLECTION = 8
QUIET_SECONDS = 2.0
MIN_INTERVAL_SECONDS = 10.0


class GcPauses:
    """Counts the collector's pauses per generation (count, total and longest, in ms)."""

    def __init__(self) -> None:
        self._started = 0.0
        self.count = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.max_ms = [0.0, 0.0, 0.0]

    def install(self) -> None:
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        pause = (time.perf_counter() - self._started) * 1000
        self.count[generation] += 1
        self.total_ms[generation] += pause
        self.max_ms[generation] = max(self.max_ms[generation], pause)

    def report(self) -> dict[str, dict[str, float]]:
        return {
            f"gen{g}": {
                "count": self.count[g],
                "total_ms": round(self.total_ms[g], 1),
                "max_ms": round(self.max_ms[g], 1),
            }
            for g in range(3)
        }


def tune_garbage_collector() -> None:
    """Call once the process has started (imports done, services built)."""
    gc.freeze()


def young_generation_for(sessions: int) -> int:
    return min(
        YOUNG_GENERATION_MAX, max(YOUNG_GENERATION_MIN, sessions * YOUNG_OBJECTS_PER_SESSION)
    )


def is_crowd(sessions: int) -> bool:
    return CROWD_COLLECTOR and sessions >= CROWD_SESSIONS


def thresholds_for(sessions: int) -> tuple[int, int, int]:
    """The collector's thresholds for this many live sessions (`gc.set_threshold`'s three: a
    middle threshold of 0 makes a middle collection follow every young one)."""
    older = (0, 0) if is_crowd(sessions) else PYTHON_THRESHOLDS
    return (young_generation_for(sessions), *older)


M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (default: 8 per core, one more for each thread that allocates
    while another holds an arena): our threads (aiosqlite, the executor that runs malloc_trim)
    allocate little and rarely at once, and each extra arena keeps its own high-water mark.
    Churn benchmark: about 2 MB less RSS after 1,000 visits. Call before threads start; True
    when glibc took it."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


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
        frozen_check_seconds: float = FROZEN_CHECK_SECONDS,
        frozen_growth: float = FROZEN_GROWTH,
    ) -> None:
        self._trim = trim or _find_malloc_trim()
        self._frozen_check_seconds = frozen_check_seconds
        self._frozen_growth = frozen_growth
        self._frozen_after_collect = 0  # gc.get_freeze_count() after the last whole-heap one
        self._watch: asyncio.Task[None] | None = None
        self._quiet = quiet
        self._min_interval = min_interval
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._last = float("-inf")
        self._closed_since_collection = 0
        self._crowd = False  # freeze the survivors of each middle or full collection
        self._frozen_since_collect = False

    def install(self) -> None:
        """Watch the collector (on the loop, once the process has started: see the module's
        docstring)."""
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._watch_frozen())

    def uninstall(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    async def _watch_frozen(self) -> None:
        while True:
            await asyncio.sleep(self._frozen_check_seconds)
            if not self._frozen_since_collect:
                continue
            # gc.get_freeze_count() walks the frozen list: a few ms at 1,000 sessions, rarely.
            if gc.get_freeze_count() > self._frozen_after_collect * (1 + self._frozen_growth):
                self._collect()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        # At "stop" of a collection that reached the middle generation, the young ones are
        # empty and the oldest holds only what survived it (what came before was frozen after
        # the collection before): what is frozen was reachable, but for what another thread
        # allocated since (a collection can run on a worker thread). gc.freeze() only moves
        # lists; it allocates nothing.
        if self._crowd and phase == "stop" and info["generation"] >= 1:
            gc.freeze()
            self._frozen_since_collect = True

    def fit_to(self, sessions: int) -> None:
        """Set the collector's thresholds for the sessions alive now (`thresholds_for`), and
        start or stop freezing the survivors of collections as a crowd arrives or leaves."""
        crowd = is_crowd(sessions)
        if crowd and not self._crowd:
            # Freeze what the sessions so far hold now, or the crowd's first full collection
            # scans all of it (at 100 sessions: 60 ms). What in the oldest generation is already
            # garbage is frozen with it until the next collection of closed sessions.
            gc.collect(1)
            gc.freeze()
            self._frozen_since_collect = True
            self._frozen_after_collect = gc.get_freeze_count()  # the periodic check's baseline
        self._crowd = crowd
        wanted = thresholds_for(sessions)
        if wanted != gc.get_threshold():
            gc.set_threshold(*wanted)

    def session_closed(self, sessions_left: int) -> None:
        """Collect the closed sessions when they are a large share of the heap (see the module's
        docstring); trim once closes have stopped for `quiet` seconds (a burst is trimmed once).
        When the last session closes nobody waits on the loop: collect everything and trim."""
        self.fit_to(sessions_left)
        self._closed_since_collection += 1
        if sessions_left == 0:
            self._cancel_timer()
            self._collect()
            # Nobody is here: what is left lives as long as the process, as at start.
            gc.freeze()
            self._frozen_since_collect = False
            if self._trim is not None:
                self._trim(0)
            return
        if self._closed_since_collection >= max(
            MIN_CLOSED_PER_COLLECTION, sessions_left // CLOSED_SHARE
        ):
            self._collect()
        if self._trim is None:
            return
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        delay = max(self._quiet, self._last + self._min_interval - loop.time())
        self._timer = loop.call_later(delay, self._start)

    def _collect(self) -> None:
        self._closed_since_collection = 0
        if self._frozen_since_collect:  # the closed sessions may have been frozen with the rest
            self._frozen_since_collect = False
            gc.unfreeze()
        gc.collect()
        if self._frozen_since_collect:  # a crowd: _on_gc froze what survived
            self._frozen_after_collect = gc.get_freeze_count()

    def _start(self) -> None:
        self._timer = None
        if self._task is None or self._task.done():
            self._last = asyncio.get_running_loop().time()
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        trim = self._trim
        if trim is not None:
            await asyncio.to_thread(trim, 0)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def stop(self) -> None:
        self.uninstall()
        self._cancel_timer()
        if self._task is not None:
            await self._task
