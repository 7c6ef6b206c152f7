"""A join that fails or is cancelled after the session entered presence leaves no one online:
the caller never learns it joined, so nothing else would ever take the session back."""

from __future__ import annotations

import asyncio

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.events import ChatEvent, PresenceChanged
from flet_chat.core.models import Message, NewMessage
from flet_chat.core.service import ChatService
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits


class PresenceBusDown(RecordingBus):
    async def publish(self, event: ChatEvent) -> None:
        if isinstance(event, PresenceChanged) and event.online:
            raise ConnectionError("bus down")
        await super().publish(event)


class StuckStore(MemoryStore):
    """Its first write never finishes (a database that stopped answering)."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__(journal)
        self.writing = asyncio.Event()

    async def add(self, new: NewMessage) -> Message:
        self.writing.set()
        await asyncio.Event().wait()
        raise AssertionError("not reached")


def chat_with(
    store: MemoryStore,
    bus: RecordingBus,
    presence: LocalPresence,
    rooms: MemoryRoomStore | None = None,
) -> ChatService:
    return ChatService(store, bus, message_limits(3, 1.0), presence, rooms or MemoryRoomStore())


async def test_a_join_whose_presence_event_fails_is_not_online() -> None:
    journal: list[str] = []
    presence = LocalPresence()
    chat = chat_with(MemoryStore(journal), PresenceBusDown(journal), presence)
    with pytest.raises(ConnectionError):
        await chat.join("Ann", "tab-1")
    assert await presence.online_users() == []
    assert presence.local_sessions() == {}  # nothing for a Redis heartbeat to keep renewing


async def test_a_join_cancelled_while_announcing_is_not_online() -> None:
    journal: list[str] = []
    presence, store, rooms = LocalPresence(), StuckStore(journal), MemoryRoomStore()
    chat = chat_with(store, RecordingBus(journal), presence, rooms)
    join = asyncio.create_task(chat.join("Ann", "tab-1"))
    await store.writing.wait()  # in presence, writing the join notice
    assert await presence.online_users() == ["Ann"]
    join.cancel()
    with pytest.raises(asyncio.CancelledError):
        await join
    assert await presence.online_users() == []
    assert presence.local_sessions() == {}
    # Nor does it keep the name it claimed: Ann may try again from anywhere.
    assert rooms.names == {}
