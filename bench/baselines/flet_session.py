"""The least a Flet chat session costs: the floor of a join for an app built on Flet 1.0.5.

What every session of a Flet chat must do, and nothing more: register, get a small page (a
message list and a composer), be shown a name dialog, have the name's submit close it, and be
sent the messages broadcast to everyone. Unlike the tutorial (bench/baselines/tutorial_app.py):

- no join notice for everyone, so a crowd joining costs each join, not each join times the
  sessions already in (the tutorial's is quadratic, which is the tutorial's cost, not Flet's);
- the list keeps the last `KEEP_ROWS` messages, and a message updates only the list;
- the name's and the composer's handlers are async, as ours are. The pub/sub handler is
  sync, as the tutorial's: Flet runs each call on its thread pool, and the frames it makes
  go back to the event loop from there.

No history, no accounts, no storage, no presence: a join here is Flet's session machinery (the
websocket, the session, the page's first diff and encoding, the dialog shown and closed), and a
message is Flet's diff of one list per session. Full runs of the benchmark run it beside ours,
so a join's server CPU and a message's latency have a Flet floor in the same run.
Keys are those the load client drives (`name_input`, `message_input`).

With `--patched` (the benchmark's `flet-patched` target) it runs with Flet Chat's changes to
Flet's own code installed (`flet_chat.flet_patches`, as `build_main` installs them): what a join
costs a Flet app that does nothing else on the same Flet as ours. Its socket layer stays
uvicorn's and Flet's (ours also routes the socket past FastAPI and gives uvicorn leaner waits:
src/flet_chat/server.py), so the column is a floor for Flet's work, not for the sockets'.

Run: `python -m bench.baselines.flet_session --port 8552 [--patched]`.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import flet as ft

KEEP_ROWS = 50


def main(page: ft.Page) -> None:
    page.title = "Flet session floor"
    chat = ft.ListView(key="message_list", expand=True, spacing=10, auto_scroll=True)
    name = ft.TextField(key="name_input", label="Your name", autofocus=True)
    composer = ft.TextField(
        key="message_input", hint_text="Write a message...", filled=True, expand=True
    )
    dialog = ft.AlertDialog(
        modal=True, title=ft.Text("Welcome!"), content=ft.Column([name], tight=True)
    )

    async def joined(_event: Any) -> None:
        if not name.value:
            name.error = "Enter your name."
            name.update()
            return
        dialog.open = False
        dialog.update()

    async def send(_event: Any) -> None:
        if name.value and composer.value:
            page.pubsub.send_all(f"{name.value}: {composer.value}")
            composer.value = ""
            composer.update()

    def show(text: str) -> None:
        chat.controls.append(ft.Text(text))
        del chat.controls[:-KEEP_ROWS]
        chat.update()

    name.on_submit = joined
    composer.on_submit = send
    page.pubsub.subscribe(show)
    page.show_dialog(dialog)
    page.add(ft.Container(content=chat, expand=True), ft.Row([composer]))


def create_app(*, patched: bool = False) -> Any:
    import flet_web.fastapi as flet_fastapi

    if patched:
        from flet_chat.flet_patches import install_flet_patches

        install_flet_patches()

    return flet_fastapi.app(
        main,
        no_cdn=True,
        session_timeout_seconds=int(os.environ.get("FLET_SESSION_TIMEOUT", "3600")),
    )


def run(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="the least a Flet chat session costs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8552)
    parser.add_argument(
        "--patched", action="store_true", help="with Flet Chat's changes to Flet installed"
    )
    args = parser.parse_args(argv)
    # Served as ours is (src/flet_chat/__main__.py): no per-message compression.
    uvicorn.run(
        create_app(patched=args.patched),
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=False,
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    run()
