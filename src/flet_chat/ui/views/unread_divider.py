"""The "New messages" line above the first message the user had not read when the room opened.

One per session (made the first time a room opens with unread messages), placed by MessageList
between two chunks of rows, so no shared row or chunk changes for it."""

from __future__ import annotations

import flet as ft

from flet_chat.ui import keys

NEW_MESSAGES = "New messages"
DIVIDER_COLOR = ft.Colors.ERROR  # as most chats draw it: it should catch the eye


def unread_divider() -> ft.Control:
    line = ft.Container(height=1, bgcolor=DIVIDER_COLOR, expand=True)
    return ft.Row(
        [
            line,
            ft.Text(NEW_MESSAGES, size=12, color=DIVIDER_COLOR, weight=ft.FontWeight.BOLD),
            ft.Container(height=1, bgcolor=DIVIDER_COLOR, expand=True),
        ],
        key=keys.UNREAD_DIVIDER,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
