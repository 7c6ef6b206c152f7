"""`flet-chat console` driven through a pseudo-terminal, beside a browser user."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess
from tests.support.sio import sio_client
from tests.support.terminal import Terminal

pytestmark = pytest.mark.integration

# The console prints a prompt under each line it shows; input() prints its own once readline has
# the terminal. Keys typed before that can be lost (readline takes the terminal over), so, like a
# person, the tests wait for the prompt.
READY = r"Ctrl-D leaves\.\n> > "


@asynccontextmanager
async def console(server: ServerProcess, name: str) -> AsyncIterator[Terminal]:
    argv = [sys.executable, "-m", "flet_chat", "console", "--url", server.base_url]
    terminal = Terminal([*argv, "--name", name])
    try:
        yield terminal
    finally:
        terminal.close()


async def test_console_chats_with_a_browser_user(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.send("said before the console came")
        async with console(server, "Carol") as carol:
            # History on join, then a line saying how to use it.
            await carol.expect(r"Alice: said before the console came")
            await carol.expect(r"Joined #general as Carol")
            await carol.expect(READY)
            await alice.wait_for(lambda: has_row(alice, "Carol has joined the chat."))

            await alice.send("hello Carol")
            await carol.expect(r"\[\d\d:\d\d\] Alice: hello Carol")

            carol.type("hi from the terminal\r")
            await alice.wait_for(
                lambda: has_row(alice, "Carol | "), what="Carol's message in the browser"
            )
            assert has_row(alice, "hi from the terminal")

            carol.type("/ask are you there?\r")
            await carol.expect(r"Helper \[BOT\]\n\s+>>>>> This is my answer to your question")

            carol.type("\x04")  # Ctrl-D on an empty line
            assert await carol.wait_exit() == 0
            await carol.expect(r"Bye\.")
        await alice.wait_for(
            lambda: has_row(alice, "Carol has left the chat."), what="leave", timeout=20
        )


async def test_ctrl_c_leaves_cleanly(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        async with console(server, "Dave") as dave:
            await dave.expect(READY)
            dave.type("half a line")
            dave.type("\x03")  # Ctrl-C
            assert await dave.wait_exit() == 0
            await dave.expect(r"Bye\.")
            assert "Traceback" not in dave.screen
        await alice.wait_for(
            lambda: has_row(alice, "Dave has left the chat."), what="leave", timeout=20
        )


async def test_console_switches_rooms_with_join(server: ServerProcess) -> None:
    async with sio_client(server) as alice:
        await alice.join("Alice")
        await alice.call("create_room", {"name": "dev"})
        await alice.send("said in dev", room="dev")
        async with console(server, "Erin") as erin:
            await erin.expect(READY)
            erin.type("/join dev\r")
            await erin.expect(r"Alice: said in dev")
            await erin.expect(r"Now in #dev\.")
            await erin.expect(r"#dev> ")
            erin.type("hello dev\r")
            said = await alice.wait_for(
                lambda: next(
                    (m for m in alice.received("message") if m["text"] == "hello dev"), None
                ),
                what="Erin's line in #dev",
            )
            assert said["room"] == "dev"
            await alice.send("back in general")  # shown with its room: Erin is in #dev now
            await erin.expect(r"\[#general\] \[\d\d:\d\d\] Alice: back in general")
            erin.type("\x04")
            assert await erin.wait_exit() == 0
