"""The modal "Welcome!" dialog that asks for a name before anyone can post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.limits import MAX_NAME_LENGTH
from flet_chat.ui import keys

Handler = Callable[[Any], Awaitable[None]]


class JoinDialog:
    def __init__(self, *, on_join: Handler) -> None:
        self.name_input = ft.TextField(
            key=keys.NAME_INPUT,
            label="Enter your name",
            autofocus=True,
            helper=f"1 to {MAX_NAME_LENGTH} characters",
            on_submit=on_join,
        )
        self.join_button = ft.Button(content="Join chat", key=keys.JOIN_BUTTON, on_click=on_join)
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Welcome!"),
            content=ft.Column([self.name_input], tight=True, width=320),
            actions=[self.join_button],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    def show_error(self, message: str) -> None:
        self.name_input.error = message
        self.name_input.update()
