"""Look-alike names over the wire: what an attacker tried while "Alice" (and the bots' names) were
taken, each refused over Socket.IO, and a webhook that tries to post as Alice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration

HOOK_TOKEN = "hook-token-123-abcdef"

# (name, the code its join gets) while "Alice" and "Alicé" are claimed.
ATTACKS = [
    ("\u0410lice", "name_taken"),  # a Cyrillic capital A
    ("Al\u200bice", "invalid"),  # a zero-width space
    ("\u200dAlice", "invalid"),  # a zero-width joiner
    ("\u202eecilA", "invalid"),  # a right-to-left override: shows as "Alice"
    ("Alice\u0301", "name_taken"),  # "Alicé" decomposed, while the composed one is claimed
    ("Deploy  Bot", "name_taken"),  # two spaces: the token bot's name
    ("Deploy\u200bBot", "invalid"),
    ("\uff28elper", "name_taken"),  # a fullwidth H: the Helper bot's name
    ("HeIper", "name_taken"),  # a capital i for the l
]


@pytest.fixture
def guarded(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(
        env={
            "FLET_CHAT_BOT_TOKENS": json.dumps({"Deploy Bot": "deploy-bot-s3cret-token"}),
            "FLET_CHAT_WEBHOOK_TOKEN": HOOK_TOKEN,
        }
    )


def post(server: ServerProcess, name: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/rooms/general/messages",
        headers={"Authorization": f"Bearer {HOOK_TOKEN}"},
        json={"text": "deploy done", "name": name},
        timeout=10,
    )


async def test_look_alike_names_are_refused(guarded: ServerProcess) -> None:
    async with sio_client(guarded) as alice, sio_client(guarded) as accented:
        assert (await alice.join("Alice"))["ok"]
        assert (await accented.join("Alic\u00e9"))["ok"]
        async with sio_client(guarded) as attacker:
            for name, code in ATTACKS:
                ack = await attacker.join(name)
                assert not ack.get("ok"), f"{name!r} was accepted"
                assert ack["error"]["code"] == code, (name, ack)
            lookalike = await attacker.join("\u0410lice")
            assert lookalike["error"]["message"] == (
                "\u0410lice looks too much like Alice, who is already in this chat."
                " Choose another name."
            )
            # Refusals leave the attacker free to join under a name of their own.
            assert (await attacker.join("Mallory"))["ok"]
        # Alice, with her token, is still Alice.
        async with sio_client(guarded) as again:
            back = await again.call("join", {"token": alice.token})
            assert (back["ok"], back["user_name"]) == (True, "Alice")


async def test_a_webhook_cannot_post_as_a_person_or_a_look_alike(guarded: ServerProcess) -> None:
    async with sio_client(guarded) as alice:
        assert (await alice.join("Alice"))["ok"]
        bots = ("Deploy Bot", "Deploy  Bot", "Deploy\u200bBot", "HeIper", "\uff28elper")
        for name in ("Alice", "alice", "\u0410lice", "Al\u200bice", *bots):
            # In a thread: the client's reader shares this event loop.
            response = await asyncio.to_thread(post, guarded, name)
            assert response.status_code == 422, (name, response.text)
            assert response.json()["error"]["code"] == "invalid"
        refused = (await asyncio.to_thread(post, guarded, "\u0410lice")).json()
        assert refused["error"]["message"] == (
            "\u0410lice looks too much like Alice, who is already in this chat."
            " An integration needs a name of its own."
        )
        for name in ("Webhook", "CI"):
            response = await asyncio.to_thread(post, guarded, name)
            assert response.status_code == 201, (name, response.text)
            assert response.json()["message"]["author_kind"] == "integration"
        # Nobody can take the default integration's name, so it never passes for a person.
        async with sio_client(guarded) as person:
            assert (await person.join("Webhook"))["error"]["code"] == "name_taken"
