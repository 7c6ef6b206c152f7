"""The chat screen: bordered message list, "load older"/"jump to newest", composer and send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.ui import keys
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.theme import BORDER_COLOR
from flet_chat.ui.views.message_list import MessageList

Handler = Callable[[Any], Awaitable[None]]


async def _keep_focus(_event: Any) -> None:
    """Flutter's default for a tap outside a text field is to unfocus it; clicking the send
    button then left the composer without focus, and focus() from the server did not bring it
    back. Any handler replaces that default, so the composer keeps focus, as in a chat app."""


class ChatView:
    def __init__(
        self,
        rows: RowCache,
        *,
        on_send: Handler,
        on_load_older: Handler,
        on_jump_to_newest: Handler,
    ) -> None:
        self.load_older_button = ft.TextButton(
            content="Load older messages", key=keys.LOAD_OLDER_BUTTON, on_click=on_load_older
        )
        self.messages = MessageList(rows, head=self.load_older_button)
        self.message_list = self.messages.list_view
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
            helper_max_lines=12,  # a bot's private hint (/help) spans several lines
            filled=True,
            expand=True,
            on_submit=on_send,
            on_tap_outside=_keep_focus,
        )
        # The icon's semantics label names the focusable button itself. A Semantics wrapper only
        # labelled an outer node and left the real (tappable) button nameless in the a11y tree.
        self.send_button = ft.IconButton(
            key=keys.SEND_BUTTON,
            icon=ft.Icon(ft.Icons.SEND_ROUNDED, semantics_label="Send message"),
            tooltip="Send message",
            on_click=on_send,
        )

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
            ft.Row([self.message_input, self.send_button]),
        ]

    def render(self, window: MessageWindow) -> list[ft.Control]:
        """Show the window's messages; returns the controls to update."""
        updates = self.messages.show(window.messages, has_older=window.has_older)
        jump_visible = not (window.at_live_edge and self.message_list.auto_scroll)
        if jump_visible != self.jump_button.visible:
            self.jump_button.visible = jump_visible
            updates.append(self.jump_button)
        return updates

    def show_composer_error(self, message: str | None) -> None:
        self.message_input.error = message
        self.message_input.helper = None

    def show_composer_status(self, message: str | None) -> None:
        """A neutral note under the composer (a send being retried), not an error."""
        self.message_input.helper = message
        self.message_input.error = None
