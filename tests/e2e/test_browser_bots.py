"""A person in Chromium uses slash commands and sees a Socket.IO client's and the bot's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import socketio
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import conversation, open_chat, said
from tests.e2e.test_browser_chat import TIMEOUT, join_as, send_message, submit_into
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_bot_answers_and_private_hints(
    browser: Browser, server: ServerProcess, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 700})
    page = context.new_page()
    console = socketio.Client()
    try:
        open_chat(page, server.base_url)
        join_as(page, "Alice", press_enter=True)
        expect(page.get_by_text("Alice has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )

        # The seed's console, unchanged, says something; Alice sees it under a guest name.
        console.connect(server.base_url)
        console.emit("chat_user_input", "Hello from the seed console")
        expect(said(page, "Hello from the seed console")).to_be_visible(timeout=TIMEOUT)

        send_message(
            page,
            server,
            "/ask is this thing on?",
            shows=said(page, "This is my answer to your question: is this thing on?"),
            stored="is this thing on?",
        )
        answer = re.compile(r"Helper \(BOT\), [^,\n]+: This is my answer")
        assert answer.search(conversation(page)), conversation(page)

        # Nothing is sent: typed again if its keys never reached Flutter.
        unknown = page.get_by_text("Unknown command /nonsense", exact=False)
        submit_into(page, "Message", "/nonsense", unknown)
        page.wait_for_timeout(1000)  # only so the screenshot below shows the settled frame
        page.screenshot(path=artifacts_dir / "e2e-bots.png")
    finally:
        if console.connected:
            console.disconnect()
        context.close()
