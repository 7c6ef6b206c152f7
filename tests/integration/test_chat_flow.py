"""Two or three people chatting through the real server, over Flet's own websocket protocol."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


async def test_two_sessions_join_and_exchange_messages(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.wait_for(alice.dialog_open, what="name dialog")
        await bob.wait_for(bob.dialog_open, what="name dialog")
        await alice.join("Alice")
        await bob.join("  Bob  ")
        await alice.wait_for(
            lambda: has_row(alice, "Bob has joined the chat."), what="Bob's join notice"
        )

        await alice.send("Hello Bob!")
        await bob.wait_for(lambda: has_row(bob, "Alice | "), what="Alice's message")
        await bob.send("Hi Alice,\nhow are you?")
        for client in (alice, bob):
            await client.wait_for(lambda c=client: has_row(c, "how are you?"), what="Bob's message")

        for client in (alice, bob):
            rows = client.message_rows()
            # initials | name | time | text
            assert re.fullmatch(r"A \| Alice \| \d\d:\d\d UTC \| Hello Bob!", rows[-2])
            assert re.fullmatch(r"B \| Bob \| \d\d:\d\d UTC \| Hi Alice,\nhow are you\?", rows[-1])
        # The sender's composer is cleared and shows no error.
        assert alice.get("message_input").get("value") == ""
        assert not alice.get("message_input").get("error")


async def test_a_later_session_sees_the_conversation(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.send("before Carol came")
        await alice.wait_for(lambda: has_row(alice, "before Carol came"))
        async with connect(server) as carol:
            # History is on screen while the name dialog is still open (they load side by side,
            # so either may show first).
            await carol.wait_for(
                lambda: carol.dialog_open() and has_row(carol, "before Carol came"),
                what="history behind the name dialog",
            )


async def test_invalid_names_show_an_inline_error_and_keep_the_dialog(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as client:
        await client.wait_for(lambda: client.find("name_input"))
        for raw, error in [
            ("   ", "Name cannot be blank."),
            ("x" * 33, "Name must be at most 32 characters."),
            ("bad\x07name", "Name cannot contain control characters or line breaks."),
        ]:
            await client.type("name_input", raw)
            await client.click("join_button")
            await client.wait_for(
                lambda e=error: client.get("name_input").get("error") == e, what=error
            )
            assert client.dialog_open()
        assert client.message_rows() == []  # no join notice was broadcast


async def test_message_rules_are_enforced_by_the_server(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as client, connect(server) as observer:
        # Posting without joining is refused even by a client that skips the dialog.
        await client.wait_for(lambda: client.find("message_input"))
        await client.send("sneaky")
        await client.wait_for(
            lambda: (
                client.get("message_input").get("error") == "Join the chat before sending messages."
            )
        )
        await client.join("Dana")
        too_long = "y" * 4001
        await client.send(too_long)
        await client.wait_for(
            lambda: (
                client.get("message_input").get("error")
                == "Message is 4,001 characters; the limit is 4,000."
            )
        )
        assert (
            client.get("message_input").get("value") == too_long
        )  # nothing the user typed is lost
        await client.send("   \n  ", wait=False)  # blank: ignored, no error, nothing sent
        await client.send("x" * 4000)
        await observer.wait_for(
            lambda: has_row(observer, "x" * 4000), what="the 4,000-character message"
        )
        assert not any("sneaky" in row or "y" * 10 in row for row in observer.message_rows())
        dana_rows = [row[:60] for row in observer.message_rows() if "Dana | " in row]
        assert len(dana_rows) == 1, observer.message_rows()


async def test_rate_limit_shows_an_error_to_the_flooder(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as client:
        await client.join("Flood")
        for i in range(30):
            await client.send(f"spam {i}")
            if client.get("message_input").get("error"):
                break
        await client.wait_for(
            lambda: (
                client.get("message_input").get("error")
                == "You are sending messages too fast. Wait a moment."
            ),
            what="rate limit error",
        )


async def test_health_reports_database_and_sessions(
    server: ServerProcess, connect: Connect
) -> None:
    assert server.health()["database"] == "ok"
    async with connect(server) as client:
        await client.wait_for(lambda: client.find("name_input"))
        assert server.health()["sessions"] == 1


async def test_a_double_enter_sends_once_and_fast_typists_lose_nothing(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as typist, connect(server) as observer:
        await typist.join("Quick")
        # Enter twice before the server answers: one message.
        await typist.type("message_input", "only once")
        await typist.submit("message_input")
        await typist.submit("message_input")
        # The next message typed and sent before the first one is taken: both arrive.
        await typist.type("message_input", "first")
        await typist.submit("message_input")
        await typist.type("message_input", "second")
        await typist.submit("message_input")
        # Each arrives (the three posts run side by side, so not necessarily in the order typed:
        # waiting for the last one typed is not waiting for the others), and once.
        for text in ("second", "first", "only once"):
            await observer.wait_for(lambda t=text: has_row(observer, f"| {t}"), what=text)
        texts = [row.rsplit(" | ", 1)[-1] for row in observer.message_rows() if "Quick | " in row]
        assert sorted(texts) == ["first", "only once", "second"]
