"""Rows of the message list: ChatMessage for what users say, NoticeMessage for join/leave."""

from __future__ import annotations

import flet as ft

from flet_chat.core.avatar import avatar_color, initials
from flet_chat.core.models import Message, MessageKind
from flet_chat.ui.theme import NOTICE_COLOR


class SharedRow:
    """Mixin for rows shared by every session (see ui/row_cache.py).

    Isolated: a list update does not walk into a row, which never changes. Identity equality:
    Flet's diff compares parents with `!=`, which for a dataclass compares every field; a row is
    only ever equal to itself.
    """

    def is_isolated(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def format_time(message: Message) -> str:
    return message.created_at.strftime("%H:%M UTC")


class ChatMessage(SharedRow, ft.Row):
    """Avatar with initials, bold name, time and the text, as in the tutorial."""

    walk_once = True  # it never changes: Flet's diff need not re-walk it (see flet_compat)

    def __init__(self, message: Message) -> None:
        super().__init__(
            vertical_alignment=ft.CrossAxisAlignment.START,
            key=f"msg-{message.id}",
            controls=[
                ft.CircleAvatar(
                    content=ft.Text(initials(message.user_name)),
                    color=ft.Colors.WHITE,
                    bgcolor=avatar_color(message.user_name),
                ),
                ft.Column(
                    tight=True,
                    spacing=2,
                    expand=True,
                    controls=[
                        ft.Row(
                            spacing=8,
                            controls=[
                                ft.Text(message.user_name, weight=ft.FontWeight.BOLD),
                                ft.Text(format_time(message), size=11, color=NOTICE_COLOR),
                            ],
                        ),
                        ft.Text(message.text),
                    ],
                ),
            ],
        )


class NoticeMessage(SharedRow, ft.Text):
    """Join and leave notices: italic, small and muted, so they read apart from chat."""

    walk_once = True

    def __init__(self, message: Message) -> None:
        super().__init__(
            f"{message.text}  {format_time(message)}",
            key=f"msg-{message.id}",
            italic=True,
            size=12,
            color=NOTICE_COLOR,
        )


def message_row(message: Message) -> ft.Control:
    if message.kind is MessageKind.CHAT:
        return ChatMessage(message)
    return NoticeMessage(message)
