"""Rooms over Socket.IO against a real server, with several clients: who hears what, direct
conversations that a third user cannot reach, edits and reactions, unread counts, storage.

"Nothing arrived" is asserted after a synchronisation point, never after a sleep: the client
sends a message in #general and waits for its own `message` event. The server emits every
client's events in bus order, so anything published before that message would have reached
the client before it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from flet_chat.testing.services import REDIS_URL, unique_redis_prefix
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client

pytestmark = pytest.mark.integration

TOKEN = "hook-token-rooms"


@asynccontextmanager
async def people(server: ServerProcess, *names: str) -> AsyncIterator[list[RecordingClient]]:
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(sio_client(server)) for _ in names]
        for client, name in zip(clients, names, strict=True):
            assert (await client.join(name))["ok"]
        yield clients


async def sync(client: RecordingClient) -> None:
    """Returns once everything published before now has reached `client` (see the docstring)."""
    marker = f"sync-{id(client)}-{len(client.received('message'))}"
    assert (await client.send(marker))["ok"]
    await client.wait_for(lambda: marker in client.texts(), what="own sync message")


def events_about(client: RecordingClient, room: str) -> list[Any]:
    found = []
    for name, events in client.events.items():
        for event in events:
            if room in json.dumps(event):
                found.append((name, event))
    return found


async def test_a_rooms_messages_reach_only_its_members(server: ServerProcess) -> None:
    async with people(server, "Alice", "Bob", "Carol") as (alice, bob, carol):
        created = await alice.call("create_room", {"name": "Dev"})
        assert created["room"] == {
            "key": "dev",
            "kind": "public",
            "title": "#dev",
            "members": [],
            "archived": False,
            "slow_mode_seconds": 0,
        }
        taken = await bob.call("create_room", {"name": "dev"})
        assert taken["error"] == {
            "code": "invalid",
            "message": "#dev already exists. Choose another name or join it.",
        }
        bad = await bob.call("create_room", {"name": "no spaces"})
        assert "1 to 40 characters" in bad["error"]["message"]
        # Everyone hears of the new room; only the creator is in it.
        await carol.wait_for(lambda: carol.received("room_created"), what="room_created")
        assert carol.received("room_created")[0]["room"]["key"] == "dev"

        refused = await bob.send("not yet", room="dev")
        assert refused["error"]["code"] == "not_joined"
        joined = await bob.call("join_room", {"room": "#dev"})
        assert joined["ok"]
        assert joined["room"]["key"] == "dev"

        said = await alice.send("dev only", room="dev")
        assert said["message"]["room"] == "dev"
        await bob.wait_for(lambda: "dev only" in bob.texts(), what="Bob hears #dev")
        await sync(carol)
        assert "dev only" not in carol.texts()
        # A public room's history is readable before joining, the way a directory previews it.
        preview = await carol.call("history", {"room": "dev"})
        assert [m["text"] for m in preview["messages"]] == ["dev only"]

        left = await bob.call("leave_room", {"room": "dev"})
        assert left["ok"]
        await bob.wait_for(
            lambda: any(not m["joined"] for m in bob.received("membership")), what="left"
        )
        await alice.send("after Bob left", room="dev")
        await sync(bob)
        assert "after Bob left" not in bob.texts()
        general = await bob.call("leave_room", {"room": "general"})
        assert general["error"]["message"] == "Everyone stays in #general; it cannot be left."


async def test_a_direct_conversation_is_invisible_to_a_third_user(server: ServerProcess) -> None:
    async with people(server, "Alice", "Bob", "Carol") as (alice, bob, carol):
        opened = await alice.call("open_direct", {"user_name": "bob"})
        room = opened["room"]
        key = room["key"]
        assert (room["kind"], room["title"], room["members"]) == (
            "direct",
            "@Bob",
            ["Alice", "Bob"],
        )
        # Bob's client was connected before: it is told, and hears the room from now on.
        told = await bob.wait_for(lambda: bob.received("membership"), what="Bob told")
        assert told[0]["room"]["key"] == key
        assert told[0]["room"]["title"] == "@Alice"
        assert (await bob.call("open_direct", {"user_name": "ALICE"}))["room"]["key"] == key

        secret = (await alice.send("psst, Bob", room=key))["message"]
        await bob.wait_for(lambda: "psst, Bob" in bob.texts(), what="Bob hears the DM")
        assert (await bob.send("hi Alice", room="@Alice"))["ok"]
        await alice.wait_for(lambda: "hi Alice" in alice.texts(), what="Alice hears Bob")

        # Carol: every way in is "no such room", the answer for rooms that do not exist.
        attempts = {
            "history": await carol.call("history", {"room": key}),
            "join_room": await carol.call("join_room", {"room": key}),
            "join_room @": await carol.call("join_room", {"room": "@Alice"}),
            "send": await carol.send("let me in", room=key),
            "typing": await carol.call("typing", {"room": key}),
            "mark_read": await carol.call("mark_read", {"room": key, "message_id": secret["id"]}),
            "leave_room": await carol.call("leave_room", {"room": key}),
        }
        for what, ack in attempts.items():
            assert ack["error"]["code"] == "unknown_room", what
            assert ack["error"]["message"] == "There is no room that conversation.", what
        unknown = await carol.call("history", {"room": "dm:3:zzzyyy"})
        assert unknown["error"] == attempts["history"]["error"]  # the same answer: nothing leaks
        # A direct message's id answers as an id that does not exist: Carol cannot count them.
        for event, payload in (
            ("react", {"emoji": "👍"}),
            ("edit", {"text": "mine"}),
            ("delete", {}),
        ):
            hidden = await carol.call(event, {"message_id": secret["id"], **payload})
            missing = await carol.call(event, {"message_id": 10**12, **payload})
            assert hidden["error"] == missing["error"], event
        # Bob reacts after Carol's attempts: a change Carol must not hear of either.
        assert (await bob.call("react", {"message_id": secret["id"], "emoji": "👀"}))["ok"]
        await alice.wait_for(lambda: alice.received("message_changed"), what="reaction")

        await sync(carol)
        assert events_about(carol, key) == []
        assert not any("psst" in json.dumps(e) for es in carol.events.values() for e in es)
        assert [r["key"] for r in (await carol.call("rooms"))["rooms"]] == ["general"]
        assert key not in [r["key"] for r in (await carol.call("rooms"))["public"]]

        # Bots may not speak there: a command's answer comes back to the caller privately.
        rolled = await alice.send("/roll 1d6", room=key)
        assert rolled["hint"].startswith("Helper: Alice rolled 1d6: ")
        assert (await bob.call("open_direct", {"user_name": "Bob"}))["error"]["code"] == "invalid"


async def test_edits_and_reactions_reach_members_as_message_changed(
    server: ServerProcess,
) -> None:
    async with people(server, "Alice", "Bob", "Carol") as (alice, bob, carol):
        await alice.call("create_room", {"name": "dev"})
        await bob.call("join_room", {"room": "dev"})
        said = (await alice.send("helo @Bob", room="dev"))["message"]
        assert said["revision"] == 0
        assert said["reactions"] == []

        reacted = await bob.call("react", {"message_id": said["id"], "emoji": "🎉"})
        assert reacted["message"]["reactions"] == [{"emoji": "🎉", "users": ["Bob"]}]
        assert (await bob.call("edit", {"message_id": said["id"], "text": "mine"}))["error"][
            "code"
        ] == "forbidden"
        edited = await alice.call("edit", {"message_id": said["id"], "text": "hello @Bob"})
        assert edited["message"]["edited"]
        assert edited["message"]["revision"] == 2

        def changes(client: RecordingClient) -> list[tuple[int, str, bool]]:
            return [
                (c["revision"], c["text"], c["edited"])
                for c in client.received("message_changed")
                if c["id"] == said["id"]
            ]

        for member in (alice, bob):
            await member.wait_for(lambda m=member: len(changes(m)) == 2, what="both changes")
            assert changes(member) == [(1, "helo @Bob", False), (2, "hello @Bob", True)]

        deleted = await alice.call("delete", {"message_id": said["id"]})
        assert (deleted["message"]["deleted"], deleted["message"]["text"]) == (True, "")
        await bob.wait_for(
            lambda: any(c["deleted"] for c in bob.received("message_changed")), what="stub"
        )
        gone = await bob.call("react", {"message_id": said["id"], "emoji": "🎉"})
        assert gone["error"]["message"] == "That message was deleted."
        await sync(carol)
        assert carol.received("message_changed") == []


async def test_unread_counts_mentions_and_storage_across_a_restart(
    server_factory: Callable[..., ServerProcess], tmp_path: Any
) -> None:
    data_dir = tmp_path / "rooms-data"
    server = server_factory(data_dir=data_dir, env={"FLET_CHAT_WEBHOOK_TOKEN": TOKEN})
    async with people(server, "Alice", "Bob") as (alice, bob):
        await alice.call("create_room", {"name": "dev"})
        await bob.call("join_room", {"room": "dev"})
        assert (await alice.send("/topic Ship it", room="dev"))["ok"]
        for text in ("one", "two @bob", "three"):
            await alice.send(text, room="dev")
        await bob.send("my own words do not count", room="dev")
        rooms = (await bob.call("rooms"))["rooms"]
        dev = next(r for r in rooms if r["key"] == "dev")
        assert (dev["unread"], dev["mentioned"]) == (3, True)
        assert [r["key"] for r in (await bob.call("rooms"))["public"]] == ["dev", "general"]
        newest = (await bob.call("history", {"room": "dev"}))["messages"][-1]["id"]
        assert (await bob.call("mark_read", {"room": "dev", "message_id": newest}))["ok"]
        dev = next(r for r in (await bob.call("rooms"))["rooms"] if r["key"] == "dev")
        assert (dev["unread"], dev["mentioned"]) == (0, False)

        dm = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
        said = (await alice.send("stored secret", room=dm))["message"]
        await bob.call("react", {"message_id": said["id"], "emoji": "👍"})
        await alice.call("edit", {"message_id": said["id"], "text": "stored secret, edited"})
        # The webhook posts in public rooms only.
        hook = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=hook, timeout=10) as http:
            posted = await http.post("/api/rooms/dev/messages", json={"text": "CI green"})
            assert posted.status_code == 201
            assert posted.json()["message"]["room"] == "dev"
            assert (
                await http.post(f"/api/rooms/{dm}/messages", json={"text": "x"})
            ).status_code == 404
            assert (
                await http.post("/api/rooms/nope/messages", json={"text": "x"})
            ).status_code == 404
        await bob.wait_for(lambda: "CI green" in bob.texts(), what="the webhook's message")
        assert (await bob.call("join", {"name": "Bob"}))["error"]["message"] == (
            "Already joined as Bob."
        )

        tokens = {"Alice": alice.token, "Bob": bob.token}

    server.stop()
    again = server_factory(data_dir=data_dir)
    async with sio_client(again) as someone:
        # Bob's name is his: without his token nobody else can join as him and read the DM.
        refused = await someone.call("join", {"name": "bob", "room": dm})
        assert refused["error"]["message"].startswith("bob is taken")
    async with sio_client(again) as bob:
        ack = await bob.call("join", {"token": tokens["Bob"], "room": dm})
        assert ack["room"] == dm
        assert ack["room_info"]["title"] == "@Alice"
        [message] = [m for m in ack["messages"] if m["id"] == said["id"]]
        assert message["text"] == "stored secret, edited"
        assert message["edited"]
        assert message["reactions"] == [{"emoji": "👍", "users": ["Bob"]}]
        rooms = {r["key"]: r for r in (await bob.call("rooms"))["rooms"]}
        assert set(rooms) == {"general", "dev", dm}
        assert rooms["dev"]["unread"] == 1  # the webhook's message, after his marker
        topic = await bob.call("join_room", {"room": "dev"})
        assert topic["topic"] == "Ship it"
        # Still hears his rooms after reconnecting: Alice comes back and writes in the DM.
        async with sio_client(again) as alice:
            assert (await alice.call("join", {"token": tokens["Alice"]}))["ok"]
            await alice.send("welcome back", room=dm)
            await bob.wait_for(lambda: "welcome back" in bob.texts(), what="DM after restart")


async def test_every_tab_of_a_user_follows_their_rooms(server: ServerProcess) -> None:
    async with sio_client(server) as alice, sio_client(server) as tab1:
        token = (await tab1.join("Bob"))["token"]
        await alice.join("Alice")
        async with sio_client(server) as tab2:
            assert (await tab2.call("join", {"token": token}))["user_name"] == "Bob"
            key = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
            await alice.send("to both tabs", room=key)
            for tab in (tab1, tab2):
                await tab.wait_for(lambda t=tab: "to both tabs" in t.texts(), what="DM on a tab")
            await alice.call("create_room", {"name": "ops"})
            await tab1.call("join_room", {"room": "ops"})
            await alice.send("ops 1", room="ops")
            await tab2.wait_for(lambda: "ops 1" in tab2.texts(), what="joined on the other tab")
            await tab1.call("leave_room", {"room": "ops"})
            await alice.send("ops 2", room="ops")
            await sync(tab2)
            assert "ops 2" not in tab2.texts()


async def test_a_dm_opened_on_another_process_reaches_only_its_two_people(
    postgres_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "FLET_CHAT_REDIS_PREFIX": unique_redis_prefix(),
    }
    a, b = server_factory(env=env, name="a"), server_factory(env=env, name="b")
    async with sio_client(a) as alice, sio_client(b) as bob, sio_client(b) as carol:
        for client, name in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            assert (await client.join(name))["ok"]
        key = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
        # The membership crossed Redis and put Bob's client on process B in the room.
        await bob.wait_for(lambda: bob.received("membership"), what="membership via Redis")
        await alice.send("across processes", room=key)
        await bob.wait_for(lambda: "across processes" in bob.texts(), what="DM via Redis")
        # Process B has emitted the DM (Bob has it); Carol's own message comes after it.
        await sync(carol)
        assert events_about(carol, key) == []
