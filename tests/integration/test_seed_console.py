"""The second seed's console client, unchanged, against our server.

`SeedConsole` is the seed's `ConsoleApp` without Kivy: the same python-socketio `Client`, the
same calls in the same order (connect to the server's URL, `on("server_answer")`, emit
`chat_user_input` with the typed string). Its history list stands in for the chat widget.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
import socketio

from flet_chat.core.accounts.service import SIGNED_OUT
from tests.integration.conftest import Connect
from tests.support.accounts import end_sessions_in_store
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

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
        self.wait_for(lambda: ("answer", text) in self.history, timeout, what=repr(text))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
        with self.answered:
            if not self.answered.wait_for(predicate, timeout):
                raise TimeoutError(f"no server_answer {what}; history: {self.history}")


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


async def test_a_seed_console_whose_guest_session_ends_is_told_and_leaves(
    server: ServerProcess,
) -> None:
    console = SeedConsole(server.base_url)
    async with sio_client(server) as alice:
        assert (await alice.join("Alice"))["ok"]
        await asyncio.to_thread(console.on_start)
        try:
            console.chat_input_callback("Hello there!")
            await asyncio.to_thread(
                console.wait_for_answer, "This is my answer to your question: Hello there!"
            )
            guest = await alice.wait_for(
                lambda: next(
                    (
                        m["user_name"]
                        for m in alice.received("message")
                        if m["text"] == "Hello there!"
                    ),
                    None,
                ),
                what="the console's message",
            )
            # Ended in the store alone, as an expiry: the server's check of the store finds it.
            assert await end_sessions_in_store(server.data_dir, guest)
            await asyncio.to_thread(console.wait_for_answer, SIGNED_OUT, 10)
            await alice.wait_for(
                lambda: (
                    [p["online"] for p in alice.received("presence") if p["user_name"] == guest][
                        -1:
                    ]
                    == [False]
                ),
                what="the console's guest offline",
            )
            # It hears the room no more: Alice's line, then one more of its own (answered after
            # anything the server sent it before, on the same connection).
            await alice.send("only people who are here hear this")
            await alice.wait_for(lambda: "only people who are here hear this" in alice.texts())
            # And it is not let back in as a new guest behind the user's back.
            console.chat_input_callback("Anyone?")
            await asyncio.to_thread(
                console.wait_for, lambda: console.history.count(("answer", SIGNED_OUT)) == 2
            )
        finally:
            await asyncio.to_thread(console.on_stop)
    assert "Anyone?" not in alice.texts()
    assert ("answer", "Alice: only people who are here hear this") not in console.history
