"""RedisPresence against the machine's Redis (LocalPresence: tests/unit/test_local_presence.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from flet_chat.bus.presence import PRESENCE_TTL_SECONDS, RedisPresence
from flet_chat.testing.services import REDIS_URL, unique_redis_prefix
from tests.support.server import free_port


@pytest.fixture
async def processes() -> AsyncIterator[tuple[str, RedisPresence, RedisPresence]]:
    """Two processes' presence on one Redis prefix."""
    prefix = unique_redis_prefix()
    a, b = RedisPresence(REDIS_URL, prefix), RedisPresence(REDIS_URL, prefix)
    yield prefix, a, b
    for presence in (a, b):
        await presence.stop()


async def test_processes_share_who_is_online(
    processes: tuple[str, RedisPresence, RedisPresence],
) -> None:
    prefix, a, b = processes
    assert await a.enter("zoe", "a1")
    assert await b.enter("Adam", "b1")
    assert not await b.enter("zoe", "b2")  # zoe's second tab, on the other process
    for presence in (a, b):
        assert await presence.online_users() == ["Adam", "zoe"]
    assert not await a.leave("zoe", "a1")
    assert await b.online_users() == ["Adam", "zoe"]
    await b.set_connected("zoe", "b2", False)  # her last tab lost its connection
    assert await a.online_users() == ["Adam"]
    await b.set_connected("zoe", "b2", True)
    assert await a.online_users() == ["Adam", "zoe"]
    assert await b.leave("zoe", "b2")
    await b.set_connected("zoe", "b2", True)  # a late reconnect of a session that left
    assert await a.online_users() == ["Adam"]
    assert await b.leave("Adam", "b1")
    assert await a.online_users() == []
    admin = Redis.from_url(REDIS_URL)
    try:
        assert await admin.zcard(f"{prefix}:users") == 0  # nothing left behind
        assert await admin.exists(f"{prefix}:live:zoe", f"{prefix}:online:zoe") == 0
    finally:
        await admin.aclose()


async def test_a_dead_process_drops_out_within_the_ttl() -> None:
    prefix = unique_redis_prefix()
    survivor = RedisPresence(REDIS_URL, prefix, ttl=1.5)
    dying = RedisPresence(REDIS_URL, prefix, ttl=1.5)
    try:
        await survivor.start()
        await dying.start()
        await survivor.enter("Stays", "s1")
        entered = time.monotonic()
        await dying.enter("Ghost", "g1")
        assert await survivor.online_users() == ["Ghost", "Stays"]
        await dying.stop()  # no leave: the process is gone, its heartbeat with it
        died = time.monotonic()
        while "Ghost" in await survivor.online_users():
            assert time.monotonic() - died < 3.0, "a dead process's user is still listed"
            await asyncio.sleep(0.1)  # polling Redis for an expiry, not synchronising
        # The survivor's heartbeat (every ttl/3) keeps its own user listed past the TTL: seen
        # listed at every look until well after the first entry would have expired.
        while time.monotonic() - entered < 1.5 * 2:
            assert await survivor.online_users() == ["Stays"]
            await asyncio.sleep(0.1)  # polling Redis, as the member list does
    finally:
        await survivor.stop()


async def test_the_heartbeat_puts_sessions_back_after_redis_lost_them(
    processes: tuple[str, RedisPresence, RedisPresence],
) -> None:
    prefix, a, b = processes
    await a.enter("Alice", "a1")
    await a.enter("Bob", "a2")
    await a.set_connected("Bob", "a2", False)
    admin = Redis.from_url(REDIS_URL)
    try:
        await admin.delete(f"{prefix}:users", f"{prefix}:live:Alice", f"{prefix}:online:Alice")
    finally:
        await admin.aclose()
    assert await b.online_users() == []
    await a.refresh()
    assert await b.online_users() == ["Alice"]  # Bob is joined but disconnected


async def test_without_redis_presence_answers_from_its_own_process() -> None:
    presence = RedisPresence(f"redis://127.0.0.1:{free_port()}/0", unique_redis_prefix())
    try:
        assert await presence.enter("Alice", "t1")
        assert not await presence.enter("Alice", "t2")
        await presence.set_connected("Alice", "t1", False)
        assert await presence.online_users() == ["Alice"]
        assert not await presence.leave("Alice", "t2")
        assert await presence.online_users() == []
    finally:
        await presence.stop()


async def test_every_presence_key_expires_once_no_process_renews_it(
    processes: tuple[str, RedisPresence, RedisPresence],
) -> None:
    """A process that stops without its users leaving (a test server, a crash) leaves nothing
    in Redis for good: each key it wrote expires within the TTL unless renewed."""
    prefix, a, _ = processes
    await a.enter("Alice", "a1")
    admin = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in admin.scan_iter(match=f"{prefix}:*")]
        assert {k.decode() for k in keys} == {
            f"{prefix}:users",
            f"{prefix}:live:Alice",
            f"{prefix}:online:Alice",
        }
        for key in keys:
            assert 0 < await admin.ttl(key) <= PRESENCE_TTL_SECONDS + 1, key
    finally:
        await admin.aclose()


async def test_a_crowd_coming_back_at_once_is_counted_by_redis_not_this_process_alone(
    processes: tuple[str, RedisPresence, RedisPresence],
) -> None:
    # A restarted worker's tabs return together: far more commands at once than the client's
    # pool has connections. They wait for one (bus/redis_clients.py); refused at once
    # (MaxConnectionsError) presence fell back to this process's users.
    _prefix, a, b = processes
    assert await b.enter("Elsewhere", "b1")
    crowd = [f"user{i}" for i in range(400)]
    await asyncio.gather(*(a.enter(name, f"a-{name}") for name in crowd))
    answers = await asyncio.gather(*(a.online_users() for _ in range(200)))
    assert all(answer == sorted(["Elsewhere", *crowd]) for answer in answers)
