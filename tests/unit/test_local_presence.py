"""LocalPresence: who is online in one process (RedisPresence: tests/adapters)."""

from __future__ import annotations

from flet_chat.bus.presence import LocalPresence


async def test_local_presence_counts_users_not_tabs() -> None:
    presence = LocalPresence()
    assert await presence.enter("bob", "t1")
    assert not await presence.enter("bob", "t2")
    assert await presence.enter("Alice", "t3")
    assert await presence.online_users() == ["Alice", "bob"]
    await presence.set_connected("bob", "t1", False)
    assert await presence.online_users() == ["Alice", "bob"]  # t2 is still connected
    await presence.set_connected("bob", "t2", False)
    assert await presence.online_users() == ["Alice"]
    await presence.set_connected("bob", "t2", True)
    assert await presence.online_users() == ["Alice", "bob"]
    assert not await presence.leave("bob", "t2")  # t1 is still joined, though disconnected
    assert await presence.online_users() == ["Alice"]
    assert await presence.leave("bob", "t1")
    await presence.set_connected("bob", "t1", True)  # a late reconnect of a session that left
    assert await presence.online_users() == ["Alice"]
