"""Edits, deletes, reactions and mentions as each person in the room sees them.

Rows are shared by every session, so these tests also check that a click on a shared row's
button is handled by the session of whoever clicked (ui/routing.py).
"""

from __future__ import annotations

import pytest

from flet_chat.testing.flet_client import FletClient, Node
from flet_chat.ui import keys
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def row_of(client: FletClient, fragment: str) -> Node | None:
    """The message row whose text contains `fragment`."""
    message_list = client.find(keys.MESSAGE_LIST)
    if message_list is None:
        return None
    for row in client.walk(message_list):
        if str(row.get("key", "")).startswith("msg-") and fragment in " | ".join(client.texts(row)):
            return row
    return None


def message_id(row: Node) -> int:
    return int(str(row["key"]).removeprefix("msg-").split("-")[0])


def actions_button(client: FletClient, message: int) -> Node:
    button = client.actions_button(message)
    if button is None:
        raise LookupError(f"no actions button on message {message}'s row")
    return button


def row_line(client: FletClient, message: int) -> str:
    """The row of message `message` as one line of its visible strings."""
    message_list = client.find(keys.MESSAGE_LIST)
    for row in client.walk(message_list) if message_list is not None else ():
        key = str(row.get("key", ""))
        if key.startswith("msg-") and message_id(row) == message:
            return " | ".join(client.texts(row))
    return ""


async def open_sheet(client: FletClient, message: int) -> None:
    await client.click(actions_button(client, message))
    await client.wait_for(
        lambda: client.in_dialog(keys.react("👍")), what="the action sheet of the clicker"
    )


async def choose(client: FletClient, key: str) -> None:
    control = client.in_dialog(key)
    assert control is not None, key
    await client.click(control)


async def post(client: FletClient, text: str) -> int:
    await client.send(text)
    row = await client.wait_for(lambda: row_of(client, text), what=text)
    return message_id(row)


async def test_each_session_handles_its_own_click_on_a_shared_row(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        mine = await post(alice, "my words")
        await bob.wait_for(lambda: row_of(bob, "my words"))
        # Both click the same shared "more" button: each gets a sheet of their own, and only
        # the author is offered Edit and Delete.
        await bob.click(actions_button(bob, mine))
        await alice.click(actions_button(alice, mine))
        await alice.wait_for(lambda: alice.in_dialog(keys.ACTION_EDIT), what="Alice's sheet")
        await bob.wait_for(lambda: bob.in_dialog(keys.react("👍")), what="Bob's sheet")
        assert bob.in_dialog(keys.ACTION_EDIT) is None
        assert bob.in_dialog(keys.ACTION_DELETE) is None
        assert alice.in_dialog(keys.ACTION_DELETE) is not None
        assert len(alice.open_dialogs()) == len(bob.open_dialogs()) == 1


async def test_an_edit_and_a_delete_reach_everyone_and_survive_a_reload(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        first = await post(alice, "teh first")
        second = await post(alice, "regrettable")
        await bob.wait_for(lambda: row_of(bob, "regrettable"))

        await open_sheet(alice, first)
        await choose(alice, keys.ACTION_EDIT)
        field = await alice.wait_for(lambda: alice.in_dialog(keys.EDIT_MESSAGE_INPUT))
        assert field.get("value") == "teh first"  # prefilled
        await alice.type(field, "the first")
        await choose(alice, keys.EDIT_SAVE)
        for client in (alice, bob):
            await client.wait_for(
                lambda c=client: (
                    "| the first" in row_line(c, first) and "(edited)" in row_line(c, first)
                ),
                what="the edited message",
            )
        await alice.wait_for(lambda: not alice.dialog_open(), what="the edit dialog to close")

        await open_sheet(alice, second)
        await choose(alice, keys.ACTION_DELETE)
        await alice.wait_for(lambda: alice.in_dialog(keys.DELETE_CONFIRM))
        await choose(alice, keys.DELETE_CONFIRM)
        for client in (alice, bob):
            await client.wait_for(
                # Under Alice's name above: her second message continues her group.
                lambda c=client: row_line(c, second) == "message deleted",
                what="the deleted stub",
            )
        assert not has_row(bob, "regrettable")
        assert bob.actions_button(second) is None  # nothing left to act on
        seen = [row_line(bob, first), row_line(bob, second)]

    async with connect(server) as later:
        await later.wait_for(lambda: row_line(later, second), what="history")
        assert [row_line(later, first), row_line(later, second)] == seen


async def test_an_edit_error_shows_in_the_dialog(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        mine = await post(alice, "something")
        await open_sheet(alice, mine)
        await choose(alice, keys.ACTION_EDIT)
        field = await alice.wait_for(lambda: alice.in_dialog(keys.EDIT_MESSAGE_INPUT))
        await alice.type(field, "   ")
        await choose(alice, keys.EDIT_SAVE)
        await alice.wait_for(lambda: field.get("error"), what="the error under the field")
        assert alice.in_dialog(keys.EDIT_SAVE) is not None  # still open, text kept
        assert "| something" in row_line(alice, mine)


async def test_reactions_toggle_with_counts_and_names_and_survive_a_reload(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        mine = await post(alice, "ship it")
        await bob.wait_for(lambda: row_of(bob, "ship it"))
        chip = keys.reaction_chip(mine, "👍")

        await open_sheet(bob, mine)
        await choose(bob, keys.react("👍"))
        await alice.wait_for(lambda: alice.find(chip), what="Bob's reaction")
        assert alice.texts(alice.get(chip)) == ["👍 1"]
        assert alice.get(chip).get("tooltip") == "Bob"
        await bob.wait_for(lambda: not bob.dialog_open(), what="the sheet to close")

        # Alice taps the chip: her reaction joins Bob's.
        await alice.click(chip)
        for client in (alice, bob):
            await client.wait_for(
                lambda c=client: c.find(chip) and c.texts(c.get(chip)) == ["👍 2"],
                what="two reactions",
            )
        assert bob.get(chip).get("tooltip") == "Bob, Alice"

        # Bob taps it again: his reaction goes, Alice's stays.
        await bob.click(chip)
        await alice.wait_for(
            lambda: alice.find(chip) and alice.texts(alice.get(chip)) == ["👍 1"],
            what="one reaction",
        )
        assert alice.get(chip).get("tooltip") == "Alice"

    async with connect(server) as later:
        await later.wait_for(lambda: later.find(chip), what="history with the reaction")
        assert later.texts(later.get(chip)) == ["👍 1"]
        assert later.get(chip).get("tooltip") == "Alice"


async def test_a_mention_is_highlighted_for_everyone(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.send("thanks @Bob, well done")
        for client in (alice, bob):
            row = await client.wait_for(lambda c=client: row_of(c, "thanks @Bob, well done"))
            spans = [
                c for c in client.walk(row) if c.get("_c") == "TextSpan" and c.get("text") == "@Bob"
            ]
            assert len(spans) == 1
            assert spans[0]["style"]["weight"] == "bold"
