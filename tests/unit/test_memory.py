from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from flet_chat import memory
from flet_chat.memory import (
    MIN_CLOSED_PER_COLLECTION,
    GcPauses,
    MemoryTrimmer,
    _find_malloc_trim,
    limit_malloc_arenas,
    young_generation_for,
)


@pytest.fixture(autouse=True)
def collector_as_it_was() -> Iterator[None]:
    """These tests change the collector's process-wide state: put it back after each."""
    thresholds, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.set_threshold(*thresholds)
    gc.callbacks[:] = callbacks
    gc.unfreeze()


async def test_a_burst_of_closes_is_trimmed_once_after_it_ends() -> None:
    calls: list[int] = []
    trimmed = threading.Event()  # the trim runs in a worker thread

    def fake_trim(pad: int) -> int:
        calls.append(pad)
        trimmed.set()
        return 1

    trimmer = MemoryTrimmer(quiet=0.05, min_interval=0.5, trim=fake_trim)
    for _ in range(20):
        trimmer.session_closed(sessions_left=5)
    await asyncio.wait_for(asyncio.to_thread(trimmed.wait, 5), timeout=6)
    assert calls == [0]

    # Closes soon after a trim wait for the interval, then trim once more.
    trimmed.clear()
    began = asyncio.get_running_loop().time()
    trimmer.session_closed(sessions_left=5)
    await asyncio.wait_for(asyncio.to_thread(trimmed.wait, 5), timeout=6)
    assert calls == [0, 0]
    assert asyncio.get_running_loop().time() - began >= 0.3  # held back by min_interval
    await trimmer.stop()


def test_glibc_malloc_trim_is_found_here() -> None:
    # The machines this runs on (Debian, the Docker image) use glibc.
    trim = _find_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)


def test_glibc_takes_the_arena_cap() -> None:
    assert limit_malloc_arenas() is True


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


def test_the_last_close_collects_and_trims_at_once() -> None:
    calls: list[int] = []
    trimmer = MemoryTrimmer(trim=lambda pad: calls.append(pad) or 1)
    pauses = GcPauses()
    pauses.install()
    try:
        trimmer.session_closed(sessions_left=0)  # no loop needed: nothing is deferred
    finally:
        gc.callbacks.remove(pauses._on_gc)
    assert calls == [0]
    assert pauses.count[2] == 1  # a full collection


def test_closed_sessions_are_collected_when_they_are_a_quarter_of_the_live_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collections: list[int] = []
    full = lambda generation=2: (generation == 2 and collections.append(1)) or 0  # noqa: E731
    monkeypatch.setattr(memory.gc, "collect", full)
    monkeypatch.setattr(memory.gc, "freeze", lambda: None)  # the crowd arriving at 400
    monkeypatch.setattr(memory.gc, "set_threshold", lambda *_: None)
    trimmer = MemoryTrimmer()
    trimmer._trim = None  # no trim timer (it needs a loop): this checks the collections alone
    for _ in range(MIN_CLOSED_PER_COLLECTION - 1):
        trimmer.session_closed(sessions_left=10)  # few live: at least MIN closes
    assert collections == []
    trimmer.session_closed(sessions_left=10)
    assert len(collections) == 1
    for _ in range(99):
        trimmer.session_closed(sessions_left=400)  # 400 live: every 100 closes
    assert len(collections) == 1
    trimmer.session_closed(sessions_left=400)
    assert len(collections) == 2


def test_the_young_generation_grows_with_the_sessions() -> None:
    before = gc.get_threshold()
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    try:
        assert young_generation_for(0) == 700  # Python's own for an idle process
        trimmer.fit_to(200)
        assert gc.get_threshold()[0] == 200 * 50
        trimmer.fit_to(100_000)
        assert gc.get_threshold()[0] == 25_000  # capped: one young collection stays short
    finally:
        gc.set_threshold(*before)


