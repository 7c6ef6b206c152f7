"""One Message object per message revision for the sessions of a process
(live/shared_messages.py): pages read by two sessions leave both holding the same objects, a
new revision is its own, and nothing is kept once no session holds it."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Awaitable, Callable

from flet_chat.core.models import HistoryPage, Message
from flet_chat.live.shared_messages import SharedMessages
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.session.conversation import Conversation
from tests.unit.session_fakes import FakeScreen, make_view, message
from tests.unit.test_session_conversation import FakeHistory, NoChanges


def copies(messages: list[Message]) -> list[Message]:
    """What a read of the store returns: equal messages, new objects."""
    return [dataclasses.replace(m) for m in messages]


def test_a_second_read_gets_the_objects_of_the_first() -> None:
    shared = SharedMessages()
    stored = [message(1), message(2)]
    first = shared.shared(copies(stored))
    second = shared.shared(copies(stored))
    assert second == stored
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_a_new_revision_is_not_the_old_object() -> None:
    shared = SharedMessages()
    [old] = shared.shared([message(1)])
    edited = dataclasses.replace(message(1), text="m1, edited", edited=True, revision=1)
    [got] = shared.shared([edited])
    assert got is edited
    assert got.text == "m1, edited"
    assert shared.shared([dataclasses.replace(old)])[0] is old  # the old one still shared


def test_an_unequal_message_under_a_known_revision_is_kept_as_read() -> None:
    shared = SharedMessages()
    [first] = shared.shared([message(1)])
    other = dataclasses.replace(message(1), text="not the same")
    [got] = shared.shared([other])
    assert got is other
    assert first.text == "m1"


def test_a_message_no_one_holds_is_let_go() -> None:
    shared = SharedMessages()
    held = shared.shared(copies([message(1), message(2)]))
    assert len(shared) == 2
    del held
    gc.collect()
    assert len(shared) == 0


def test_a_page_keeps_its_flags() -> None:
    shared = SharedMessages()
    page = shared.page(HistoryPage([message(1)], has_older=True, has_newer=True))
    assert page.has_older
    assert page.has_newer
    assert [m.id for m in page.messages] == [1]


class CopyingHistory(FakeHistory):
    """Each read returns new objects, as the store does."""

    async def latest(self, room: str = "general", *, reader: str | None = None) -> HistoryPage:
        page = await super().latest(room, reader=reader)
        return HistoryPage(copies(page.messages), page.has_older)

    async def before(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        page = await super().before(message_id, room, reader=reader)
        return HistoryPage(copies(page.messages), page.has_older)

    async def around(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        page = [m for m in self.messages if m.room == room]
        return HistoryPage(copies(page), has_older=True, has_newer=False)


def session(
    history: FakeHistory,
    shared: SharedMessages | None,
    general: Callable[[], Awaitable[tuple[HistoryPage, str | None]]] | None = None,
) -> Conversation:
    return Conversation(
        general=general,
        history=history,
        read_marks=history,
        window=MessageWindow(200),
        view=make_view(),
        screen=FakeScreen(),
        changes=NoChanges(),
        me=lambda: "Alice",
        shared_messages=shared,
    )


async def test_two_sessions_reading_the_same_room_hold_the_same_messages() -> None:
    history = CopyingHistory([message(5), message(6), message(7)])
    shared = SharedMessages()
    first, second = session(history, shared), session(history, shared)
    for conversation in (first, second):
        await conversation.load_history()
        await conversation.load_older(None)  # message 4, read by each
    assert [m.id for m in second.window.messages] == [4, 5, 6, 7]
    pairs = zip(first.window.messages, second.window.messages, strict=True)
    assert all(a is b for a, b in pairs)
    # Without the shared messages each session keeps its own copies.
    third, fourth = session(history, None), session(history, None)
    for conversation in (third, fourth):
        await conversation.load_history()
    pairs = zip(third.window.messages, fourth.window.messages, strict=True)
    assert not any(a is b for a, b in pairs)


async def test_every_read_of_a_page_is_shared() -> None:
    """#general's page read for the crowd, "Jump to newest" and a search result's page."""
    history = CopyingHistory([message(5), message(6), message(7)])
    shared = SharedMessages()

    async def general() -> tuple[HistoryPage, str | None]:
        return HistoryPage(copies(history.messages), has_older=True), None

    first, second = session(history, shared, general), session(history, shared, general)
    await first.load_history()
    await second.load_history()
    held = first.window.messages
    assert all(a is b for a, b in zip(held, second.window.messages, strict=True))
    await second.jump_to_newest(None)
    assert all(a is b for a, b in zip(held, second.window.messages, strict=True))
    await second.show_around(6)
    assert [m.id for m in second.window.messages] == [5, 6, 7]
    assert all(a is b for a, b in zip(held, second.window.messages, strict=True))
