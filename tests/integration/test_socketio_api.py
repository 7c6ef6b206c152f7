"""The Socket.IO API against a real server: join, send, history, events, limits, identity."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from flet_chat.core.limits import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, RATE_BURST
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration


async def test_join_send_and_history(server: ServerProcess) -> None:
    async with sio_client(server) as bob:
        joined = await bob.join("Bob")
        assert joined["ok"]
        assert joined["room"] == "general"
        assert joined["user_name"] == "Bob"
        assert joined["token"]  # kept by the client to rejoin as Bob later
        assert joined["topic"] is None
        first = await bob.send("one", client_id="m-1")
        retry = await bob.send("one", client_id="m-1")
        # A retry with the same client id is the same stored message.
        assert first["ok"]
        assert retry["message"]["id"] == first["message"]["id"]
        second = await bob.send("two", client_id="m-2")
        await bob.wait_for(lambda: "two" in bob.texts(), what="own message event")
        assert bob.texts().count("one") == 1

        history = await bob.call("history", {})
        texts = [m["text"] for m in history["messages"]]
        assert texts[-3:] == ["Bob has joined the chat.", "one", "two"]
        older = await bob.call("history", {"before": second["message"]["id"], "limit": 1})
        assert [m["text"] for m in older["messages"]] == ["one"]
        assert older["has_older"]

        # /topic sets the room's topic: the next client to join is told.
        assert (await bob.send("/topic Release day"))["ok"]
        async with sio_client(server) as carol:
            assert (await carol.join("Carol"))["topic"] == "Release day"


async def test_errors_are_clear_acks(server: ServerProcess) -> None:
    async with sio_client(server) as client:
        not_joined = await client.send("hello")
        assert not_joined["error"]["code"] == "not_joined"
        other_room = await client.call("join", {"name": "Zed", "room": "random"})
        assert other_room["error"]["code"] == "unknown_room"
        assert other_room["error"]["message"] == "There is no room #random."
        no_name = await client.call("join", {})
        assert no_name["error"]["code"] == "invalid"
        junk = await client.call("join", "not an object")
        assert junk["error"]["code"] == "invalid"
        long_name = await client.join("x" * (MAX_NAME_LENGTH + 1))
        assert long_name["error"]["code"] == "invalid"
        assert "at most 32 characters" in long_name["error"]["message"]
        assert (await client.join("Zed"))["ok"]
        too_long = await client.send("y" * (MAX_MESSAGE_LENGTH + 1))
        assert too_long["error"]["code"] == "invalid"
        assert "the limit is 4,000" in too_long["error"]["message"]


async def test_socketio_clients_obey_the_rate_limit(server: ServerProcess) -> None:
    async with sio_client(server) as client:
        await client.join("Speedy")
        acks = [await client.send(f"m{i}") for i in range(RATE_BURST + 3)]
        refused = [a for a in acks if not a["ok"]]
        assert refused, "a burst above the limit must be refused"
        assert refused[0]["error"]["code"] == "rate_limited"


async def test_browser_and_socketio_share_the_room(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice, sio_client(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.wait_for(lambda: has_row(alice, "Bob has joined the chat."))
        await bob.send("hello from Socket.IO")
        await alice.wait_for(lambda: has_row(alice, "hello from Socket.IO"), what="Bob's words")
        await alice.send("hello from the browser")
        message = await bob.wait_for(
            lambda: next(
                (m for m in bob.received("message") if m["text"] == "hello from the browser"),
                None,
            ),
            what="Alice's words",
        )
        assert message["user_name"] == "Alice"
        assert message["author_kind"] == "user"
        assert message["type"] == "message"
        assert message["room"] == "general"


async def test_presence_events(server: ServerProcess, connect: Connect) -> None:
    async with sio_client(server) as bob:
        await bob.join("Bob")
        async with connect(server) as alice:
            await alice.join("Alice")
            await bob.wait_for(
                lambda: (
                    {"user_name": "Alice", "online": True}.items()
                    <= (bob.received("presence") or [{}])[-1].items()
                ),
                what="Alice online",
            )
        # Her tab closed: she leaves the list at once (the leave notice waits for the grace).
        await bob.wait_for(
            lambda: (
                {"user_name": "Alice", "online": False}.items()
                <= bob.received("presence")[-1].items()
            ),
            what="Alice offline",
        )


async def test_a_name_in_use_needs_proof(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice, sio_client(server) as impostor:
        await alice.join("Alice")
        refused = await impostor.join("Alice")
        assert refused["error"]["code"] == "name_taken"
        forged = await impostor.join("Alice", token="not-a-token")
        assert forged["error"]["code"] == "unauthorized"
    async with sio_client(server) as first:
        ack = await first.join("Dora")
        # The same person on a second connection proves it with the token of the first.
        async with sio_client(server) as second:
            again = await second.call("join", {"token": ack["token"]})
            assert again["ok"]
            assert again["user_name"] == "Dora"


async def test_bot_token_posts_with_a_badge(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(
        env={"FLET_CHAT_BOT_TOKENS": json.dumps({"Deploy Bot": "deploy-bot-s3cret-token"})}
    )
    async with connect(server) as alice, sio_client(server) as bot:
        await alice.join("Alice")
        async with sio_client(server) as impostor:
            refused = await impostor.join("deploy bot")
            assert refused["error"]["code"] == "name_taken"
        assert (await bot.call("join", {"token": "deploy-bot-s3cret-token"}))[
            "author_kind"
        ] == "bot"
        await bot.send("build 42 is live")
        await alice.wait_for(lambda: has_row(alice, "Deploy Bot | BOT |"), what="badged row")
        assert has_row(alice, "build 42 is live")


async def test_a_foreign_origin_is_refused(server: ServerProcess) -> None:
    # The Engine.IO handshake a browser page makes, from a foreign page, the server's own page,
    # and a client that sends no Origin (a bot, a console). Over plain HTTP: a refused client's
    # python-socketio error depends on when aiohttp notices the closed connection.
    handshake = f"{server.base_url}/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient(timeout=10) as http:
        foreign = await http.get(handshake, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 400
        assert "not an accepted origin" in foreign.text
        own = await http.get(handshake, headers={"Origin": server.base_url})
        assert own.status_code == 200
        assert (await http.get(handshake)).status_code == 200
    async with sio_client(server, headers={"Origin": server.base_url}) as same:
        assert (await same.join("Same Origin"))["ok"]


async def test_typing_goes_both_ways_with_the_browser(
    server: ServerProcess, connect: Connect
) -> None:
    async with sio_client(server) as sock, connect(server) as alice:
        refused = await sock.call("typing", {})
        assert refused["error"]["code"] == "not_joined"
        assert (await sock.join("Sock"))["ok"]
        await alice.join("Alice")
        assert (await sock.call("typing", {}))["ok"]
        await alice.wait_for(
            lambda: alice.value("typing_indicator") == "Sock is typing...", what="typing line"
        )
        await alice.type("message_input", "hel", change=True)
        await sock.wait_for(
            lambda: any(t["user_name"] == "Alice" for t in sock.received("typing")),
            what="Alice typing",
        )
        assert server.health()["socketio_clients"] == 1
