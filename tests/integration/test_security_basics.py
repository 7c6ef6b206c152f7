"""Security round (items 1, 2, 5, 7): what an attacker managed against a default server, and now
cannot. Each test fails on the code before the fix it guards."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import httpx
import pytest
import websockets
import websockets.exceptions

from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration

WEBHOOK_TOKEN = "webhook-token-" + uuid.uuid4().hex
BOT_TOKEN = "bot-token-" + uuid.uuid4().hex
PASSWORD = "password-" + uuid.uuid4().hex


def post_webhook(server: ServerProcess, room: str, **body: object) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/rooms/{room}/messages",
        headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
        json=body,
        timeout=10,
    )


async def test_the_log_holds_no_token_and_no_message_text(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    """Item 1: every Socket.IO packet was logged at INFO, tokens and direct messages with it."""
    server = server_factory(
        env={
            "FLET_CHAT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
            "FLET_CHAT_BOT_TOKENS": json.dumps({"Deploy Bot": BOT_TOKEN}),
        }
    )
    secret_dm = "dm-text-" + uuid.uuid4().hex
    public_text = "public-text-" + uuid.uuid4().hex
    hook_text = "hook-text-" + uuid.uuid4().hex
    flet_text = "flet-text-" + uuid.uuid4().hex
    engineio_sids = []
    async with sio_client(server) as alice, sio_client(server) as bob:
        identity = (await alice.join("Alice"))["token"]
        assert (await bob.join("Bob"))["ok"]
        engineio_sids += [alice.sio.eio.sid, bob.sio.eio.sid]
        room = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
        assert (await alice.send(secret_dm, room=room))["ok"]
        await bob.wait_for(lambda: secret_dm in bob.texts(), what="Bob gets the DM")
        assert (await alice.send(public_text))["ok"]
        async with sio_client(server) as again, sio_client(server) as bot:
            assert (await again.call("join", {"token": identity}))["user_name"] == "Alice"
            assert (await bot.call("join", {"token": BOT_TOKEN}))["author_kind"] == "bot"
            engineio_sids += [again.sio.eio.sid, bot.sio.eio.sid]
        async with sio_client(server) as member:
            session = (await member.sign_up("Mia", PASSWORD))["token"]
            assert (await member.sign_in("Mia", PASSWORD + " wrong"))["error"]
            assert (await member.join_with(session))["ok"]
            engineio_sids.append(member.sio.eio.sid)
        response = await asyncio.to_thread(post_webhook, server, "general", text=hook_text)
        assert response.status_code == 201
    async with connect(server) as carol:
        await carol.join("Carol")
        await carol.send(flet_text)
        await carol.wait_for(lambda: has_row(carol, flet_text), what="Carol's message")
    server.stop()
    log = server.log_text()
    assert "Application startup complete" in log  # the log is there, and read
    secrets = (BOT_TOKEN, WEBHOOK_TOKEN, identity, session, PASSWORD, secret_dm, public_text)
    for secret in (*secrets, hook_text):
        assert secret not in log
    assert flet_text not in log
    for sid in engineio_sids:
        assert sid not in log  # Engine.IO session ids speak for a connection


async def test_a_client_id_never_answers_with_someone_elses_message(
    server_factory: Callable[..., ServerProcess],
) -> None:
    """Item 2: a webhook call named "Alice" with a client id Alice used in a direct conversation
    answered 201 with her direct message."""
    server = server_factory(env={"FLET_CHAT_WEBHOOK_TOKEN": WEBHOOK_TOKEN})
    async with sio_client(server) as alice, sio_client(server) as bob:
        assert (await alice.join("Alice"))["ok"]
        assert (await bob.join("Bob"))["ok"]
        room = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
        secret = (await alice.send("the secret", client_id="1", room=room))["message"]
        # Alice's own client id in another room is another message, never the DM.
        public = (await alice.send("hello all", client_id="1"))["message"]
        assert (public["room"], public["text"]) == ("general", "hello all")
        assert public["id"] != secret["id"]
        for name in ("Alice", "alice", "Webhook"):
            response = await asyncio.to_thread(
                post_webhook, server, "general", text="from a hook", name=name, client_id="1"
            )
            assert "the secret" not in response.text
            if response.status_code == 201:
                message = response.json()["message"]
                assert (message["room"], message["text"]) == ("general", "from a hook")
                assert message["author_kind"] == "integration"
            else:  # a person's name is not the webhook's to take
                assert response.status_code == 422, response.text


async def test_limits_hold_on_the_server(
    server_factory: Callable[..., ServerProcess],
) -> None:
    """Item 5: the topic limit was defined but never enforced; a direct conversation between two
    32-character names could not be used; an empty bot token was a bot's key."""
    server = server_factory(env={"FLET_CHAT_BOT_TOKENS": json.dumps({"Deploy Bot": BOT_TOKEN})})
    long_a, long_b = "A" * 32, "b" * 32
    async with sio_client(server) as a, sio_client(server) as b, sio_client(server) as c:
        assert (await a.join(long_a))["ok"]
        assert (await b.join(long_b))["ok"]
        refused = await a.send("/topic " + "x" * 3990)
        assert refused["ok"] is False
        assert "the limit is 200" in refused["error"]["message"]
        assert (await a.send("/topic " + "y" * 200))["ok"]
        topic = (await c.call("join", {"name": "Carol"}))["topic"]
        assert topic == "y" * 200

        room = (await a.call("open_direct", {"user_name": long_b}))["room"]["key"]
        assert len(room) > 64
        assert (await a.send("hi there", room=room))["ok"]
        assert (await b.call("join_room", {"room": room}))["ok"]
        assert (await b.send("hello back", room=room))["ok"]
        assert (await b.call("history", {"room": room}))["messages"][-1]["text"] == "hello back"

    async with sio_client(server) as intruder:
        for token in ("", " "):
            ack = await intruder.call("join", {"token": token})
            assert ack["ok"] is False, token
            assert ack["error"]["code"] in ("invalid", "unauthorized")


