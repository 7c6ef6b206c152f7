"""The room on screen on fakes: live messages wait for the history and then show once, a room
switched away from stops its retries, a double click loads one older page, read marks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from flet_chat.core.models import HistoryPage, Message, MessageKind, Room, RoomKind
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.session.conversation import HISTORY_FAILED, Conversation
from flet_chat.ui.views.message_list import CHUNK_SIZE
from tests.unit.session_fakes import FakeScreen, make_view, message

DEV = Room("dev", RoomKind.PUBLIC)


class FakeHistory:
    def __init__(self, messages: list[Message], failures: int = 0) -> None:
        self.messages = messages
        self.failures = failures
        self.latest_calls: list[str] = []
        self.before_calls: list[int] = []
        self.marked: list[tuple[str, str, int]] = []
        self.gate: asyncio.Event | None = None  # when given, reads wait for it
        self.called = asyncio.Event()
        self.errors_seen: list[str | None] = []

    async def latest(self, room: str = "general", *, reader: str | None = None) -> HistoryPage:
        self.latest_calls.append(room)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if len(self.latest_calls) <= self.failures:
            raise ConnectionError("database unreachable")
        return HistoryPage([m for m in self.messages if m.room == room], has_older=True)

    async def before(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        self.before_calls.append(message_id)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        return HistoryPage([message(message_id - 1)], has_older=False)

    async def topic(self, room: str = "general") -> str | None:
        return "hello there"

    async def mark_read(self, user_name: str, room: str, message_id: int) -> None:
        self.marked.append((user_name, room, message_id))


class NoChanges:
    def take_changes(self, window: MessageWindow) -> list[Message]:
        return []


def make(
    history: FakeHistory,
    me: str | None = "Alice",
    after_frame: Callable[[Callable[[], None]], None] | None = None,
) -> tuple[Conversation, FakeScreen]:
    screen = FakeScreen()
    view = make_view()
    conversation = Conversation(
        after_frame=after_frame,
        history=history,
        read_marks=history,
        window=MessageWindow(200),
        view=view,
        screen=screen,
        changes=NoChanges(),
        me=lambda: me,
        retry_delays=(0.0, 0.0),
        retry_pace=0.0,
    )
    return conversation, screen


def ids(conversation: Conversation) -> list[int]:
    return [m.id for m in conversation.window.messages]


async def test_live_messages_wait_for_the_history_and_show_once() -> None:
    history = FakeHistory([message(1), message(2), message(3)])
    conversation, screen = make(history)
    # Heard before the history is in: one the history also holds, one newer.
    conversation.hold(message(3))
    conversation.hold(message(4))
    conversation.flush()
    assert ids(conversation) == []
    assert screen.sent == []  # nothing rendered until the history is in
    await conversation.load_history()
    assert ids(conversation) == [1, 2, 3, 4]
    assert screen.sent  # the history and the held messages went out
    conversation.hold(message(4))  # a replay
    conversation.hold(message(5, kind=MessageKind.TOPIC))
    conversation.flush()
    assert ids(conversation) == [1, 2, 3, 4, 5]


async def test_the_history_is_retried_and_the_error_goes_once_it_is_in() -> None:
    history = FakeHistory([message(1)], failures=2)
    conversation, screen = make(history)
    errors: list[str | None] = []
    original = conversation.show_error

    def record(text: str | None) -> None:
        errors.append(text)
        original(text)

    conversation.show_error = record  # type: ignore[method-assign,assignment]
    await conversation.load_history()
    assert history.latest_calls == ["general"] * 3
    assert errors == [HISTORY_FAILED, None]  # said once, cleared once
    assert ids(conversation) == [1]
    assert screen.refreshed  # the error and its clearing reached the field


async def test_a_room_switched_away_from_stops_retrying() -> None:
    history = FakeHistory([message(1)], failures=1)
    history.gate = asyncio.Event()
    conversation, _ = make(history)
    loading = asyncio.create_task(conversation.load_history())
    await history.called.wait()
    conversation.enter(DEV)  # the user moved on while #general was being read
    history.gate.set()
    await loading
    assert history.latest_calls == ["general"]  # not read again after the failure
    assert ids(conversation) == []
    assert not conversation.history_loaded


async def test_a_closed_session_stops_retrying() -> None:
    """While the store is away a history load retries for good; once Flet closes the session
    it must stop, or a closed session would ask the store forever and never be collected."""
    history = FakeHistory([message(1)], failures=1)
    history.gate = asyncio.Event()
    conversation, _ = make(history)
    loading = asyncio.create_task(conversation.load_history())
    await history.called.wait()
    conversation.close()
    history.gate.set()
    await loading
    assert history.latest_calls == ["general"]  # not read again after the failure
    assert not conversation.history_loaded


async def test_a_double_click_loads_one_older_page() -> None:
    history = FakeHistory([message(5)])
    conversation, _ = make(history)
    await conversation.load_history()
    history.gate = asyncio.Event()
    history.called.clear()
    first = asyncio.create_task(conversation.load_older(None))
    await history.called.wait()
    await conversation.load_older(None)  # the second click returns at once
    history.gate.set()
    await first
    assert history.before_calls == [5]
    assert ids(conversation) == [4, 5]


async def test_only_a_loaded_room_of_a_known_user_is_marked_read() -> None:
    history = FakeHistory([message(1), message(2)])
    anonymous, _ = make(history, me=None)
    await anonymous.load_history()
    await anonymous.mark_read()
    conversation, _ = make(history)
    await conversation.mark_read()  # nothing loaded yet
    assert history.marked == []
    await conversation.load_history()
    await conversation.mark_read()
    assert history.marked == [("Alice", "general", 2)]


async def test_the_chunk_the_next_message_starts_is_built_after_the_frame_not_in_it() -> None:
    later: list[Callable[[], None]] = []
    history = FakeHistory([message(i) for i in range(1, CHUNK_SIZE + 1)])  # one full chunk
    conversation, _screen = make(history, after_frame=later.append)
    await conversation.load_history()
    messages = conversation._view.messages
    assert later == [messages.prepare_spare]  # asked for, not built during the render
    assert messages.wants_spare()
    later.pop()()  # the frame went out: build it
    spare = messages._spare
    conversation.hold(message(CHUNK_SIZE + 1))
    conversation.flush()
    assert messages.list_view.controls[-1] is spare  # the message's chunk is the one built
    assert later == []  # the new chunk has room: nothing to build ahead
