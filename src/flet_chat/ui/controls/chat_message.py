"""Rows of the message list: ChatMessage for what users, bots and integrations say (the latter two
with a badge, indented and coloured like the seed console's answers), ActionMessage for `/me`,
NoticeMessage for join, leave and topic notices."""

from __future__ import annotations

import flet as ft

from flet_chat.core.avatar import avatar_color, initials
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.ui.theme import BOT_COLOR, NOTICE_COLOR

BADGES = {AuthorKind.BOT: "BOT", AuthorKind.INTEGRATION: "APP"}
# The seed console showed answers indented ("     >>>>> ") and in blue.
BOT_INDENT = 24


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
        header: list[ft.Control] = [ft.Text(message.user_name, weight=ft.FontWeight.BOLD)]
        body = ft.Text(message.text)
        badge = BADGES.get(message.author_kind)
        if badge is not None:
            header.append(_badge(badge))
            body = ft.Text(message.text, color=BOT_COLOR)
        header.append(ft.Text(format_time(message), size=11, color=NOTICE_COLOR))
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
                        ft.Row(spacing=8, controls=header),
                        body
                        if badge is None
                        else ft.Container(body, padding=ft.Padding.only(left=BOT_INDENT)),
                    ],
                ),
            ],
        )


def _badge(label: str) -> ft.Control:
    return ft.Container(
        ft.Text(label, size=10, weight=ft.FontWeight.BOLD, color=ft.Colors.ON_PRIMARY),
        bgcolor=BOT_COLOR,
        border_radius=4,
        padding=ft.Padding.symmetric(horizontal=4, vertical=1),
    )


class ActionMessage(SharedRow, ft.Text):
    """`/me waves` reads "* Alice waves", in italics, as in IRC."""

    walk_once = True

    def __init__(self, message: Message) -> None:
        super().__init__(
            f"* {message.user_name} {message.text}  {format_time(message)}",
            key=f"msg-{message.id}",
            italic=True,
        )


class NoticeMessage(SharedRow, ft.Text):
    """Join, leave and topic notices: italic, small and muted, so they read apart from chat."""

    walk_once = True

    def __init__(self, message: Message) -> None:
        super().__init__(
            f"{notice_text(message)}  {format_time(message)}",
            key=f"msg-{message.id}",
            italic=True,
            size=12,
            color=NOTICE_COLOR,
        )


def notice_text(message: Message) -> str:
    if message.kind is MessageKind.TOPIC:
        return f"{message.user_name} set the topic: {message.text}"
    return message.text


def message_row(message: Message) -> ft.Control:
    if message.kind is MessageKind.CHAT:
        return ChatMessage(message)
    if message.kind is MessageKind.ACTION:
        return ActionMessage(message)
    return NoticeMessage(message)