def test_an_empty_or_short_bot_token_stops_the_server_with_a_clear_line(
    server_factory: Callable[..., ServerProcess],
) -> None:
    with pytest.raises(RuntimeError) as exited:
        server_factory(env={"FLET_CHAT_BOT_TOKENS": json.dumps({"Deploy Bot": ""})})
    assert "the token of bot 'Deploy Bot' must be at least 16 characters" in str(exited.value)
    assert "Traceback" not in str(exited.value)


async def test_forwarded_headers_count_only_from_trusted_proxies(
    server_factory: Callable[..., ServerProcess],
) -> None:
    """Item 7: the Socket.IO Origin check trusted X-Forwarded-Host from any peer."""
    polling = "/socket.io/?EIO=4&transport=polling"
    forged = {"Origin": "https://evil.example", "X-Forwarded-Host": "evil.example"}
    # Loopback is not a proxy here: its X-Forwarded-Host is a forgery.
    direct = server_factory(env={"FORWARDED_ALLOW_IPS": "192.0.2.1"})
    async with httpx.AsyncClient(base_url=direct.base_url, timeout=10) as http:
        assert (await http.get(polling, headers=forged)).status_code == 400
        own = {"Origin": direct.base_url}
        assert (await http.get(polling, headers=own)).status_code == 200
    # Behind a proxy the server trusts, the host the browser asked for is the forwarded one.
    proxied = server_factory(env={"FORWARDED_ALLOW_IPS": "127.0.0.1"}, name="proxied")
    async with httpx.AsyncClient(base_url=proxied.base_url, timeout=10) as http:
        forwarded = {"Origin": "https://chat.example", "X-Forwarded-Host": "chat.example"}
        assert (await http.get(polling, headers=forwarded)).status_code == 200


async def test_the_flet_websocket_refuses_a_foreign_origin(server: ServerProcess) -> None:
    """Item 7: `/ws` accepted any Origin, so any site could open a chat session in its visitor's
    browser."""
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(server.ws_url, origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(server.ws_url, origin=server.base_url) as ws:  # type: ignore[arg-type]
        assert ws.protocol.state.name == "OPEN"


async def test_a_client_cannot_write_a_line_of_its_own_into_the_log(server: ServerProcess) -> None:
    """Engine.IO quotes the session id a client sends; a newline in it made a forged ERROR line
    (one that alerting, and this suite, would take for the server's own)."""
    forged = "2026-11-28 09:30:00,000 ERROR flet_chat: FORGED LINE"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        response = await http.get(
            "/socket.io/", params={"EIO": "4", "transport": "polling", "sid": f"abc\n{forged}"}
        )
    assert response.status_code == 400
    server.stop()
    lines = server.log_text().splitlines()
    assert not any(line.startswith(forged[:23]) for line in lines)
    assert any("FORGED LINE" in line for line in lines)  # it is there, escaped on one line
