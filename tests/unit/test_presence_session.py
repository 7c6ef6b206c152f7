"""A session's typing signal: at most one per 2 s reaches the service, however fast one types."""

from __future__ import annotations

from typing import Any

from flet_chat.live.presence_cache import PresenceCache
from flet_chat.live.typing_board import TypingBoard
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.member_list import MemberRowCache
from flet_chat.ui.views.room_list import RoomList


class RecordingChat:
    def __init__(self) -> None:
        self.typing_calls: list[str] = []

    async def typing(self, user_name: str, *, room: str) -> bool:
        self.typing_calls.append(user_name)
        return True


class Change:
    def __init__(self, data: str) -> None:
        self.data = data


async def nothing(_event: Any) -> None:
    return None


async def open_nothing(_key: str) -> None:
    return None


def make_session(chat: RecordingChat, me: list[str | None]) -> PresenceSession:
    async def no_users() -> list[str]:
        return []

    session = PresenceSession(
        chat=chat,  # type: ignore[arg-type]
        cache=PresenceCache(no_users),
        typing_board=TypingBoard(),
        session_key="k",
        me=lambda: me[0],
    )
    session.bind(
        ChatView(
            RowCache(),
            on_send=nothing,
            on_jump_to_newest=nothing,
            member_rows=MemberRowCache(),
            on_typing=session.on_composer_change,
            on_toggle_members=session.on_toggle_members,
            room_list=RoomList(on_open=open_nothing, on_join=open_nothing, on_new_room=nothing),
            on_show_rooms=nothing,
            on_leave_room=nothing,
        )
    )
    return session


async def test_keystrokes_are_throttled_before_the_service() -> None:
    chat, me = RecordingChat(), [None]
    session = make_session(chat, me)
    await session.on_composer_change(Change("h"))  # not joined yet: nobody is typing
    me[0] = "Alice"
    await session.on_composer_change(Change("   "))  # blank: not typing
    for text in ("h", "he", "hel", "hell", "hello"):
        await session.on_composer_change(Change(text))
    assert chat.typing_calls == ["Alice"]
