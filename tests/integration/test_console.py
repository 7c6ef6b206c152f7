"""`flet-chat console` driven through a pseudo-terminal, beside a browser user."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import pytest

from flet_chat.core.accounts.service import SIGNED_OUT
from tests.integration.conftest import Connect, has_row
from tests.support.accounts import account_service
from tests.support.server import ServerProcess
from tests.support.sio import sio_client
from tests.support.tcp_proxy import TcpProxy
from tests.support.terminal import Terminal

pytestmark = pytest.mark.integration

# The console prints a prompt under each line it shows; input() prints its own once readline has
# the terminal. Keys typed before that can be lost (readline takes the terminal over), so, like a
# person, the tests wait for the prompt.
READY = r"Ctrl-D leaves\.\n> > "


@asynccontextmanager
async def console(
    server: ServerProcess,
    name: str | None = None,
    *,
    args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    url: str | None = None,
) -> AsyncIterator[Terminal]:
    url = url or server.base_url
    argv = [sys.executable, "-m", "flet_chat", "console", "--url", url, *args]
    terminal = Terminal([*argv, *(("--name", name) if name else ())], env=env)
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


async def test_ctrl_d_typed_while_a_line_is_being_sent_still_leaves(
    server: ServerProcess,
) -> None:
    """Ctrl-D pressed while the last line waits for the server's answer used to be turned into
    a NUL by the terminal, and the console stayed open."""
    proxy = await TcpProxy("127.0.0.1", server.port).start()
    try:
        async with sio_client(server) as alice:
            await alice.join("Alice")
            async with console(server, "Gus", url=f"http://127.0.0.1:{proxy.port}") as gus:
                await gus.expect(READY)
                proxy.hold_replies()  # the line's acknowledgement waits in the network
                gus.type("sent on a slow line\r")
                await alice.wait_for(
                    lambda: any(
                        m["text"] == "sent on a slow line" for m in alice.received("message")
                    ),
                    what="Gus's line at the server",
                )
                gus.type("\x04")  # the console is still waiting for the acknowledgement
                proxy.release_replies()
                assert await gus.wait_exit(timeout=15) == 0
                await gus.expect(r"Bye\.")
    finally:
        proxy.release_replies()
        await proxy.cut()


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


async def test_console_signs_in_with_an_access_token_until_it_is_revoked(
    server: ServerProcess,
) -> None:
    password = "correct horse battery"
    async with sio_client(server) as bob, sio_client(server) as other:
        assert (await bob.join("Bob"))["ok"]
        assert (await other.sign_up("Alice", password))["ok"]
        # Made in the profile: here through the same account service, on the same database.
        async with account_service(server.data_dir) as accounts:
            signed = await accounts.sign_in("Alice", password)
            auth = await accounts.authenticate(signed.token)
            assert auth is not None
            made = await accounts.create_access_token(auth, "terminal")
            async with console(server, env={"FLET_CHAT_TOKEN": made.token}) as alice:
                await alice.expect(r"Joined #general as Alice\.")
                await alice.expect(READY)
                alice.type("typed with a token\r")
                said = await bob.wait_for(
                    lambda: next(
                        (m for m in bob.received("message") if m["text"] == "typed with a token"),
                        None,
                    ),
                    what="Alice's line",
                )
                assert said["user_name"] == "Alice"
                # A token is not signed out over the API: it is revoked in the profile.
                assert (await other.join_with(made.token))["ok"]
                refused = await other.call("sign_out", {})
                assert refused["error"]["code"] == "invalid"
                assert "revoke it in your profile" in refused["error"]["message"]

                assert await accounts.revoke_access_token(auth, made.session_id)
                revoked = time.monotonic()
                # No event reaches the server from here: its check of the store (every 4 s).
                await alice.expect(SIGNED_OUT.replace(".", r"\."), timeout=10)
                print(f"console signed out {time.monotonic() - revoked:.1f} s after the revoke")
                assert await alice.wait_exit() == 1
                await alice.expect(r"Bye\.")
                assert "Traceback" not in alice.screen
        # Both connections of the token left: Alice is offline, and the token is dead.
        await bob.wait_for(
            lambda: (
                [p["online"] for p in bob.received("presence") if p["user_name"] == "Alice"][-1:]
                == [False]
            ),
            what="Alice offline",
        )
        await other.wait_for(lambda: other.received("signed_out"), what="signed_out")
        assert (await other.send("still here?"))["error"]["code"] == "unauthorized"
    async with console(server, args=("--token", made.token)) as again:
        await again.expect(r"Could not join: The token is not valid\.")
        assert await again.wait_exit() == 1


def test_console_needs_a_name_or_a_token(server: ServerProcess) -> None:
    argv = [sys.executable, "-m", "flet_chat", "console", "--url", server.base_url]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 2
    assert "give --token (or FLET_CHAT_TOKEN)" in done.stderr
