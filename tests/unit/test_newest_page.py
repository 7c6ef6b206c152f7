"""#general's newest page is read once for the sessions that open it together, and read again
as soon as anything happens in the room (live/newest_page.py): a crowd of tabs coming back
costs one read, and none of them misses a message."""

from __future__ import annotations

import asyncio

import pytest

from flet_chat.core.events import MessageChanged, MessagePosted, MessagesRestored, RoomChanged
from flet_chat.core.models import Room, RoomKind
from flet_chat.live.newest_page import NewestPage
from tests.support.waiting import wait_until
from tests.unit.session_fakes import message


class GeneralRoom:
    """The room's stored ids; a read copies them when it begins, as a snapshot would."""

    def __init__(self) -> None:
        self.ids = [1, 2]
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.away = False

    async def read(self) -> list[int]:
        self.reads += 1
        snapshot = list(self.ids)
        await self.gate.wait()
        if self.away:
            raise ConnectionError("database unreachable")
        return snapshot

    def post(self, page: NewestPage[list[int]], message_id: int, room: str = "general") -> None:
        """Stored, then announced: what ChatService does."""
        if room == "general":
            self.ids.append(message_id)
        page.on_event(MessagePosted(message(message_id, room)))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_crowd_opening_general_reads_it_once() -> None:
    room = GeneralRoom()
    page = NewestPage("general", room.read)
    room.gate.clear()
    crowd = [asyncio.create_task(page.read()) for _ in range(100)]
    await wait_until(lambda: room.reads == 1, timeout=5)
    room.gate.set()
    assert all(ids == [1, 2] for ids in await asyncio.gather(*crowd))
    assert await page.read() == [1, 2]  # and later ones, while nothing happened
    assert room.reads == 1


async def test_anything_that_happens_in_general_is_read_again_elsewhere_not() -> None:
    room = GeneralRoom()
    page = NewestPage("general", room.read)
    await page.read()
    room.post(page, 5, room="dev")
    page.on_event(RoomChanged(Room("dev", RoomKind.PUBLIC)))
    assert await page.read() == [1, 2]
    assert room.reads == 1
    room.post(page, 6)
    assert await page.read() == [1, 2, 6]
    page.on_event(MessageChanged(message(6)))  # an edit, a reaction, a deletion
    await page.read()
    page.on_event(MessagesRestored((message(3, "dev"), message(7))))  # caught up after an outage
    await page.read()
    assert room.reads == 4


async def test_a_message_announced_before_a_session_asked_is_never_missing_from_its_page() -> None:
    # The read in flight began before message 3 was stored; the session that asks after its
    # announcement (which it did not hear: it subscribed later) must not share that read.
    room = GeneralRoom()
    page = NewestPage("general", room.read)
    room.gate.clear()
    early = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 1, timeout=5)
    room.post(page, 3)
    late = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 2, timeout=5)
    room.gate.set()
    assert await early == [1, 2]  # it was listening before 3: it hears 3 live
    assert await late == [1, 2, 3]


async def test_the_page_is_read_again_after_a_while() -> None:
    room, clock = GeneralRoom(), Clock()
    page = NewestPage("general", room.read, ttl=5, clock=clock)
    await page.read()
    clock.now = 5
    await page.read()
    assert room.reads == 1
    clock.now = 5.5  # a reaction whose event pub/sub lost shows within the ttl
    await page.read()
    assert room.reads == 2


async def test_a_failed_read_fails_its_sessions_and_is_not_kept() -> None:
    room = GeneralRoom()
    page = NewestPage("general", room.read)
    room.away = True
    with pytest.raises(ConnectionError):
        await page.read()
    room.away = False
    assert await page.read() == [1, 2]
    assert room.reads == 2


async def test_a_tab_closed_while_waiting_does_not_cancel_the_others_read() -> None:
    room = GeneralRoom()
    page = NewestPage("general", room.read)
    room.gate.clear()
    closed = asyncio.create_task(page.read())
    waiting = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 1, timeout=5)
    closed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closed
    room.gate.set()
    assert await waiting == [1, 2]
    assert room.reads == 1
