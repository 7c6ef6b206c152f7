"""Moderation and private rooms as people meet them in the Flet UI (issue 17), over Flet's
protocol against a real server: a moderator removes a message, mutes, kicks; private rooms stay
out of other people's directories; /admin is for admins only, and an admin resolves a report
there and finds it in the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY
from tests.integration.conftest import Connect
from tests.integration.test_message_actions import choose, open_sheet, post, row_line, row_of
from tests.integration.test_rooms import create_room, room_entries, title
from tests.integration.test_scale_out import cluster_env
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration

ADMIN = "Root"
ADMIN_PASSWORD = "correct horse battery staple 17"


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(env={"FLET_CHAT_ADMINS": json.dumps([ADMIN])})


async def admin_storage(server: ServerProcess) -> dict[str, Any]:
    """Client storage holding a session token of the admin's account (signed up on the server,
    so its configured admins apply)."""
    async with sio_client(server) as client:
        signed = await client.sign_up(ADMIN, ADMIN_PASSWORD)
    assert signed["ok"], signed
    return {IDENTITY_STORAGE_KEY: signed["token"]}


async def signed_in(client: FletClient) -> None:
    await client.wait_for(lambda: client.find(keys.ACCOUNT_MENU), what="the account menu")


def composer(client: FletClient) -> dict[str, Any]:
    return client.get(keys.MESSAGE_INPUT)


async def join_room(client: FletClient, key: str) -> None:
    await client.wait_for(lambda: client.find(keys.directory_entry(key)), what=f"#{key} listed")
    await client.click(keys.directory_entry(key))
    await client.wait_for(lambda: title(client) == f"#{key}", what=f"#{key} on screen")


async def moderate(client: FletClient, member: str, action: str, reason: str = "") -> None:
    """As a moderator: the room menu, the member, then the action."""
    await client.click(keys.ROOM_MENU_BUTTON)
    button = await client.wait_for(
        lambda: client.in_dialog(keys.moderate_member(member)), what=f"{member} in the menu"
    )
    await client.click(button)
    await client.wait_for(lambda: client.in_dialog(keys.MODERATE_REASON), what="member dialog")
    if reason:
        await client.type(client.in_dialog(keys.MODERATE_REASON) or {}, reason)
    await choose(client, keys.moderate_action(action))


async def test_a_moderator_removes_a_message_and_everyone_sees_it_was_a_moderator(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")
        said = await post(bob, "buy cheap watches")
        own = await post(olive, "welcome")
        await olive.wait_for(lambda: row_of(olive, "buy cheap watches"))

        # Bob is offered no removal of the owner's message, but may report it.
        await bob.wait_for(lambda: row_of(bob, "welcome"))
        await open_sheet(bob, own)
        assert bob.in_dialog(keys.ACTION_REMOVE) is None
        assert bob.in_dialog(keys.ACTION_REPORT) is not None

        await open_sheet(olive, said)
        assert olive.in_dialog(keys.ACTION_DELETE) is None  # not hers to delete as author
        assert olive.in_dialog(keys.ACTION_REPORT) is not None
        await choose(olive, keys.ACTION_REMOVE)
        reason = await olive.wait_for(lambda: olive.in_dialog(keys.REMOVE_REASON))
        await olive.type(reason, "spam")
        await choose(olive, keys.REMOVE_CONFIRM)
        for client in (olive, bob):
            await client.wait_for(
                lambda c=client: row_line(c, said).endswith("removed by a moderator"),
                what="the removed stub",
            )
            assert "buy cheap watches" not in row_line(client, said)


async def test_a_muted_member_reads_but_cannot_post_until_unmuted(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")

        await moderate(olive, "Bob", "mute-10", reason="cool off")
        await olive.wait_for(lambda: olive.in_dialog(keys.MODERATION_DONE), what="the snack")
        field = composer(bob)
        await bob.wait_for(lambda: field.get("disabled"), what="Bob's composer disabled")
        assert str(field.get("helper")).startswith("You are muted in #dev until ")

        # What the UI disables the core refuses too: a send that gets through is refused.
        await bob.send("let me speak", wait=False)
        await bob.wait_for(lambda: field.get("error"), what="the refusal")
        assert "muted" in str(field.get("error"))
        await post(olive, "still readable")
        await bob.wait_for(lambda: row_of(bob, "still readable"), what="Bob still reads")

        # A new tab of Bob's (a reload) finds him muted too.
        async with connect(server, storage=bob.storage) as again:
            await signed_in(again)
            entry = await again.wait_for(lambda: again.find(keys.room_entry("dev")), what="#dev")
            await again.click(entry)
            await again.wait_for(
                lambda: again.get(keys.MESSAGE_INPUT).get("disabled"), what="muted after reload"
            )

        await moderate(olive, "Bob", "unmute")
        await bob.wait_for(lambda: not field.get("disabled"), what="Bob's composer back")
        assert not field.get("helper")
        await post(bob, "thanks")


async def test_a_kicked_member_loses_the_room_and_is_told(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")
        await moderate(olive, "Bob", "kick")
        await bob.wait_for(lambda: title(bob) == "#general", what="Bob taken to #general")
        await bob.wait_for(lambda: room_entries(bob) == ["#general"], what="#dev gone")
        notice = await bob.wait_for(lambda: bob.in_dialog(keys.MODERATION_NOTICE))
        assert notice.get("value") == "You were removed from #dev"


async def test_a_private_room_never_reaches_an_outsiders_directory(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await olive.wait_for(lambda: room_entries(olive), what="room list")
        await olive.toggle(keys.NEW_ROOM_PRIVATE, True)
        await create_room(olive, "secret")
        assert olive.find(keys.room_lock("secret")) is not None
        assert not olive.get(keys.NEW_ROOM_PRIVATE).get("value")  # back to public
        # A public room made after it reaches Bob's directory; the private one never did.
        await create_room(olive, "open")
        await bob.wait_for(lambda: bob.find(keys.directory_entry("open")), what="#open listed")
        assert bob.find(keys.directory_entry("secret")) is None

        # Invited, Bob has it in his list (locked), and reads it.
        await olive.click(keys.room_entry("secret"))
        await olive.wait_for(lambda: title(olive) == "#secret")
        await olive.click(keys.ROOM_MENU_BUTTON)
        field = await olive.wait_for(lambda: olive.in_dialog(keys.INVITE_INPUT))
        await olive.type(field, "Nobody")
        await choose(olive, keys.INVITE_BUTTON)
        await olive.wait_for(lambda: field.get("error"), what="the error under the field")
        await olive.type(field, "Bob")
        await choose(olive, keys.INVITE_BUTTON)
        await bob.wait_for(lambda: bob.find(keys.room_lock("secret")), what="#secret for Bob")
        assert bob.find(keys.directory_entry("secret")) is None


async def test_slow_mode_says_so_and_refuses_a_send_too_soon(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")
        await olive.click(keys.ROOM_MENU_BUTTON)
        await olive.wait_for(lambda: olive.in_dialog(keys.slow_mode(30)))
        await choose(olive, keys.slow_mode(30))
        field = composer(bob)
        await bob.wait_for(
            lambda: field.get("helper") == "Slow mode: one message every 30 s", what="the note"
        )
        await post(bob, "first")
        await bob.send("too soon", wait=False)
        await bob.wait_for(lambda: field.get("error"), what="the slow mode refusal")
        assert "Slow mode is on in #dev" in str(field.get("error"))
        assert field.get("value") == "too soon"  # the draft is kept


async def test_admin_is_for_admins_only(server: ServerProcess, connect: Connect) -> None:
    async with connect(server, route="/admin") as bob:
        await bob.join("Bob")
        await bob.wait_for(lambda: bob.find(keys.ADMINS_ONLY), what="Admins only")
        assert bob.find(keys.report_card(1)) is None
        sections = bob.find(keys.admin_section("reports"))
        assert sections is None or not _visible_path(bob, keys.admin_section("reports"))
        assert bob.find(keys.ADMIN_BUTTON) is None  # no header entry for him


def _visible_path(client: FletClient, key: str) -> bool:
    """Whether every control from the page down to `key` is visible."""

    def walk(node: Any, visible: bool) -> bool | None:
        if isinstance(node, dict):
            visible = visible and node.get("visible", True) is not False
            if node.get("key") == key:
                return visible
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return None
        for child in children:
            found = walk(child, visible)
            if found is not None:
                return found
        return None

    return bool(walk(client.page, True))


async def test_an_admin_resolves_a_report_and_finds_it_in_the_audit_log(
    server: ServerProcess, connect: Connect
) -> None:
    storage = await admin_storage(server)
    async with connect(server) as bob, connect(server) as carol:
        await bob.join("Bob")
        await carol.join("Carol")
        await post(carol, "before it")
        said = await post(bob, "nasty words")
        await post(carol, "after it")
        await carol.wait_for(lambda: row_of(carol, "after it"))

        await open_sheet(carol, said)
        await choose(carol, keys.ACTION_REPORT)
        field = await carol.wait_for(lambda: carol.in_dialog(keys.REPORT_REASON))
        await choose(carol, keys.REPORT_SEND)  # no reason: refused under the field
        await carol.wait_for(lambda: field.get("error"), what="the reason's error")
        # A client that ignores the field's limit is refused by the core, under the field too.
        await carol.type(field, "x" * 600)
        await choose(carol, keys.REPORT_SEND)
        await carol.wait_for(lambda: "500" in str(field.get("error")), what="the length error")
        await carol.type(field, "insults")
        await choose(carol, keys.REPORT_SEND)
        await carol.wait_for(lambda: carol.in_dialog(keys.REPORT_SNACK), what="the thanks")

        async with connect(server, storage=storage) as root:
            await signed_in(root)
            await root.wait_for(lambda: root.find(keys.ADMIN_BUTTON), what="the Admin entry")
            await root.click(keys.ADMIN_BUTTON)
            card = await root.wait_for(
                lambda: root.find(keys.report_card(1)), what="the open report"
            )
            texts = " | ".join(root.texts(card))
            assert "Reported by Carol" in texts
            assert "Reason: insults" in texts
            assert "before it" in texts
            assert "after it" in texts
            reported = root.get(keys.report_message(1))
            assert "nasty words" in " ".join(root.texts(reported))

            await root.click(keys.resolve_report(1, "mute"))
            await root.wait_for(lambda: root.find(keys.ADMIN_EMPTY), what="no open reports")
            await root.click(keys.admin_section("audit"))
            await root.wait_for(
                lambda: any("Root muted Bob" in line for line in _audit_lines(root)),
                what="the audit log",
            )
            lines = _audit_lines(root)
            assert any("Root muted Bob in #general" in line for line in lines), lines

        # Bob is muted in #general now: his composer says so.
        await bob.wait_for(lambda: composer(bob).get("disabled"), what="Bob muted")


def _audit_lines(client: FletClient) -> list[str]:
    body = client.find(keys.ADMIN_BODY)
    if body is None:
        return []
    return [
        str(node.get("value", ""))
        for node in client.walk(body)
        if str(node.get("key", "")).startswith("audit-")
    ]


def member_keys(client: FletClient) -> list[str]:
    member_list = client.find(keys.MEMBER_LIST)
    if member_list is None:
        return []
    return [str(row.get("key")) for row in member_list.get("controls", [])]


async def test_roles_show_in_the_member_list_and_follow_changes(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")
        await bob.wait_for(
            lambda: (
                member_keys(bob)
                == [
                    keys.member_row("Bob", guest=True),
                    keys.member_row("Olive", guest=True, role="owner"),
                ]
            ),
            what="Olive as the owner",
        )
        await moderate(olive, "Bob", "make-moderator")
        for client in (olive, bob):
            await client.wait_for(
                lambda c=client: (
                    keys.member_row("Bob", guest=True, role="moderator") in member_keys(c)
                ),
                what="Bob as a moderator",
            )
        # Bob, a moderator now, is offered moderation of nobody above him.
        await bob.click(keys.ROOM_MENU_BUTTON)
        await bob.wait_for(lambda: bob.in_dialog(keys.ROOM_MEMBERS), what="Bob's menu")
        assert bob.in_dialog(keys.moderate_member("Olive")) is None
        assert bob.in_dialog(keys.slow_mode(30)) is not None
        assert bob.in_dialog(keys.TRANSFER_INPUT) is None  # the owner's
        await choose(bob, keys.ROOM_MENU_CLOSE)

        # Olive hands the room to Bob: he owns it, she moderates it, in every list.
        await olive.click(keys.ROOM_MENU_BUTTON)
        field = await olive.wait_for(lambda: olive.in_dialog(keys.TRANSFER_INPUT))
        await olive.type(field, "Bob")
        await choose(olive, keys.TRANSFER_BUTTON)
        expected = [
            keys.member_row("Bob", guest=True, role="owner"),
            keys.member_row("Olive", guest=True, role="moderator"),
        ]
        for client in (olive, bob):
            await client.wait_for(lambda c=client: member_keys(c) == expected, what="the new owner")


async def test_an_archived_room_is_read_only_and_leaves_the_directory(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as olive, connect(server) as bob, connect(server) as carol:
        await olive.join("Olive")
        await bob.join("Bob")
        await carol.join("Carol")
        await create_room(olive, "old")
        await join_room(bob, "old")
        await carol.wait_for(lambda: carol.find(keys.directory_entry("old")), what="#old listed")

        await olive.click(keys.ROOM_MENU_BUTTON)
        await olive.wait_for(lambda: olive.in_dialog(keys.ARCHIVE_BUTTON))
        await choose(olive, keys.ARCHIVE_BUTTON)
        for client in (olive, bob):
            field = composer(client)
            await client.wait_for(
                lambda f=field: (
                    f.get("disabled") and f.get("helper") == "This room is archived (read-only)"
                ),
                what="the archived composer",
            )
        await carol.wait_for(
            lambda: carol.find(keys.directory_entry("old")) is None, what="#old unlisted"
        )
        await bob.send("anyone?", wait=False)
        await bob.wait_for(lambda: composer(bob).get("error"), what="the refusal")
        assert "archived" in str(composer(bob).get("error"))

        # Unarchived, it is writable again and listed again.
        await olive.click(keys.ROOM_MENU_BUTTON)
        button = await olive.wait_for(lambda: olive.in_dialog(keys.ARCHIVE_BUTTON))
        assert "Unarchive" in " ".join(olive.texts(button))
        await olive.click(button)
        await bob.wait_for(lambda: not composer(bob).get("disabled"), what="writable again")
        await carol.wait_for(lambda: carol.find(keys.directory_entry("old")), what="listed again")


async def test_across_two_processes_a_mute_and_a_removal_reach_the_other_process(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = {**cluster_env(postgres_url), "FLET_CHAT_ADMINS": json.dumps([ADMIN])}
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with connect(a) as olive, connect(b) as bob:
        await olive.join("Olive")
        await bob.join("Bob")
        await create_room(olive, "dev")
        await join_room(bob, "dev")
        said = await post(bob, "spam from process B")
        await olive.wait_for(lambda: row_of(olive, "spam from process B"), what="on A")
        await open_sheet(olive, said)
        await choose(olive, keys.ACTION_REMOVE)
        await olive.wait_for(lambda: olive.in_dialog(keys.REMOVE_CONFIRM))
        await choose(olive, keys.REMOVE_CONFIRM)
        await bob.wait_for(
            lambda: row_line(bob, said).endswith("removed by a moderator"), what="on B"
        )
        await moderate(olive, "Bob", "mute-60")
        await bob.wait_for(lambda: composer(bob).get("disabled"), what="Bob muted on B")


async def test_a_ban_from_the_chat_ends_the_session_and_the_admin_lifts_it(
    server: ServerProcess, connect: Connect
) -> None:
    storage = await admin_storage(server)
    async with connect(server, storage=storage) as root, connect(server) as bob:
        await signed_in(root)
        await bob.join("Bob")
        await create_room(root, "dev")
        await join_room(bob, "dev")
        await moderate(root, "Bob", "ban-chat", reason="troll")
        # Bob's session ended: his account menu is gone and he is back in #general.
        await bob.wait_for(
            lambda: (
                not bob.find(keys.ACCOUNT_MENU)
                or not bob.get(keys.ACCOUNT_MENU).get("visible", True)
            ),
            what="Bob signed out",
        )
        await bob.wait_for(lambda: title(bob) == "#general", what="#general behind the dialog")

        await root.click(keys.ADMIN_BUTTON)
        await root.wait_for(lambda: root.find(keys.ADMIN_VIEW), what="the admin view")
        await root.click(keys.admin_section("banned"))
        button = await root.wait_for(lambda: root.find(keys.unban("Bob")), what="Bob banned")
        await root.click(button)
        await root.wait_for(lambda: root.find(keys.ADMIN_EMPTY), what="nobody banned")
        await root.click(keys.ADMIN_BACK)
        await root.wait_for(lambda: root.find(keys.ADMIN_VIEW) is None, what="back to chat")
        assert title(root) == "#dev"


async def test_in_general_the_admins_moderate_by_name(
    server: ServerProcess, connect: Connect
) -> None:
    storage = await admin_storage(server)
    async with connect(server, storage=storage) as root, connect(server) as bob:
        await signed_in(root)
        await bob.join("Bob")
        await root.wait_for(lambda: root.find(keys.ROOM_MENU_BUTTON), what="Root's menu")
        assert not bob.find(keys.ROOM_MENU_BUTTON)  # #general has no owner: admins only
        await root.click(keys.ROOM_MENU_BUTTON)
        field = await root.wait_for(lambda: root.in_dialog(keys.MODERATE_NAME))
        assert root.in_dialog(keys.INVITE_INPUT) is None  # everyone is in #general
        assert root.in_dialog(keys.ARCHIVE_BUTTON) is None
        await root.type(field, "Bob")
        await choose(root, keys.MODERATE_NAME_BUTTON)
        await root.wait_for(lambda: root.in_dialog(keys.moderate_action("mute-60")))
        assert root.in_dialog(keys.moderate_action("kick")) is None
        await choose(root, keys.moderate_action("mute-60"))
        await bob.wait_for(lambda: composer(bob).get("disabled"), what="Bob muted in #general")
        assert str(composer(bob).get("helper")).startswith("You are muted in #general until ")
