"""A session's typing signal: at most one per 2 s reaches the service, however fast one types;
its member list while its tab is away."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgpack

from flet_chat.flet_compat import install_walk_once, pack_control
from flet_chat.live.presence_cache import PresenceCache
from flet_chat.live.typing_board import TypingBoard
from flet_chat.testing.flet_client import FletClient, decode
from flet_chat.ui import keys
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.member_list import MemberRowCache
from flet_chat.ui.views.room_list import RoomList
from tests.unit.test_member_patches import Wire


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


async def test_a_disconnected_tab_misses_member_changes_and_gets_them_when_it_is_back() -> None:
    """While the tab is away nothing is drawn (Flet drops what a disconnected session is sent,
    and its diff of the list would run at every change); back, it sees who is online now."""
    install_walk_once()
    users = ["ann", "bob"]

    async def online() -> list[str]:
        return list(users)

    cache = PresenceCache(online)
    await cache.refresh()
    wire = Wire.__new__(Wire)
    wire.frames = []
    page: Any = SimpleNamespace(session=SimpleNamespace(connection=wire))
    session = PresenceSession(
        chat=RecordingChat(),  # type: ignore[arg-type]
        cache=cache,
        typing_board=TypingBoard(),
        session_key="k",
        me=lambda: "ann",
        page=page,
    )
    view = make_session(RecordingChat(), ["ann"]).view  # a ChatView of its own
    session.bind(view)
    session.start(page_width=1200)
    client = FletClient("ws://unused")
    client.page = msgpack.unpackb(pack_control(view.members.panel), strict_map_key=False)
    client._index(client.page)

    def receive() -> list[str]:
        for frame in wire.frames:
            _action, body = decode(frame)
            client._apply(body["id"], body["patch"])
        wire.frames.clear()
        return [*client.members(), *client.texts(client.get(keys.MEMBER_PANEL))[:1]]

    assert receive() == ["ann", "bob", "Online (2)"]
    page.session.connection = None  # the tab dropped
    for arrival in ("cy", "dan"):
        users.append(arrival)
        await cache.refresh()
    assert view.members.title.value == "Online (2)"  # nothing drawn for a closed socket
    assert wire.frames == []

    page.session.connection = wire  # back (Flet sent it the page as it was)
    session.reconnected()
    assert receive() == ["ann", "bob", "cy", "dan", "Online (4)"]
    session.reconnected()  # nothing missed since: nothing sent
    assert wire.frames == []

    users.append("eve")  # connected: drawn at once, as before
    await cache.refresh()
    assert receive() == ["ann", "bob", "cy", "dan", "eve", "Online (5)"]
