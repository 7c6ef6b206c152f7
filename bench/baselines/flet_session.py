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

With `--patched` (the benchmark's `flet-patched` target) the same app is served as our server
serves a session (src/flet_chat/server.py): with our changes to Flet's own code
(`flet_chat.flet_patches`), our `LeakSafeFletApp` (our encoder and socket writes) on the socket
routed past FastAPI, uvicorn's leaner waits, our logging, and the start-up objects frozen out
of the collector's way. What a join costs a Flet app that does nothing else, served as ours.
Not in it: what our sessions themselves do, such as the collector's thresholds that follow
the number of sessions (memory.py).

`FLET_SESSION_EXTRA_CONTROLS=N` in its environment (the benchmark's servers inherit it) puts N
more controls on its page, a column of N - 1 texts: what N more controls cost a join, the app
otherwise the same (`bench/changes.md`, "eleventh session").

Run: `python -m bench.baselines.flet_session --port 8552 [--patched]`.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import flet as ft

KEEP_ROWS = 50
EXTRA_CONTROLS = "FLET_SESSION_EXTRA_CONTROLS"


def extra_controls(count: int) -> list[ft.Control]:
    """`count` controls for the page: a column of `count - 1` texts (none for 0)."""
    if count <= 0:
        return []
    return [ft.Column([ft.Text(f"line {n}") for n in range(count - 1)], tight=True)]


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
    extra = extra_controls(int(os.environ.get(EXTRA_CONTROLS, "0")))
    page.add(ft.Container(content=chat, expand=True), ft.Row([composer]), *extra)


def create_app(*, patched: bool = False) -> Any:
    import flet_web.fastapi as flet_fastapi

    timeout = int(os.environ.get("FLET_SESSION_TIMEOUT", "3600"))
    app = flet_fastapi.app(main, no_cdn=True, session_timeout_seconds=timeout)
    return _served_as_ours(app, timeout) if patched else app


def _served_as_ours(app: Any, timeout: int) -> Any:
    """`app` with its Flet socket served as our server serves it (see the module's docstring);
    Flet's app answers everything else."""
    import gc

    from fastapi import WebSocket

    from flet_chat.flet_patches import install_flet_patches
    from flet_chat.logs import configure_logging
    from flet_chat.server import flet_app_maker, flet_socket_first, install_lean_socket_waits

    configure_logging()
    install_lean_socket_waits()
    install_flet_patches()
    flet_app = flet_app_maker(main, timeout)

    async def flet_websocket(websocket: WebSocket) -> None:
        await flet_app().handle(websocket)

    gc.freeze()  # as memory.tune_garbage_collector once our server has started
    return flet_socket_first(app, flet_websocket)


def run(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="the least a Flet chat session costs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8552)
    parser.add_argument(
        "--patched", action="store_true", help="served as Flet Chat's server serves a session"
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
