"""The per-process cache of who is online: one read per burst of changes, shared by sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from flet_chat.live.presence_cache import SESSIONS_PER_WINDOW, PresenceCache, coalesce_window
from tests.support.waiting import wait_until


class CountingPresence:
    def __init__(self) -> None:
        self.users: list[str] = []
        self.reads = 0
        self.read_done = asyncio.Condition()

    async def online_users(self) -> list[str]:
        self.reads += 1
        async with self.read_done:
            self.read_done.notify_all()
        return list(self.users)


@pytest.fixture
async def presence() -> CountingPresence:
    return CountingPresence()


@pytest.fixture
async def cache(presence: CountingPresence) -> AsyncIterator[PresenceCache]:
    cache = PresenceCache(presence.online_users, coalesce=0.3)
    await cache.start()
    yield cache
    await cache.stop()


async def test_a_burst_of_changes_is_read_once_and_every_session_is_told(
    presence: CountingPresence, cache: PresenceCache
) -> None:
    await wait_until(lambda: presence.reads == 1)  # the first read happens at start
    told: list[tuple[int, tuple[str, ...]]] = []
    listeners = [lambda i=i: told.append((i, cache.users)) for i in range(120)]
    for listener in listeners:
        cache.subscribe(listener)
    presence.users = [f"user{i}" for i in range(1000)]
    for _ in range(1000):  # a crowd joining
        cache.invalidate()
    await wait_until(lambda: len(told) == 120)
    assert presence.reads == 2
    assert {users for _, users in told} == {tuple(presence.users)}
    # Nothing changed: a re-read tells nobody. Proven by the next change, which is read after
    # it (reads take turns), so anything the unchanged read told would be in `told` by then.
    cache.invalidate()
    await wait_until(lambda: presence.reads == 3)
    cache.unsubscribe(listeners[0])
    presence.users = []
    cache.invalidate()
    await wait_until(lambda: any(users == () for _, users in told))
    await wait_until(lambda: sum(users == () for _, users in told) == 119)
    assert len(told) == 120 + 119


async def test_with_polling_a_change_nobody_announced_is_seen() -> None:
    presence = CountingPresence()
    cache = PresenceCache(presence.online_users, coalesce=0.05, poll=0.2)
    await cache.start()
    try:
        await wait_until(lambda: presence.reads >= 1)
        presence.users = ["Ghost"]  # e.g. another process's sessions expiring
        await wait_until(lambda: cache.users == ("Ghost",), timeout=2)
    finally:
        await cache.stop()


async def test_a_failed_read_keeps_the_last_list(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def flaky() -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("redis went away")
        return ["Alice"]

    cache = PresenceCache(flaky, coalesce=0.01)
    await cache.start()
    try:
        await wait_until(lambda: cache.users == ("Alice",))
        cache.invalidate()
        await wait_until(lambda: calls == 2)
        assert cache.users == ("Alice",)
        cache.invalidate()
        await wait_until(lambda: calls == 3)
    finally:
        await cache.stop()
    assert "could not read who is online" in caplog.text


def test_a_crowd_widens_the_window_between_member_list_updates() -> None:
    # Every notice costs each session an update: at 1,000 sessions one every 2 s, not 1.
    assert coalesce_window(1.0, 1) == 1.0
    assert coalesce_window(1.0, SESSIONS_PER_WINDOW) == 1.0
    assert coalesce_window(1.0, 1000) == 2.0
    assert coalesce_window(0.3, 1500) == pytest.approx(0.9)
