"""Moving between rooms on fakes: the new-room field refuses before anyone joined, Enter
pressed twice asks the server once, and this user's memberships from another tab update the
room list while other people's go to the member list."""

from __future__ import annotations

import asyncio
from typing import Any

from flet_chat.bus.fanout import Fanout
from flet_chat.core.errors import JOIN_FIRST, ChatError
from flet_chat.core.events import MembershipChanged
from flet_chat.core.models import HistoryPage, Message, Room, RoomKind
from flet_chat.core.rate_limit import Origin
from flet_chat.live.presence_cache import PresenceCache
from flet_chat.live.typing_board import TypingBoard
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.session.conversation import Conversation
from flet_chat.ui.session.navigation import Navigation
from flet_chat.ui.views.room_list import RoomList
from tests.unit.session_fakes import FakeScreen, Submit, make_view, nothing, open_nothing

TAKEN = "That room is not open to you."


class FakeRooms:
    """The room service; join_or_create waits for `gate`, then refuses."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gate = asyncio.Event()
        self.called = asyncio.Event()

    async def join_or_create(
        self, user_name: str, raw_name: str, *, origin: Origin | None = None
    ) -> Room:
        self.asked.append(raw_name)
        self.called.set()
        await self.gate.wait()
        raise ChatError(TAKEN)

    async def mark_read(self, user_name: str, room: str, message_id: int) -> None:
        return None


class NoHistory:
    async def latest(self, room: str = "general", *, reader: str | None = None) -> HistoryPage:
        return HistoryPage([], has_older=False)

    async def before(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        return HistoryPage([], has_older=False)

    async def topic(self, room: str = "general") -> str | None:
        return None

    def take_changes(self, window: MessageWindow) -> list[Message]:
        return []


async def no_users() -> list[str]:
    return []


class Harness:
    def __init__(self, me: str | None) -> None:
        self.me = me
        self.service = FakeRooms()
        self.screen = FakeScreen()
        view = make_view()
        self.room_list = RoomList(on_open=open_nothing, on_join=open_nothing, on_new_room=nothing)
        self.presence_calls: list[tuple[str, str, bool]] = []
        presence = PresenceSession(
            chat=None,  # type: ignore[arg-type]  # not asked in these tests
            cache=PresenceCache(no_users),
            typing_board=TypingBoard(),
            session_key="k",
            me=lambda: self.me,
        )
        presence.bind(view)
        presence.membership_changed = self.record_presence  # type: ignore[method-assign]
        self.rooms = RoomsSession(self.service, Fanout(), self, self.ignore)  # type: ignore[arg-type]
        history = NoHistory()
        conversation = Conversation(
            history=history,
            read_marks=self.service,
            window=MessageWindow(200),
            view=view,
            screen=self.screen,
            changes=history,
            me=lambda: self.me,
        )
        self.navigation = Navigation(
            rooms_service=self.service,  # type: ignore[arg-type]
            rooms=self.rooms,
            room_list=self.room_list,
            conversation=conversation,
            presence=presence,
            view=view,
            screen=self.screen,
            me=lambda: self.me,
            origin=None,
            background=lambda work: None,
        )

    def ignore(self, _topic: str, _event: Any) -> None:
        return None

    def record_presence(self, room: str, user_name: str, *, joined: bool) -> None:
        self.presence_calls.append((room, user_name, joined))


async def test_the_new_room_field_refuses_before_anyone_joined() -> None:
    harness = Harness(me=None)
    await harness.navigation.new_room(Submit("dev"))
    assert harness.room_list.new_room_input.error == JOIN_FIRST
    assert harness.service.asked == []


async def test_enter_pressed_twice_in_the_new_room_field_asks_once() -> None:
    harness = Harness(me="Alice")
    first = asyncio.create_task(harness.navigation.new_room(Submit("dev")))
    await harness.service.called.wait()
    await harness.navigation.new_room(Submit("dev"))  # returns at once
    harness.service.gate.set()
    await first
    assert harness.service.asked == ["dev"]
    assert harness.room_list.new_room_input.error == TAKEN


async def test_memberships_of_this_user_change_the_room_list_others_the_member_list() -> None:
    harness = Harness(me="Alice")
    dev = Room("dev", RoomKind.PUBLIC)
    assert harness.navigation.membership_changed(MembershipChanged(dev, "ALICE", joined=True))
    assert harness.rooms.is_in("dev")
    assert not harness.navigation.membership_changed(MembershipChanged(dev, "Bob", joined=True))
    assert harness.presence_calls == [("dev", "Bob", True)]
    assert harness.navigation.membership_changed(MembershipChanged(dev, "alice", joined=False))
    assert not harness.rooms.is_in("dev")
