"""The browser keeps a signed identity: new tabs and reconnects to another process are the same
user, and a user is announced once however many sessions they have."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from flet_chat.testing.flet_client import FletClient
from flet_chat.testing.services import (
    REDIS_URL,
    unique_redis_prefix,
)
from flet_chat.web_client.connection_banner import BACK_COOKIE
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

IDENTITY_KEY = "flet_chat.identity"


def count_rows(client: FletClient, fragment: str) -> int:
    return sum(fragment in row for row in client.message_rows())


async def open_tab(server: ServerProcess, storage: dict[str, Any]) -> FletClient:
    return await FletClient(server.ws_url, storage=storage).connect()


async def test_a_new_tab_is_the_same_user_and_tabs_count_once(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env={"FLET_CHAT_LEAVE_GRACE_SECONDS": "0.3"})
    browser: dict[str, Any] = {}
    async with connect(server) as bob:
        await bob.join("Bob")
        first = await open_tab(server, browser)
        await first.join("Alice")
        await first.wait_for(lambda: IDENTITY_KEY in browser, what="identity in client storage")
        assert "Alice" not in browser[IDENTITY_KEY]  # signed and opaque, not the raw name

        second = await open_tab(server, browser)
        await second.wait_for(lambda: second.find("message_input"))
        await second.send("from my second tab")  # no dialog: already Alice
        await bob.wait_for(lambda: has_row(bob, "A | Alice | "), what="Alice's message")
        assert not second.dialog_open()
        assert count_rows(bob, "Alice has joined the chat.") == 1

        await first.close()  # one tab closed: Alice is still here
        await second.send("still here")
        await bob.wait_for(lambda: has_row(bob, "still here"))
        assert count_rows(bob, "Alice has left the chat.") == 0
        await second.close()
        await bob.wait_for(lambda: has_row(bob, "Alice has left the chat."), what="leave notice")
        assert count_rows(bob, "Alice has left the chat.") == 1


async def test_a_forged_identity_gets_the_name_dialog(
    server: ServerProcess, connect: Connect
) -> None:
    forged = {IDENTITY_KEY: "eyJuYW1lIjoiQWxpY2UifQ.forged.signature"}
    tab = await open_tab(server, forged)
    try:
        await tab.wait_for(tab.dialog_open, what="name dialog")
        await tab.send("posting without a name", wait=True)
        assert tab.get("message_input").get("error") == "Join the chat before sending messages."
    finally:
        await tab.close()


async def test_a_reconnect_to_another_process_restores_the_user(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    prefix = unique_redis_prefix()
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "FLET_CHAT_REDIS_PREFIX": prefix,
        "FLET_CHAT_SECRET_KEY": "one key for the whole deployment",
        "FLET_CHAT_LEAVE_GRACE_SECONDS": "2",
    }
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    browser: dict[str, Any] = {}
    async with connect(a) as bob:
        await bob.join("Bob")
        on_a = await open_tab(a, browser)
        await on_a.join("Alice")
        await on_a.send("hello from A")
        await on_a.wait_for(lambda: IDENTITY_KEY in browser, what="identity in client storage")
        on_a.abort()  # the network drops; the browser reconnects, and lands on process B

        on_b = await open_tab(b, browser)
        await on_b.wait_for(lambda: has_row(on_b, "hello from A"), what="history on B")
        await on_b.wait_for(lambda: on_b.find("message_input"))
        await on_b.send("hello from B")
        await bob.wait_for(lambda: has_row(bob, "hello from B"))
        assert not on_b.dialog_open()
        rows = bob.message_rows()
        # Alice's: a whole row, or under her name above when it continues her group.
        said = [r for r in rows if r.endswith("hello from B")]
        assert said, rows
        assert said[0].startswith(("A | Alice | ", "Alice | ")), rows
        # A gives up on its session of Alice after the grace period; Alice is online on B.
        redis = Redis.from_url(REDIS_URL)
        async with asyncio.timeout(15):
            # Polling presence (another process's state) until A has let its session go.
            while await redis.zcard(f"{prefix}:online:Alice") != 1:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        await redis.aclose()
        await on_b.send("still here")
        await bob.wait_for(lambda: has_row(bob, "still here"))
        assert count_rows(bob, "Alice has joined the chat.") == 1
        assert count_rows(bob, "Alice has left the chat.") == 0
        await on_b.close()
        await bob.wait_for(lambda: has_row(bob, "Alice has left the chat."), what="leave notice")


async def test_after_a_restart_tabs_coming_back_are_not_announced_new_ones_are(
    server_factory: Callable[..., ServerProcess], tmp_path: Any
) -> None:
    # One process keeps presence in memory: after its restart every returning user would be
    # "first" again, and their join notices would push what was said before off every screen.
    data_dir = tmp_path / "kept"
    before = server_factory(data_dir=data_dir)
    browsers: dict[str, dict[str, Any]] = {"Alice": {}, "Bob": {}}
    for name, browser in browsers.items():
        tab = await open_tab(before, browser)
        await tab.join(name)
        await tab.wait_for(lambda b=browser: IDENTITY_KEY in b, what="identity in client storage")
        await tab.send(f"{name} before the restart")
        await tab.close()
    before.stop()

    after = server_factory(data_dir=data_dir)
    # Alice's tab reloads after the drop, as our page does (its cookie says so).
    alice = await FletClient(
        after.ws_url, storage=browsers["Alice"], cookie=f"{BACK_COOKIE}=1"
    ).connect()
    # Bob opens the chat in a new tab, signed in from before.
    bob = await open_tab(after, browsers["Bob"])
    try:
        for tab in (alice, bob):
            await tab.wait_for(lambda t=tab: t.find("message_input") and not t.dialog_open())
        # A restored tab shows its composer while its join is still on the way: Bob's notice
        # may come after that (and after what Alice says next), so it is waited for.
        await bob.wait_for(
            lambda: count_rows(bob, "Bob has joined the chat.") == 2,  # before, and now
            what="Bob's new tab announced",
        )
        await alice.send("Alice is back")
        await bob.wait_for(lambda: has_row(bob, "Alice is back"))
        assert count_rows(bob, "Bob has joined the chat.") == 2
        assert count_rows(bob, "Alice has joined the chat.") == 1  # before only
        assert has_row(bob, "Bob before the restart")
    finally:
        await alice.close()
        await bob.close()
