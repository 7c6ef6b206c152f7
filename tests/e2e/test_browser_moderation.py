"""Moderation in real Chromium (issue 17): Alice, a chat admin, owns #team; Carol reports one of
Bob's messages; Alice removes another of his and mutes him, and Bob sees "removed by a
moderator" and his composer muted; Alice opens /admin and finds Carol's report and the audit
log. Screenshots of Bob's muted composer and of the admin view go to the artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import open_chat, said
from tests.e2e.test_browser_chat import (
    TIMEOUT,
    join_as,
    send_message,
    submit_into,
    submit_until,
    type_into,
)
from tests.e2e.test_browser_profile import apart, signed_in_as
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.e2e

ADMIN = "Alice"
PASSWORD = "correct horse battery staple 17"


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("moderation")
    server = ServerProcess(
        data_dir=root / "data",
        log_path=root / "server.log",
        env_overrides={"FLET_CHAT_ADMINS": json.dumps([ADMIN])},
    ).start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.error_lines(), "server logged errors:\n" + "\n".join(server.error_lines())


async def _admin_token(server: ServerProcess) -> str:
    async with sio_client(server) as client:
        signed = await client.sign_up(ADMIN, PASSWORD)
    assert signed["ok"], signed
    return str(signed["token"])


def join_team(page: Page) -> None:
    page.get_by_text("Join #team").click()
    expect(page.get_by_role("button", name="Leave this room")).to_be_visible(timeout=TIMEOUT)


def test_a_moderator_removes_and_mutes_and_the_admin_sees_the_report(
    browser: Browser, shared_server: ServerProcess, artifacts_dir: Path
) -> None:
    server = shared_server
    token = apart(_admin_token(server))
    contexts = [browser.new_context(viewport={"width": 1200, "height": 760}) for _ in range(3)]
    alice, bob, carol = (context.new_page() for context in contexts)
    try:
        signed_in_as(alice, token)
        open_chat(alice, server.base_url)  # signed in already: no dialog
        expect(alice.get_by_role("button", name="Admin", exact=True)).to_be_visible(timeout=TIMEOUT)
        open_chat(bob, server.base_url)
        open_chat(carol, server.base_url)
        join_as(bob, "Bob")
        join_as(carol, "Carol")

        leave = alice.get_by_role("button", name="Leave this room")
        submit_into(alice, "Create or join a room", "team", leave)
        join_team(bob)
        join_team(carol)
        send_message(bob, server, "Buy cheap watches now")
        send_message(bob, server, "You are all idiots")
        expect(said(carol, "You are all idiots")).to_be_visible(timeout=TIMEOUT)

        # Carol reports Bob's insult from its action sheet.
        carol.bring_to_front()
        carol.get_by_role("button", name="Actions for Bob's message").last.click()
        carol.get_by_text("Report", exact=True).click()

        def report() -> None:
            type_into(carol, "Why are you reporting this message?", "Insults the room")
            carol.get_by_role("button", name="Report", exact=True).click()

        # Typed again only when refused for a blank reason (its keys never reached Flutter).
        submit_until(
            report,
            carol.get_by_text("Thanks: the admins will look at it."),
            carol.get_by_text("Say why (a few words)."),
        )

        # Alice, the room's owner, removes Bob's spam.
        alice.bring_to_front()
        expect(said(alice, "Buy cheap watches now")).to_be_visible(timeout=TIMEOUT)
        alice.get_by_role("button", name="Actions for Bob's message").first.click()
        alice.get_by_text("Remove", exact=True).click()
        type_into(alice, "Reason (optional)", "spam")
        alice.get_by_role("button", name="Remove", exact=True).click()
        expect(said(bob, "removed by a moderator")).to_be_visible(timeout=TIMEOUT)
        expect(said(alice, "removed by a moderator")).to_be_visible(timeout=TIMEOUT)
        expect(said(bob, "Buy cheap watches now")).to_be_hidden(timeout=TIMEOUT)

        # ... and mutes Bob for an hour from the room's menu.
        alice.get_by_role("button", name="Manage room").click()
        alice.get_by_role("button", name="Moderate Bob").click()
        alice.get_by_role("button", name="Mute for 1 h").click()
        expect(alice.get_by_text("Bob is muted until")).to_be_visible(timeout=TIMEOUT)
        muted = bob.get_by_text("You are muted in #team until")
        expect(muted).to_be_visible(timeout=TIMEOUT)
        expect(bob.get_by_role("textbox", name="Message")).to_be_disabled(timeout=TIMEOUT)
        bob.screenshot(path=artifacts_dir / "e2e-moderation-bob-muted.png")

        # Alice opens the admin view: Carol's report, with the message in context.
        alice.get_by_role("button", name="Admin", exact=True).click()
        expect(alice.get_by_text("Reported by Carol", exact=False)).to_be_visible(timeout=TIMEOUT)
        expect(alice.get_by_text("Reason: Insults the room")).to_be_visible(timeout=TIMEOUT)
        expect(alice.get_by_text("Bob: You are all idiots", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
        alice.screenshot(path=artifacts_dir / "e2e-moderation-admin-reports.png")
        alice.get_by_role("button", name="Audit log").click()
        expect(alice.get_by_text("Alice muted Bob in #team", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
        expect(alice.get_by_text("Alice removed a message of Bob", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
        alice.screenshot(path=artifacts_dir / "e2e-moderation-admin-audit.png")
        # The address bar followed: the browser's back button is back to the chat.
        assert alice.url.endswith("/admin")
        alice.go_back()
        expect(alice.get_by_role("button", name="Manage room")).to_be_visible(timeout=TIMEOUT)
        expect(alice.get_by_text("Audit log", exact=True)).to_have_count(0)

        # Bob typing the address gets "Admins only" and nothing else.
        bob.bring_to_front()
        open_chat(bob, f"{server.base_url}/admin")
        expect(bob.get_by_text("Admins only")).to_be_visible(timeout=TIMEOUT)
        expect(bob.get_by_text("Reported by Carol", exact=False)).to_have_count(0)
    finally:
        for context in contexts:
            context.close()
