"""The public room directory every join lists is read once per process for a crowd of joins,
and read again as soon as a room is created or changed anywhere (live/room_directory.py)."""

from __future__ import annotations

import asyncio

import pytest

from flet_chat.core.events import PresenceChanged, RoomChanged
from flet_chat.core.models import Room, RoomKind
from flet_chat.live.room_directory import RoomDirectory
from tests.support.waiting import wait_until

GAMES = Room("games", RoomKind.PUBLIC)
MUSIC = Room("music", RoomKind.PUBLIC)


class Store:
    """The directory's read, held open by a gate so tests can act while it is in flight."""

    def __init__(self) -> None:
        self.rooms = [GAMES]
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.away = False

    async def public_rooms(self) -> list[Room]:
        self.reads += 1
        rooms = list(self.rooms)  # what the database held when the read began
        await self.gate.wait()
        if self.away:
            raise ConnectionError("database unreachable")
        return rooms


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_crowd_of_joins_reads_the_directory_once() -> None:
    store = Store()
    store.gate.clear()
    directory = RoomDirectory(store.public_rooms)
    readers = [asyncio.create_task(directory.rooms()) for _ in range(50)]
    await wait_until(lambda: store.reads == 1, timeout=5)
    store.gate.set()
    assert all(answer == [GAMES] for answer in await asyncio.gather(*readers))
    assert await directory.rooms() == [GAMES]  # kept for the next join
    assert store.reads == 1


async def test_a_room_created_anywhere_is_listed_by_the_next_join() -> None:
    store = Store()
    directory = RoomDirectory(store.public_rooms)
    assert await directory.rooms() == [GAMES]
    store.rooms.append(MUSIC)
    directory.on_event(PresenceChanged("general", "Ann", online=True))  # kept
    assert await directory.rooms() == [GAMES]
    directory.on_event(RoomChanged(MUSIC))
    assert await directory.rooms() == [GAMES, MUSIC]
    assert store.reads == 2


async def test_a_read_that_began_before_a_change_is_not_kept() -> None:
    store = Store()
    store.gate.clear()
    directory = RoomDirectory(store.public_rooms)
    early = asyncio.create_task(directory.rooms())
    await wait_until(lambda: store.reads == 1, timeout=5)
    store.rooms.append(MUSIC)
    directory.on_event(RoomChanged(MUSIC))  # created while the first read was in flight
    late = asyncio.create_task(directory.rooms())
    await wait_until(lambda: store.reads == 2, timeout=5)
    store.gate.set()
    # The early reader subscribed before the change, so its session hears the event itself.
    assert await early == [GAMES]
    assert await late == [GAMES, MUSIC]
    assert await directory.rooms() == [GAMES, MUSIC]
    assert store.reads == 2


async def test_the_directory_is_read_again_after_a_while() -> None:
    store, clock = Store(), Clock()
    directory = RoomDirectory(store.public_rooms, ttl=10, clock=clock)
    await directory.rooms()
    store.rooms.append(MUSIC)  # more talk in another room: no event, the order drifted
    clock.now = 10
    assert await directory.rooms() == [GAMES]
    clock.now = 10.5
    assert await directory.rooms() == [GAMES, MUSIC]
    assert store.reads == 2


async def test_a_failed_read_fails_its_readers_and_is_not_kept() -> None:
    store = Store()
    store.gate.clear()
    store.away = True
    directory = RoomDirectory(store.public_rooms)
    readers = [asyncio.create_task(directory.rooms()) for _ in range(3)]
    await wait_until(lambda: store.reads == 1, timeout=5)
    store.gate.set()
    for reader in readers:
        with pytest.raises(ConnectionError):
            await reader
    store.away = False
    assert await directory.rooms() == [GAMES]
    assert store.reads == 2


async def test_a_tab_closed_while_waiting_does_not_cancel_the_others_read() -> None:
    store = Store()
    store.gate.clear()
    directory = RoomDirectory(store.public_rooms)
    closed = asyncio.create_task(directory.rooms())
    waiting = asyncio.create_task(directory.rooms())
    await wait_until(lambda: store.reads == 1, timeout=5)
    closed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closed
    store.gate.set()
    assert await waiting == [GAMES]
    assert store.reads == 1