def test_a_crowd_makes_every_other_collection_a_middle_one_and_a_small_process_keeps_pythons() -> (
    None
):
    before = gc.get_threshold()
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    try:
        trimmer.fit_to(10)
        assert gc.get_threshold() == (700, 10, 10)
        trimmer.fit_to(1_000)
        assert gc.get_threshold() == (25_000, 0, 0)
        trimmer.fit_to(99)
        assert gc.get_threshold() == (99 * 50, 10, 10)
    finally:
        gc.set_threshold(*before)


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.mark.parametrize("generation", [1, 2])
async def test_with_a_crowd_a_collection_freezes_what_survived_and_a_close_frees_it(
    generation: int,
) -> None:
    before = gc.get_threshold()
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    trimmer.install()
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS)
        gc.unfreeze()
        survivor = Cycle()
        gc.collect(generation)
        assert gc.get_freeze_count() > 0
        assert not any(o is survivor for o in gc.get_objects())  # not scanned again
        gone = weakref.ref(survivor)
        del survivor
        gc.collect()  # a full collection does not look at frozen objects
        assert gone() is not None
        trimmer.session_closed(sessions_left=0)
        assert gone() is None  # the trimmer unfreezes first: a closed session is freed
    finally:
        trimmer.uninstall()
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_a_small_process_freezes_nothing_after_start() -> None:
    before = gc.get_threshold()
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    trimmer.install()
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS - 1)
        gc.unfreeze()
        Cycle()
        gc.collect()
        assert gc.get_freeze_count() == 0
    finally:
        trimmer.uninstall()
        gc.set_threshold(*before)


def test_a_crowd_arriving_freezes_what_its_first_sessions_hold() -> None:
    before = gc.get_threshold()
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS - 1)
        gc.unfreeze()
        held = [Cycle() for _ in range(10)]
        trimmer.fit_to(memory.CROWD_SESSIONS)
        assert gc.get_freeze_count() > 0
        assert not any(o is held[0] for o in gc.get_objects())  # the first full one skips it
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_in_a_crowd_that_stays_frozen_garbage_is_collected_by_the_periodic_check() -> None:
    trimmer = MemoryTrimmer(trim=lambda _pad: 1, frozen_check_seconds=0.01, frozen_growth=0.0)
    trimmer.install()
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS)
        gc.collect()  # what is frozen after a whole-heap collection: the check's baseline
        trimmer._frozen_after_collect = 0  # as if it had grown since
        dead = Cycle()
        gc.collect(1)  # frozen while alive
        gone = weakref.ref(dead)
        del dead
        gc.collect(1)
        assert gone() is not None  # frozen: no collection of the crowd looks at it
        for _ in range(500):  # the check runs every 10 ms
            if gone() is None:
                break
            await asyncio.sleep(0.01)
        assert gone() is None
    finally:
        trimmer.uninstall()


async def test_when_the_last_session_leaves_what_is_left_is_frozen_again() -> None:
    trimmer = MemoryTrimmer(trim=lambda _pad: 1)
    trimmer.install()
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS)
        trimmer.fit_to(0)
        gc.unfreeze()
        trimmer.session_closed(sessions_left=0)
        assert gc.get_freeze_count() > 0  # start-up's objects are not scanned again
        assert trimmer._frozen_since_collect is False  # nothing left to unfreeze for
    finally:
        trimmer.uninstall()


async def test_a_crowd_that_only_arrived_is_not_collected_by_the_periodic_check() -> None:
    trimmer = MemoryTrimmer(trim=lambda _pad: 1, frozen_check_seconds=0.01)
    whole_heap: list[int] = []
    trimmer._collect = lambda: whole_heap.append(1)  # type: ignore[method-assign]
    trimmer.install()
    try:
        trimmer.fit_to(memory.CROWD_SESSIONS)  # froze what is here: the check's baseline
        await asyncio.sleep(0.1)  # about ten checks
        assert whole_heap == []
    finally:
        trimmer.uninstall()
