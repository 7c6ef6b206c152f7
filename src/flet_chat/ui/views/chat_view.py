"""The chat screen: bordered message list, "load older"/"jump to newest", composer and send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.models import Message
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.theme import BORDER_COLOR

Handler = Callable[[Any], Awaitable[None]]


class ChatView:
    def __init__(
        self, *, on_send: Handler, on_load_older: Handler, on_jump_to_newest: Handler
    ) -> None:
        self.message_list = ft.ListView(
            key=keys.MESSAGE_LIST, expand=True, spacing=10, auto_scroll=True
        )
        self.load_older_button = ft.TextButton(
            content="Load older messages", key=keys.LOAD_OLDER_BUTTON, on_click=on_load_older
        )
        self.jump_button = ft.TextButton(
            content="Jump to newest messages",
            key=keys.JUMP_TO_NEWEST_BUTTON,
            visible=False,
            on_click=on_jump_to_newest,
        )
        self.message_input = ft.TextField(
            key=keys.MESSAGE_INPUT,
            label="Message",
            hint_text="Write a message...",
            autofocus=True,
            shift_enter=True,
            multiline=True,
            min_lines=1,
            max_lines=5,
            filled=True,
            expand=True,
            on_submit=on_send,
        )
        self.send_button = ft.IconButton(
            key=keys.SEND_BUTTON,
            icon=ft.Icons.SEND_ROUNDED,
            tooltip="Send message",
            on_click=on_send,
        )
        self._rows: dict[int, ft.Control] = {}

    def layout(self) -> list[ft.Control]:
        return [
            ft.Container(
                content=self.message_list,
                border=ft.Border.all(1, BORDER_COLOR),
                border_radius=5,
                padding=10,
                expand=True,
            ),
            ft.Row([self.jump_button], alignment=ft.MainAxisAlignment.CENTER),
            ft.Row(
                [
                    self.message_input,
                    ft.Semantics(label="Send message", button=True, content=self.send_button),
                ]
            ),
        ]

    def render(self, window: MessageWindow) -> None:
        """Show the window's messages, reusing row controls so Flet sends small diffs."""
        rows = {m.id: self._row(m) for m in window.messages}
        self._rows = rows
        head: list[ft.Control] = [self.load_older_button] if window.has_older else []
        self.message_list.controls = head + list(rows.values())
        self.jump_button.visible = not (window.at_live_edge and self.message_list.auto_scroll)

    def _row(self, message: Message) -> ft.Control:
        row = self._rows.get(message.id)
        return row if row is not None else message_row(message)

    def show_composer_error(self, message: str | None) -> None:
        self.message_input.error = message
