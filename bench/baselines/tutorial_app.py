"""The Flet chat tutorial's final app (examples/tutorials/chat/main.py), ported to Flet 1.0.

This is the anchor users compare Flet Chat with, so it is kept as the tutorial writes it: an
in-memory chat, *sync* handlers, a sync pubsub handler that appends a row and calls
`page.update()`, an unbounded ListView. Only what Flet 1.0 renamed or removed is changed:

- `ft.ElevatedButton(...)` -> `ft.Button(content=...)`; `ft.border.all` -> `ft.Border.all`;
  `TextField.error_text` -> `TextField.error`; `ft.Colors.BLACK45` -> `ft.Colors.BLACK_45`;
- `page.session.set/get` -> `page.session.store.set/get`;
- the dialog is opened with `page.show_dialog(...)` instead of `open=True` in `page.overlay`;
- `TextField.focus()` is a coroutine in 1.0, so the sync handler schedules it with
  `page.run_task(new_message.focus)`.

BENCHMARK ADDITION (not in the tutorial): stable control `key`s `name_input`, `join_button`,
`message_input`, `send_button` and `message_list`, so the headless load client can find the
controls (control ids differ per session). Keys change nothing the server does per message.
The tutorial's code is left untyped on purpose, as the tutorial writes it.

Served like a deployed tutorial app: `flet_web.fastapi.app(main, no_cdn=True)` under uvicorn.
Run: `python -m bench.baselines.tutorial_app --port 8551`.
"""

from __future__ import annotations

import argparse
import os

import flet as ft


class Message:
    def __init__(self, user_name: str, text: str, message_type: str):
        self.user_name = user_name
        self.text = text
        self.message_type = message_type


class ChatMessage(ft.Row):
    def __init__(self, message: Message):
        super().__init__()
        self.vertical_alignment = ft.CrossAxisAlignment.START
        self.controls = [
            ft.CircleAvatar(
                content=ft.Text(self.get_initials(message.user_name)),
                color=ft.Colors.WHITE,
                bgcolor=self.get_avatar_color(message.user_name),
            ),
            ft.Column(
                tight=True,
                spacing=5,
                controls=[
                    ft.Text(message.user_name, weight=ft.FontWeight.BOLD),
                    ft.Text(message.text, selectable=True),
                ],
            ),
        ]

    def get_initials(self, user_name: str):
        if user_name:
            return user_name[:1].capitalize()
        else:
            return "Unknown"  # or any default value you prefer

    def get_avatar_color(self, user_name: str):
        colors_lookup = [
            ft.Colors.AMBER,
            ft.Colors.BLUE,
            ft.Colors.BROWN,
            ft.Colors.CYAN,
            ft.Colors.GREEN,
            ft.Colors.INDIGO,
            ft.Colors.LIME,
            ft.Colors.ORANGE,
            ft.Colors.PINK,
            ft.Colors.PURPLE,
            ft.Colors.RED,
            ft.Colors.TEAL,
            ft.Colors.YELLOW,
        ]
        return colors_lookup[hash(user_name) % len(colors_lookup)]


def main(page: ft.Page):
    page.horizontal_alignment = ft.CrossAxisAlignment.STRETCH
    page.title = "Flet Chat"

    def join_chat_click(e):
        if not join_user_name.value:
            join_user_name.error = "Name cannot be blank!"
            join_user_name.update()
        else:
            page.session.store.set("user_name", join_user_name.value)
            welcome_dlg.open = False
            new_message.prefix = ft.Text(f"{join_user_name.value}: ")
            page.pubsub.send_all(
                Message(
                    user_name=join_user_name.value,
                    text=f"{join_user_name.value} has joined the chat.",
                    message_type="login_message",
                )
            )
            page.update()

    def send_message_click(e):
        if new_message.value != "":
            page.pubsub.send_all(
                Message(
                    page.session.store.get("user_name"),
                    new_message.value,
                    message_type="chat_message",
                )
            )
            new_message.value = ""
            page.run_task(new_message.focus)
            page.update()

    def on_message(message: Message):
        if message.message_type == "chat_message":
            m = ChatMessage(message)
        elif message.message_type == "login_message":
            m = ft.Text(message.text, italic=True, color=ft.Colors.BLACK_45, size=12)
        chat.controls.append(m)
        page.update()

    page.pubsub.subscribe(on_message)

    # A dialog asking for a user display name
    join_user_name = ft.TextField(
        key="name_input",
        label="Enter your name to join the chat",
        autofocus=True,
        on_submit=join_chat_click,
    )
    welcome_dlg = ft.AlertDialog(
        modal=True,
        title=ft.Text("Welcome!"),
        content=ft.Column([join_user_name], width=300, height=70, tight=True),
        actions=[ft.Button(content="Join chat", key="join_button", on_click=join_chat_click)],
        actions_alignment=ft.MainAxisAlignment.END,
    )

    page.show_dialog(welcome_dlg)

    # Chat messages
    chat = ft.ListView(
        key="message_list",
        expand=True,
        spacing=10,
        auto_scroll=True,
    )

    # A new message entry form
    new_message = ft.TextField(
        key="message_input",
        hint_text="Write a message...",
        autofocus=True,
        shift_enter=True,
        min_lines=1,
        max_lines=5,
        filled=True,
        expand=True,
        on_submit=send_message_click,
    )

    # Add everything to the page
    page.add(
        ft.Container(
            content=chat,
            border=ft.Border.all(1, ft.Colors.OUTLINE),
            border_radius=5,
            padding=10,
            expand=True,
        ),
        ft.Row(
            controls=[
                new_message,
                ft.IconButton(
                    key="send_button",
                    icon=ft.Icons.SEND_ROUNDED,
                    tooltip="Send message",
                    on_click=send_message_click,
                ),
            ]
        ),
    )


def create_app():
    import flet_web.fastapi as flet_fastapi

    return flet_fastapi.app(
        main,
        no_cdn=True,
        session_timeout_seconds=int(os.environ.get("FLET_SESSION_TIMEOUT", "3600")),
    )


def run(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="the Flet chat tutorial app, for benchmarks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8551)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    run()
