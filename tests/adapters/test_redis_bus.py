"""RedisBus against the machine's Redis: delivery between processes, and catch-up after a drop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
from redis.asyncio import Redis

from flet_chat.bus.redis_bus import RedisBus
from flet_chat.bus.wire import decode, encode
from flet_chat.core.events import MessagePosted, MessagesRestored, PresenceChanged, UserTyping
from flet_chat.core.models import Message, MessageKind, NewMessage
from flet_chat.testing.services import REDIS_URL, unique_redis_prefix
from tests.unit.fakes import MemoryStore


class RecordingHub:
    """Stands in for one process's Flet hub: remembers the ids each delivery carried."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, list[int]]] = []
        self._changed = asyncio.Condition()

    def send_all_on_topic(self, topic: str, message: Any) -> None:
        if isinstance(message, MessagePosted):
            ids = [message.message.id]
        else:
            assert isinstance(message, MessagesRestored)
            ids = [m.id for m in message.messages]
        self.deliveries.append((type(message).__name__, ids))
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def ids(self) -> list[int]:
        return [i for _, ids in self.deliveries for i in ids]

    async def wait_for_ids(self, wanted: set[int], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: wanted <= set(self.ids()))


@pytest.fixture
async def pair() -> AsyncIterator[tuple[MemoryStore, list[RedisBus], list[RecordingHub]]]:
    """Two 'processes' sharing one store and one Redis prefix."""
    store = MemoryStore([])
    prefix = unique_redis_prefix()
    hubs = [RecordingHub(), RecordingHub()]
    buses = [RedisBus(hub, store, REDIS_URL, prefix, reconcile_every=0.5) for hub in hubs]
    for bus in buses:
        await bus.start()
    async with asyncio.timeout(10):
        for bus in buses:
            await bus.connected.wait()
    yield store, buses, hubs
    for bus in buses:
        await bus.stop()


async def post(store: MemoryStore, bus: RedisBus, text: str) -> Message:
    message = await store.add(NewMessage(MessageKind.CHAT, "Ann", text))
    await bus.publish(MessagePosted(message))
    return message


async def test_each_message_reaches_every_process_once(pair: Any) -> None:
    store, (bus_a, bus_b), (hub_a, hub_b) = pair
    sent = [await post(store, bus_a if i % 2 else bus_b, f"m{i}") for i in range(6)]
    ids = {m.id for m in sent}
    await hub_a.wait_for_ids(ids)
    await hub_b.wait_for_ids(ids)
    # Each process heard its own messages from itself at once and the others' through Redis.
    assert sorted(hub_a.ids()) == sorted(ids)
    assert sorted(hub_b.ids()) == sorted(ids)


async def test_a_dropped_listener_fills_the_gap_from_the_store(pair: Any) -> None:
    store, (bus_a, bus_b), (_, hub_b) = pair
    first = await post(store, bus_a, "before")
    await hub_b.wait_for_ids({first.id})

    # Cut B's subscription the way a Redis restart or network blip does, and keep it cut while
    # A posts: B's listener backs off, so these are published while nobody on B hears them.
    admin = Redis.from_url(REDIS_URL)
    clients = await admin.client_list()
    (listener,) = [c for c in clients if c["name"] == f"flet-chat-listener-{bus_b.origin}"]
    bus_b.connected.clear()
    await admin.client_kill_filter(_id=listener["id"])
    missed = [await post(store, bus_a, f"during {i}") for i in range(3)]
    await admin.aclose()

    await hub_b.wait_for_ids({m.id for m in missed})
    assert ("MessagesRestored", [m.id for m in missed]) in hub_b.deliveries
    assert sorted(hub_b.ids()) == sorted({first.id, *(m.id for m in missed)})
    async with asyncio.timeout(10):
        await bus_b.connected.wait()
    after = await post(store, bus_a, "after")
    await hub_b.wait_for_ids({after.id})
    assert hub_b.ids().count(after.id) == 1


async def test_malformed_events_are_ignored(pair: Any) -> None:
    store, (bus_a, _), (_, hub_b) = pair
    admin = Redis.from_url(REDIS_URL)
    await admin.publish(bus_a._channel, b'{"type": "message.posted", "version": 9}')
    await admin.aclose()
    message = await post(store, bus_a, "still fine")
    await hub_b.wait_for_ids({message.id})
    assert hub_b.ids() == [message.id]


async def test_a_publish_lost_on_the_way_is_read_from_the_store(pair: Any) -> None:
    store, _, (hub_a, hub_b) = pair
    # Stored and shown on A, but A's publish never reached Redis (its connection failed).
    lost = await store.add(NewMessage(MessageKind.CHAT, "Ann", "lost on the way"))
    hub_a.send_all_on_topic("chat", MessagePosted(lost))
    await hub_b.wait_for_ids({lost.id})
    assert hub_b.ids() == [lost.id]


def test_presence_and_typing_cross_the_wire_and_bad_versions_do_not() -> None:
    for event in (PresenceChanged("general", "Zoë", False), UserTyping("general", "Ann")):
        assert decode(encode(event, "proc-1")) == ("proc-1", event)
    with pytest.raises(pydantic.ValidationError):
        decode(
            b'{"type": "user.typing", "version": 2, "origin": "x", "room": "g", "user_name": "A"}'
        )
