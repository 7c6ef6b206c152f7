"""#general's newest page is read once for the sessions that open it together; messages posted
meanwhile are merged into it, and anything else that happens in the room makes the next session
read again (live/newest_page.py): a crowd of tabs joining or coming back costs one read, and none
of them misses a message."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from flet_chat.core.events import MessageChanged, MessagePosted, MessagesRestored, RoomChanged
from flet_chat.core.models import HistoryPage, Message, MessageKind, Room, RoomKind
from flet_chat.live.newest_page import MAX_HEARD, NewestPage, opening_with_posted
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

    def post(
        self,
        page: NewestPage[list[int]],
        message_id: int,
        room: str = "general",
        kind: MessageKind = MessageKind.CHAT,
    ) -> None:
        """Stored, then announced: what ChatService does."""
        if room == "general":
            self.ids.append(message_id)
        page.on_event(MessagePosted(message(message_id, room, kind)))

    def newest_page(self, **options: float) -> NewestPage[list[int]]:
        return NewestPage("general", self.read, _with_ids, stale=_a_topic, **options)


def _with_ids(ids: list[int], posted: Sequence[Message]) -> list[int]:
    return sorted({*ids, *(message.id for message in posted)})


def _a_topic(posted: Message) -> bool:
    return posted.kind is MessageKind.TOPIC


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.looks = 0  # a session asking while a read is in flight looks at the clock

    def __call__(self) -> float:
        self.looks += 1
        return self.now


async def test_a_crowd_opening_general_reads_it_once() -> None:
    room = GeneralRoom()
    page = room.newest_page()
    room.gate.clear()
    crowd = [asyncio.create_task(page.read()) for _ in range(100)]
    await wait_until(lambda: room.reads == 1, timeout=5)
    room.gate.set()
    assert all(ids == [1, 2] for ids in await asyncio.gather(*crowd))
    assert await page.read() == [1, 2]  # and later ones, while nothing happened
    assert room.reads == 1


async def test_a_message_posted_in_general_is_merged_and_other_changes_read_it_again() -> None:
    room = GeneralRoom()
    page = room.newest_page()
    await page.read()
    room.post(page, 5, room="dev")
    page.on_event(RoomChanged(Room("dev", RoomKind.PUBLIC)))
    assert await page.read() == [1, 2]
    room.post(page, 6)  # a crowd's join notices: merged, not read again
    room.post(page, 7)
    assert await page.read() == [1, 2, 6, 7]
    assert room.reads == 1
    page.on_event(MessageChanged(message(6)))  # an edit, a reaction, a deletion
    assert await page.read() == [1, 2, 6, 7]
    assert room.reads == 2
    page.on_event(MessagesRestored((message(3, "dev"), message(8))))  # caught up after an outage
    await page.read()
    assert room.reads == 3
    room.post(page, 9, kind=MessageKind.TOPIC)  # the answer holds the topic: read again
    assert await page.read() == [1, 2, 6, 7, 9]
    assert room.reads == 4
    page.on_event(MessageChanged(message(4, "dev")))
    await page.read()
    assert room.reads == 4


async def test_a_message_announced_before_a_session_asked_is_never_missing_from_its_page() -> None:
    # The read in flight began before message 3 was stored; the session that asks after its
    # announcement (which it did not hear: it subscribed later) shares that read, with 3
    # merged in.
    room = GeneralRoom()
    page = room.newest_page()
    room.gate.clear()
    early = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 1, timeout=5)
    room.post(page, 3)
    late = asyncio.create_task(page.read())
    room.gate.set()
    assert await late == [1, 2, 3]
    assert await early == [1, 2, 3]  # it was listening before 3 as well: it hears 3 live too
    assert room.reads == 1


async def test_a_session_waiting_for_an_older_read_keeps_what_that_read_heard() -> None:
    # 3 is announced while read 1 is in flight; the ttl passes and a later session starts read
    # 2 before read 1 is done. The early session asked after 3's announcement: it gets 3 from
    # what read 1 heard. 4 comes after both asked: each hears it live, read 2 has it merged.
    room, clock = GeneralRoom(), Clock()
    page = room.newest_page(ttl=5, clock=clock)
    room.gate.clear()
    first = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 1, timeout=5)
    room.post(page, 3)
    looks = clock.looks
    early = asyncio.create_task(page.read())
    await wait_until(lambda: clock.looks > looks, timeout=5)  # it shares read 1
    clock.now = 6
    late = asyncio.create_task(page.read())
    await wait_until(lambda: room.reads == 2, timeout=5)
    room.post(page, 4)
    room.gate.set()
    assert await early == [1, 2, 3]
    assert await first == [1, 2, 3]
    assert await late == [1, 2, 3, 4]


async def test_past_a_page_of_posted_messages_it_is_read_again() -> None:
    room = GeneralRoom()
    page = room.newest_page()
    await page.read()
    for message_id in range(10, 10 + MAX_HEARD):
        room.post(page, message_id)
    assert await page.read() == [1, 2, *range(10, 10 + MAX_HEARD)]
    assert room.reads == 1
    room.post(page, 100)
    assert await page.read() == [1, 2, *range(10, 10 + MAX_HEARD), 100]
    assert room.reads == 2


def _page(ids: list[int], *, has_older: bool = False) -> HistoryPage:
    return HistoryPage([message(i) for i in ids], has_older)


def test_an_opening_with_posted_messages_is_what_a_read_after_them_gives() -> None:
    opening = (_page([1, 2, 3]), "our topic")
    merged, topic = opening_with_posted(opening, [message(5), message(4)], limit=4)
    assert [m.id for m in merged.messages] == [2, 3, 4, 5]  # id order, the newest four
    assert merged.has_older  # 1 is older now
    assert topic == "our topic"
    merged, _ = opening_with_posted(opening, [message(4)], limit=4)
    assert [m.id for m in merged.messages] == [1, 2, 3, 4]
    assert not merged.has_older
    assert opening[0].messages == _page([1, 2, 3]).messages  # the shared page is untouched


def test_a_posted_message_the_read_already_had_is_not_shown_twice() -> None:
    stored = Message(3, MessageKind.CHAT, "Bob", "edited", datetime(2026, 1, 1, tzinfo=UTC))
    opening = (HistoryPage([message(1), stored], False), None)
    assert opening_with_posted(opening, [message(3)]) is opening
    merged, _ = opening_with_posted(opening, [message(3), message(4)])
    assert [(m.id, m.text) for m in merged.messages] == [(1, "m1"), (3, "edited"), (4, "m4")]
    assert not opening_with_posted((_page([1]), None), [message(2)])[0].has_older
    # A retried send is announced again: once on the page, not a place taken twice.
    merged, _ = opening_with_posted((_page([1, 2, 3]), None), [message(4), message(4)], limit=3)
    assert [m.id for m in merged.messages] == [2, 3, 4]


async def test_the_page_is_read_again_after_a_while() -> None:
    room, clock = GeneralRoom(), Clock()
    page = room.newest_page(ttl=5, clock=clock)
    await page.read()
    clock.now = 5
    await page.read()
    assert room.reads == 1
    clock.now = 5.5  # a reaction whose event pub/sub lost shows within the ttl
    await page.read()
    assert room.reads == 2


async def test_a_failed_read_fails_its_sessions_and_is_not_kept() -> None:
    room = GeneralRoom()
    page = room.newest_page()
    room.away = True
    with pytest.raises(ConnectionError):
        await page.read()
    room.away = False
    assert await page.read() == [1, 2]
    assert room.reads == 2


async def test_a_tab_closed_while_waiting_does_not_cancel_the_others_read() -> None:
    room = GeneralRoom()
    page = room.newest_page()
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
