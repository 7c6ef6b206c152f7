"""Fakes for the parts of a Flet session (ui/session/): a Screen that records what would reach
the browser, and a real ChatView, which needs no page until something is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flet as ft

from flet_chat.core.models import Message, MessageKind
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.member_list import MemberRowCache
from flet_chat.ui.views.message_list import Update
from flet_chat.ui.views.room_list import RoomList


class FakeScreen:
    def __init__(self) -> None:
        self.refreshed: list[ft.Control] = []
        self.sent: list[list[Update]] = []
        self.focused: list[ft.TextField] = []
        self.dialogs: list[ft.DialogControl] = []
        self.popped = 0
        self.closed: list[ft.DialogControl] = []
        self.titles: list[str] = []

    def refresh(self, *controls: ft.Control) -> None:
        self.refreshed.extend(controls)

    def send(self, updates: list[Update]) -> None:
        self.sent.append(updates)

    async def focus(self, field: ft.TextField) -> None:
        self.focused.append(field)

    async def reconnected(self) -> None:
        pass  # no page: no dialog left closing

    def set_title(self, title: str) -> None:
        self.titles.append(title)

    def show_dialog(self, dialog: ft.DialogControl) -> None:
        self.dialogs.append(dialog)

    def pop_dialog(self) -> None:
        self.popped += 1

    def close_dialog(self, dialog: ft.DialogControl) -> None:
        self.closed.append(dialog)

    async def show_drawer(self) -> None:
        return None

    async def close_drawer(self) -> None:
        return None


async def nothing(_event: Any) -> None:
    return None


async def open_nothing(_key: str) -> None:
    return None


def make_view() -> ChatView:
    return ChatView(
        RowCache(),
        on_send=nothing,
        on_jump_to_newest=nothing,
        member_rows=MemberRowCache(),
        on_typing=nothing,
        on_toggle_members=nothing,
        room_list=RoomList(on_open=open_nothing, on_join=open_nothing, on_new_room=nothing),
        on_show_rooms=nothing,
        on_leave_room=nothing,
    )


def message(i: int, room: str = "general", kind: MessageKind = MessageKind.CHAT) -> Message:
    return Message(i, kind, "Bob", f"m{i}", datetime(2026, 1, 1, tzinfo=UTC), room=room)


class Submit:
    """What a Flet session sends through, as an event: the text as it was on Enter."""

    def __init__(self, data: str) -> None:
        self.data = data
