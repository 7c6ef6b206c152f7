"""Leaving, reloading and dying clients: what other users see and what the server keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from flet_chat.testing.flet_client import FletClient
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


async def test_leave_notice_when_a_user_really_goes(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env={"FLET_CHAT_LEAVE_GRACE_SECONDS": "0.5"})
    async with connect(server) as alice:
        await alice.join("Alice")
        bob = await FletClient(server.ws_url).connect()
        await bob.join("Bob")
        await bob.close()
        await alice.wait_for(lambda: has_row(alice, "Bob has left the chat."), what="leave notice")
        row = next(r for r in alice.message_rows() if "Bob has left" in r)
        assert "Bob |" not in row  # a notice row, not a chat message


async def test_a_reload_is_not_a_leave(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env={"FLET_CHAT_LEAVE_GRACE_SECONDS": "5"})
    async with connect(server) as alice:
        await alice.join("Alice")
        tab = await FletClient(server.ws_url).connect()
        await tab.join("Bob")
        session_id = tab.session_id
        await tab.close()
        # The browser reloads: same session id, the page comes back already joined.
        async with connect(server, session_id) as reloaded:
            assert reloaded.session_id == session_id
            await reloaded.wait_for(lambda: reloaded.find("message_input"))
            assert not reloaded.dialog_open()
            await reloaded.send("still here")
            await alice.wait_for(lambda: has_row(alice, "still here"))
        assert not has_row(alice, "Bob has left the chat.")
        assert sum("Bob has joined" in r for r in alice.message_rows()) == 1


async def test_clients_killed_mid_broadcast_leave_nothing_behind(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    # Flet sweeps expired sessions every 10 s; a 1 s timeout makes them due at the first sweep.
    server = server_factory(env={"FLET_SESSION_TIMEOUT": "1", "FLET_CHAT_LEAVE_GRACE_SECONDS": "0"})
    async with connect(server) as talker:
        await talker.join("Talker")
        victims = [await FletClient(server.ws_url).connect() for _ in range(10)]
        for victim in victims:
            await victim.wait_for(lambda v=victim: v.find("message_list"))
        assert server.health()["flet_sessions"] == 11
        assert server.health()["pubsub_subscribers"] == 11

        async def talk() -> None:
            for i in range(10):  # within the rate limit's burst
                await talker.send(f"broadcast {i} " + "z" * 3000)
                await talker.wait_for(lambda n=i: has_row(talker, f"broadcast {n} "), timeout=20)

        talking = asyncio.create_task(talk())
        await victims[0].wait_for(lambda: has_row(victims[0], "broadcast 2 "), timeout=20)
        # Half vanish without a close handshake, half close while patches are still queued for
        # them: the second kind is what makes Flet 1.0.5's send loop fail (see flet_compat).
        for victim in victims[:5]:
            victim.abort()
        await asyncio.gather(*(victim.close() for victim in victims[5:]))
        await talking

        health = await asyncio.to_thread(_wait_for_sessions, server, 1)
        assert health["sessions"] == 1
        assert health["pubsub_subscribers"] == 1  # closed sessions unsubscribed


def _wait_for_sessions(
    server: ServerProcess, expected: int, timeout: float = 40
) -> dict[str, object]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = server.health()
        if health["flet_sessions"] == expected:
            return health
        time.sleep(0.5)  # polling the server's own count; the sweep runs on Flet's 10 s timer
    raise AssertionError(f"sessions left behind: {server.health()}")


async def test_a_tab_closed_before_joining_is_freed_at_once(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    # The default session timeout (an hour): only our own rule can free the visitor's tab soon.
    server = server_factory()
    async with connect(server) as bob:
        await bob.join("Bob")
        alice = await FletClient(server.ws_url).connect()
        await alice.join("Alice")
        visitor = await FletClient(server.ws_url).connect()
        await visitor.wait_for(visitor.dialog_open, what="name dialog")
        assert server.health()["flet_sessions"] == 3
        await visitor.close()
        await asyncio.to_thread(_wait_for_sessions, server, 2, 10)
        # A joined user's tab is kept for a reconnect (a reload resumes it), although the
        # member list shows at once that her connection is gone.
        await alice.close()
        await bob.wait_for(lambda: bob.members() == ["Bob"], what="Alice off the list")
        assert server.health()["flet_sessions"] == 3 - 1
