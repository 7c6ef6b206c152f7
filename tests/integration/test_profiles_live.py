"""A profile change as each session sees it, over Flet's wire protocol: who is online shows it
at once everywhere; message rows already on screen change in the author's own sessions only,
while new rows (and history loaded afresh) show it everywhere."""

from __future__ import annotations

import pytest

from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from tests.integration.conftest import Connect
from tests.integration.test_message_actions import post, row_line
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def member_line(client: FletClient, name: str) -> str:
    member_list = client.find(keys.MEMBER_LIST)
    for row in client.walk(member_list) if member_list is not None else ():
        if keys.member_of(str(row.get("key", ""))) == name:
            return " | ".join(client.texts(row))
    return ""


async def set_display_name(client: FletClient, display_name: str, status: str) -> None:
    await client.click(keys.ACCOUNT_PROFILE)  # the account menu's "Profile"
    await client.wait_for(lambda: client.in_dialog(keys.PROFILE_SAVE), what="the profile dialog")
    await client.type(keys.PROFILE_DISPLAY_NAME, display_name)
    await client.type(keys.PROFILE_STATUS, status)
    await client.click(keys.PROFILE_SAVE)
    await client.wait_for(lambda: client.value(keys.PROFILE_SAVED) == "Saved.", what="saved")


async def test_a_new_display_name_reaches_lists_rows_and_history(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as ann, connect(server) as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        before = await post(ann, "before the change")
        await bob.wait_for(lambda: row_line(bob, before), what="Ann's first message")
        assert row_line(bob, before).startswith("A | Ann | ")

        await set_display_name(ann, "Ann Lee", "writing tests")

        # Who is online: every session, at once.
        await bob.wait_for(
            # A guest's row ends with its mark.
            lambda: member_line(bob, "Ann") == "A | Ann Lee | @Ann | writing tests | guest",
            what="Ann's new name in Bob's member list",
        )
        # Ann's own rows are drawn again for her; Bob's row of it stays as it was drawn.
        await ann.wait_for(
            lambda: row_line(ann, before).startswith("A | Ann Lee | @Ann | "),
            what="Ann's own row redrawn",
        )
        assert row_line(bob, before).startswith("A | Ann | ")

        # What she says next shows her display name to everyone, beside her @name (after Bob's
        # answer, so her row starts a group of its own and shows her name).
        await post(bob, "noted")
        after = await post(ann, "after the change")
        await bob.wait_for(lambda: row_line(bob, after), what="Ann's second message")
        assert row_line(bob, after).startswith("A | Ann Lee | @Ann | ")

        # Someone who opens the chat now gets history drawn with the profile as it is.
        async with connect(server) as cy:
            await cy.wait_for(lambda: row_line(cy, before), what="history")
            assert row_line(cy, before).startswith("A | Ann Lee | @Ann | ")
            assert row_line(cy, after).startswith("A | Ann Lee | @Ann | ")
