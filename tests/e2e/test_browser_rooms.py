"""Rooms in real Chromium: Alice creates a room on a wide screen, Bob finds it in the drawer of a
phone-sized one, joins, and they talk there; Bob's reaction reaches Alice."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import TIMEOUT, join_as, send_message, submit_into
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_create_a_room_switch_to_it_and_talk_there(
    browser: Browser, server: ServerProcess, artifacts_dir: Path
) -> None:
    alice_context = browser.new_context(viewport={"width": 1100, "height": 700})
    bob_context = browser.new_context(viewport={"width": 400, "height": 760})
    alice, bob = alice_context.new_page(), bob_context.new_page()
    try:
        open_chat(alice, server.base_url)
        open_chat(bob, server.base_url)
        join_as(alice, "Alice")
        join_as(bob, "Bob")

        # Alice creates #design from the room list beside the conversation and lands in it.
        submit_into(alice, "Create or join a room", "design", alice.get_by_text("#design").first)
        send_message(alice, server, "Mockups are up")

        # Bob, on a phone-sized screen, opens the rooms drawer and joins #design.
        before = bob.screenshot()
        bob.get_by_role("button", name="Show rooms", exact=True).click()
        expect(bob.get_by_text("#design")).to_be_visible(timeout=TIMEOUT)
        expect(bob.get_by_role("textbox", name="Create or join a room")).to_be_in_viewport(
            timeout=TIMEOUT
        )
        screenshot_after_change(bob, before, artifacts_dir / "e2e-rooms-bob-drawer.png")
        bob.get_by_text("#design").click()
        expect(said(bob, "Mockups are up")).to_be_visible(timeout=TIMEOUT)
        send_message(bob, server, "Looks great")
        expect(said(alice, "Looks great")).to_be_visible(timeout=TIMEOUT)

        # Bob reacts to Alice's message from its action sheet; Alice sees the chip.
        bob.get_by_role("button", name="Actions for Alice's message").first.click()
        bob.get_by_role("button", name="👍").click()
        # The chip reads its count and who reacted.
        expect(said(alice, "👍 1, reacted by Bob")).to_be_visible(timeout=TIMEOUT)
        expect(said(bob, "👍 1, reacted by Bob")).to_be_visible(timeout=TIMEOUT)
        alice.screenshot(path=artifacts_dir / "e2e-rooms-alice.png")
        bob.screenshot(path=artifacts_dir / "e2e-rooms-bob.png")
    finally:
        alice_context.close()
        bob_context.close()
