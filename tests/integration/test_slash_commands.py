"""Slash commands typed in the normal composer, as two people in browsers would see them."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def hint(client: object) -> str:
    return str(client.get("message_input").get("helper") or "")  # type: ignore[attr-defined]


async def test_private_hints_reach_only_the_typist(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.wait_for(lambda: has_row(alice, "Bob has joined the chat."))

        await alice.send("/help")
        await alice.wait_for(lambda: "/roll [NdM]" in hint(alice), what="the command list")
        assert "/ask <question>" in hint(alice)
        await alice.send("/frobnicate now")
        await alice.wait_for(lambda: "Unknown command /frobnicate" in hint(alice))
        await alice.send("/who")
        await alice.wait_for(lambda: hint(alice) == "Online in #general (2): Alice, Bob")
        # A marker message shows Bob has received everything Alice did before it.
        await alice.send("marker")
        await bob.wait_for(lambda: has_row(bob, "marker"))
        for client in (alice, bob):
            assert not any("frobnicate" in r or "Commands" in r for r in client.message_rows())
        assert hint(bob) == ""
        # The next ordinary message clears the hint.
        assert hint(alice) == ""


async def test_commands_everyone_sees(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.send("/me waves")
        await alice.send("/roll 3d6")
        await alice.send("/topic Release day")
        await alice.send("/ask is Flet fast?")
        for client in (alice, bob):
            await client.wait_for(
                lambda c=client: has_row(c, "This is my answer to your question: is Flet fast?"),
                what="the bot's answer",
            )
            rows = client.message_rows()
            assert any(re.fullmatch(r"\* Alice waves  \d\d:\d\d UTC", r) for r in rows)
            assert any(re.fullmatch(r"Alice set the topic: Release day  .*", r) for r in rows)
            roll = next(r for r in rows if "rolled 3d6" in r)
            # The bot's row: initial, name, BOT badge, time, then the text.
            assert re.fullmatch(
                r"H \| Helper \| BOT \| \d\d:\d\d UTC \| Alice rolled 3d6: \d+ \+ \d+ \+ \d+ = \d+",
                roll,
            )
            # /ask posts the question as Alice's, then the bot's answer under it.
            assert re.fullmatch(r"A \| Alice \| \d\d:\d\d UTC \| is Flet fast\?", rows[-2])
            assert rows[-1].startswith("H | Helper | BOT |")


async def test_nobody_can_join_as_the_bot(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as mallory:
        await mallory.wait_for(lambda: mallory.find("name_input"))
        await mallory.type("name_input", "helper")
        await mallory.submit("name_input")
        await mallory.wait_for(lambda: mallory.get("name_input").get("error"))
        assert "name of a bot" in mallory.get("name_input")["error"]
