"""Search in real Chromium: Bob opens the search dialog from the header, finds an old message
by a word, sees it with the word in bold, and a click opens the conversation there."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import TIMEOUT, join_as, submit_into
from tests.integration.test_search import said_before
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

OLD = "the launch checklist is ready"


def test_a_search_result_opens_the_conversation_at_that_message(
    browser: Browser,
    server_factory: Callable[..., ServerProcess],
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    fillers = [f"filler {i}" for i in range(60)]  # OLD is not on the newest page
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, said_before(tmp_path / "data", [OLD, *fillers])).result()
    server = server_factory(data_dir=tmp_path / "data")
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    bob = context.new_page()
    try:
        open_chat(bob, server.base_url)
        join_as(bob, "Bob")
        expect(said(bob, "filler 59")).to_be_visible(timeout=TIMEOUT)

        bob.get_by_role("button", name="Search messages", exact=True).click()
        before = bob.screenshot()
        result = bob.get_by_text(OLD)
        # Typed again if the keys never reached Flutter (a search again is harmless).
        submit_into(bob, "Words to find", "Launch", result)
        screenshot_after_change(bob, before, artifacts_dir / "e2e-search-results.png")

        before = bob.screenshot()
        result.click()
        expect(bob.get_by_role("dialog")).to_have_count(0, timeout=TIMEOUT)
        # The row itself (a group named "Alice, <time>: ..."), on screen: not the dialog's
        # result fading out, nor a row the list holds below the fold.
        row = bob.get_by_role("group", name=re.compile(rf"^Alice, [^,]+: {OLD}$"))
        expect(row).to_be_in_viewport(timeout=TIMEOUT)
        expect(said(bob, "filler 59")).not_to_be_in_viewport(timeout=TIMEOUT)
        expect(bob.get_by_role("button", name="Jump to newest messages")).to_be_visible(
            timeout=TIMEOUT
        )
        screenshot_after_change(bob, before, artifacts_dir / "e2e-search-opened.png")
    finally:
        context.close()
