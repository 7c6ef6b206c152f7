"""The per-process typing board: sessions hear of a change in who types, not of every event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from flet_chat.core.events import MessagePosted, PresenceChanged, UserTyping
from flet_chat.core.models import Message, MessageKind
from flet_chat.live.typing_board import TypingBoard
from tests.support.waiting import wait_until


@pytest.fixture
async def board() -> AsyncIterator[TypingBoard]:
    board = TypingBoard(shown=1.0, coalesce=0.01)
    await board.start()
    yield board
    await board.stop()


def posted(user_name: str) -> MessagePosted:
    return MessagePosted(Message(1, MessageKind.CHAT, user_name, "hi", datetime.now(UTC)))


async def test_sessions_hear_when_the_typists_change_not_per_event(board: TypingBoard) -> None:
    seen: list[tuple[str, ...]] = []
    sessions = [lambda: seen.append(board.typists()) for _ in range(200)]
    for session in sessions:
        board.subscribe(session)
    for _ in range(20):  # Bob types on and on: one change
        board.on_event(UserTyping("general", "bob"))
    board.on_event(UserTyping("elsewhere", "Zed"))  # another room: not shown here
    board.on_event(PresenceChanged("general", "Carl", True))  # not typing
    await wait_until(lambda: len(seen) == 200)
    assert set(seen) == {("bob",)}
    assert board.typists("elsewhere") == ("Zed",)  # each room has its own typists
    board.on_event(UserTyping("general", "Alice"))
    await wait_until(lambda: len(seen) == 400)
    assert board.typists() == ("Alice", "bob")
    board.on_event(posted("Alice"))  # her message arrived: she is done
    await wait_until(lambda: board.typists() == ("bob",))
    board.on_event(posted("Dora"))  # not typing: no change
    # Nobody types again: everyone is gone a second after their last event.
    await wait_until(lambda: board.typists() == ())
    # At most one notice per session per change (two changes close together may be one).
    # (Sessions are told in slices: wait for the whole round.)
    await wait_until(lambda: seen[-1] == () and len(seen) % 200 == 0)
    assert len(seen) <= 800
