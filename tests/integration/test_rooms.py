"""Rooms and direct conversations as people in several sessions meet them, over Flet's protocol."""

from __future__ import annotations

import pytest

from flet_chat.core.rooms import ROOM_NAME_RULE
from flet_chat.testing.flet_client import FletClient
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def room_entries(client: FletClient) -> list[str]:
    """The room list as shown: each entry's title and unread badge, e.g. "#dev 2"."""
    room_list = client.find("room_list")
    if room_list is None:
        return []
    return [
        " ".join(client.texts(entry))
        for entry in room_list.get("controls", [])
        if str(entry.get("key", "")).startswith("room-")
    ]


def title(client: FletClient) -> str:
    return client.value("room_title")


async def open_room(client: FletClient, key: str, shown: str) -> None:
    await client.click(f"room-{key}")
    await client.wait_for(lambda: title(client) == shown, what=f"{shown} on screen")


async def create_room(client: FletClient, name: str) -> None:
    await client.wait_for(lambda: room_entries(client), what="room list")
    await client.type("new_room_input", name)
    await client.submit("new_room_input")
    shown = f"#{name.lower()}"
    await client.wait_for(lambda: title(client) == shown, what=f"{shown} on screen")


async def test_a_room_is_created_joined_and_keeps_its_messages_to_itself(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await create_room(alice, "dev")
        assert room_entries(alice) == ["#general", "#dev"]
        await alice.send("hello dev")
        await alice.wait_for(lambda: has_row(alice, "hello dev"))

        # Bob is not in #dev: he hears nothing of it, but can find it and join it.
        await bob.wait_for(lambda: bob.find("join-room-dev"), what="#dev in the directory")
        await alice.send("second in dev")
        await bob.send("meanwhile in general")
        await bob.wait_for(lambda: has_row(bob, "meanwhile in general"))
        assert not has_row(bob, "hello dev")
        assert room_entries(bob) == ["#general"]
        await bob.click("join-room-dev")
        await bob.wait_for(lambda: title(bob) == "#dev" and has_row(bob, "second in dev"))
        assert has_row(bob, "hello dev")
        assert not has_row(bob, "meanwhile in general")  # that was said in #general
        assert bob.find("join-room-dev") is None

        # The member list shows who of #dev's members is online.
        await bob.wait_for(lambda: bob.members() == ["Alice", "Bob"])
        await alice.wait_for(lambda: alice.members() == ["Alice", "Bob"])

        await bob.send("hi Alice")
        await alice.wait_for(lambda: has_row(alice, "hi Alice"))
        await open_room(alice, "general", "#general")
        await alice.wait_for(lambda: has_row(alice, "meanwhile in general"))
        assert not has_row(alice, "hi Alice")


async def test_room_names_are_checked_with_a_clear_error(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.wait_for(lambda: room_entries(alice))
        for bad in ("no spaces", "x" * 41, "café"):
            await alice.type("new_room_input", bad)
            await alice.submit("new_room_input")
            field = alice.get("new_room_input")
            await alice.wait_for(lambda f=field: f.get("error") == ROOM_NAME_RULE)
        assert title(alice) == "#general"
        await create_room(alice, "Ops")  # typed in capitals: rooms are lower case
        assert not alice.get("new_room_input").get("error")
        assert room_entries(alice) == ["#general", "#ops"]


async def test_unread_counts_and_mentions_mark_rooms_and_survive_a_reload(
    server: ServerProcess, connect: Connect
) -> None:
    bob_browser: dict[str, object] = {}
    async with connect(server) as alice:
        await alice.join("Alice")
        await create_room(alice, "dev")
        async with connect(server, storage=bob_browser) as bob:
            await bob.join("Bob")
            await bob.wait_for(lambda: bob.find("join-room-dev"))
            await bob.click("join-room-dev")
            await bob.wait_for(lambda: title(bob) == "#dev")
            await open_room(bob, "general", "#general")

            await alice.send("one")
            await alice.send("two")
            await bob.wait_for(lambda: room_entries(bob) == ["#general", "#dev 2"])
            await alice.send("ping @Bob, look")
            await bob.wait_for(lambda: room_entries(bob) == ["#general", "#dev @ 3"])
            await open_room(bob, "dev", "#dev")
            await bob.wait_for(lambda: has_row(bob, "ping @Bob, look"))
            assert room_entries(bob) == ["#general", "#dev"]  # seen
            await open_room(bob, "general", "#general")

        # Bob is away; Alice goes on. His next visit shows what he missed, nothing he saw.
        await alice.send("while you were out")
        async with connect(server, storage=bob_browser) as bob_again:
            await bob_again.wait_for(
                lambda: room_entries(bob_again) == ["#general", "#dev 1"], what="unread restored"
            )


async def test_leaving_a_room_stops_its_news(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await create_room(alice, "dev")
        await bob.wait_for(lambda: bob.find("join-room-dev"))
        await bob.click("join-room-dev")
        await bob.wait_for(lambda: title(bob) == "#dev")
        assert alice.find("leave_room_button") is not None
        await bob.click("leave_room_button")
        await bob.wait_for(lambda: title(bob) == "#general" and bob.find("join-room-dev"))
        assert room_entries(bob) == ["#general"]
        await alice.send("anyone?")
        await alice.wait_for(lambda: has_row(alice, "anyone?"))
        await bob.send("sync")
        await bob.wait_for(lambda: has_row(bob, "sync"))
        assert room_entries(bob) == ["#general"]


async def test_a_direct_conversation_reaches_its_two_people_only(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob, connect(server) as carol:
        await alice.join("Alice")
        await bob.join("Bob")
        await carol.join("Carol")
        await alice.wait_for(lambda: "Bob" in alice.members())
        # Started from Bob's name in the member list, marked a guest's from the first draw:
        # his session told this process what his account is.
        await alice.click("guest-Bob")
        await alice.wait_for(lambda: title(alice) == "@Bob", what="the conversation with Bob")
        assert alice.members() == ["Alice", "Bob"]
        await alice.send("just between us")
        await alice.wait_for(lambda: has_row(alice, "just between us"))

        # A direct conversation's entry: the person's name, their avatar ("A"), the unread count.
        await bob.wait_for(lambda: room_entries(bob) == ["#general", "@Alice A 1"])
        await bob.click(next(k for k in keys_of(bob) if k.startswith("room-dm:")))
        await bob.wait_for(lambda: title(bob) == "@Alice" and has_row(bob, "just between us"))
        await bob.send("agreed")
        await alice.wait_for(lambda: has_row(alice, "agreed"))

        # Carol hears nothing of it: after a message in #general that she does see, there is
        # still no trace of the conversation in her session.
        await open_room(alice, "general", "#general")
        await alice.send("hello all")
        await carol.wait_for(lambda: has_row(carol, "hello all"))
        assert room_entries(carol) == ["#general"]
        assert not any("just between us" in t or "agreed" in t for t in carol.texts(carol.page))

    # Nor can anyone become Bob to read it: his name stays with his browser.
    async with connect(server) as impostor:
        await impostor.wait_for(lambda: impostor.find("name_input"), what="join dialog")
        await impostor.type("name_input", "bob")
        await impostor.submit("name_input")
        field = impostor.get("name_input")
        await impostor.wait_for(lambda: str(field.get("error", "")).startswith("bob is taken"))
        assert impostor.dialog_open()
        assert room_entries(impostor) == ["#general"]


def keys_of(client: FletClient) -> list[str]:
    return [str(c.get("key")) for c in client.walk() if c.get("key")]


async def test_the_tab_title_counts_what_arrives_while_the_tab_is_hidden(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await bob.send("seen: the tab is in front")
        await alice.wait_for(lambda: has_row(alice, "seen: the tab is in front"))
        assert alice.page.get("title") == "Flet Chat"
        await alice.lifecycle("hide")
        # Her events are handled in order: once Bob sees her typing, the tab is hidden.
        await alice.type("message_input", "a", change=True)
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Alice is typing...")
        await bob.send("while Alice looks elsewhere")
        await alice.wait_for(lambda: alice.page.get("title") == "(1) Flet Chat", what="count")
        await alice.lifecycle("show")
        await alice.wait_for(lambda: alice.page.get("title") == "Flet Chat", what="no count")
