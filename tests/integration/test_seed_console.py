"""The second seed's console client, unchanged, against our server.

`SeedConsole` is the seed's `ConsoleApp` without Kivy: the same python-socketio `Client`, the
same calls in the same order (connect to the server's URL, `on("server_answer")`, emit
`chat_user_input` with the typed string). Its history list stands in for the chat widget.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import socketio

from tests.integration.conftest import Connect
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


class SeedConsole:
    def __init__(self, url: str) -> None:
        self.url = url
        self.history: list[tuple[str, str]] = []  # (type, text) as AddMessageToChatHistory got
        self.answered = threading.Condition()

    # -- the seed's ConsoleApp, line for line where it talks to the server ------------------
    def on_start(self) -> None:
        self.sio = socketio.Client()
        self.sio.connect(self.url)
        self.sio.on("server_answer", self.server_answer)

    def on_stop(self) -> None:
        self.sio.disconnect()

    def chat_input_callback(self, message: str) -> bool:
        self.history.append(("question", message))
        self.sio.emit("chat_user_input", message)
        return False

    def server_answer(self, message: str) -> None:
        with self.answered:
            self.history.append(("answer", message))
            self.answered.notify_all()

    # -- test helpers ---------------------------------------------------------------------------
    def wait_for_answer(self, text: str, timeout: float = 10) -> None:
        with self.answered:
            if not self.answered.wait_for(lambda: ("answer", text) in self.history, timeout):
                raise TimeoutError(f"no server_answer {text!r}; history: {self.history}")


async def test_the_seed_console_works_unchanged(server: ServerProcess, connect: Connect) -> None:
    console = SeedConsole(server.base_url)
    await asyncio.to_thread(console.on_start)
    try:
        async with connect(server) as alice:
            await alice.join("Alice")
            console.chat_input_callback("Hello there!")
            # The seed's exact answer, as a plain string on `server_answer`.
            await asyncio.to_thread(
                console.wait_for_answer, "This is my answer to your question: Hello there!"
            )
            # The text is in #general under a console guest's name, for browser users to see.
            row = await alice.wait_for(
                lambda: next((r for r in alice.message_rows() if "Hello there!" in r), None),
                what="the console's message",
            )
            assert "console-guest-" in row
            # And the console hears the room: Alice's reply arrives as a server_answer line.
            await alice.send("hi console")
            await asyncio.to_thread(console.wait_for_answer, "Alice: hi console")
    finally:
        await asyncio.to_thread(console.on_stop)
    assert all(kind in ("question", "answer") for kind, _ in console.history)
    # Its own words come back only as the seed's answer, never echoed as a room line.
    assert not any(text.startswith("console-guest-") for _, text in console.history)
