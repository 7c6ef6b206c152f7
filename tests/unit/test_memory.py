from __future__ import annotations

import asyncio
import gc
import threading

from flet_chat.memory import GcPauses, MemoryTrimmer, _find_malloc_trim


async def test_a_burst_of_closes_is_trimmed_once_after_it_ends() -> None:
    calls: list[int] = []
    trimmed = threading.Event()  # the trim runs in a worker thread

    def fake_trim(pad: int) -> int:
        calls.append(pad)
        trimmed.set()
        return 1

    trimmer = MemoryTrimmer(quiet=0.05, min_interval=0.5, trim=fake_trim)
    for _ in range(20):
        trimmer.session_closed()
    await asyncio.wait_for(asyncio.to_thread(trimmed.wait, 5), timeout=6)
    assert calls == [0]

    # Closes soon after a trim wait for the interval, then trim once more.
    trimmed.clear()
    began = asyncio.get_running_loop().time()
    trimmer.session_closed()
    await asyncio.wait_for(asyncio.to_thread(trimmed.wait, 5), timeout=6)
    assert calls == [0, 0]
    assert asyncio.get_running_loop().time() - began >= 0.3  # held back by min_interval
    await trimmer.stop()


def test_glibc_malloc_trim_is_found_here() -> None:
    # The machines this runs on (Debian, the Docker image) use glibc.
    trim = _find_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)


def test_gc_pauses_are_counted_per_generation() -> None:
    pauses = GcPauses()
    pauses.install()
    try:
        before = pauses.count[2]
        gc.collect()
        report = pauses.report()
    finally:
        gc.callbacks.remove(pauses._on_gc)
    assert pauses.count[2] == before + 1
    assert report["gen2"]["count"] == before + 1
    assert report["gen2"]["max_ms"] >= 0
