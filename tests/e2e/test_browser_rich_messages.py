"""Markdown and emoji in real Chromium: a formatted message is read as its plain words, its
link opens the target in a new tab, `:tad` + Enter and the picker put emoji into the composer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from flet_chat.ui.controls.chat_message import AVATAR_GUTTER, ROW_SPACING
from tests.e2e.conftest import conversation, open_chat
from tests.e2e.test_browser_chat import (
    TIMEOUT,
    expect_value,
    join_as,
    send_message,
    type_into,
    type_until,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

# Where a continued row's text starts: the avatar's gutter and the row's spacing
# (ui/controls/chat_message.py AVATAR_GUTTER, ROW_SPACING), and a few pixels into the word.
LINK_START = AVATAR_GUTTER + ROW_SPACING + 8


def test_markdown_reads_plainly_and_emoji_go_into_the_composer(
    browser: Browser, server: ServerProcess, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    try:
        open_chat(page, server.base_url)
        join_as(page, "Alice")
        composer = page.get_by_role("textbox", name="Message")

        said = "bold and code, see the docs (https://example.com/d)"
        send_message(
            page,
            server,
            "**bold** and `code`, see [the docs](https://example.com/d)",
            shows=page.get_by_label(re.compile(re.escape(said))).first,
        )
        assert "**" not in conversation(page)
        assert "`" not in conversation(page)

        # A link opens its target in a new tab. (Its text is drawn on the canvas and silent
        # for screen readers, so the click goes where a continued row's text starts.)
        context.route("https://example.com/**", lambda route: route.fulfill(body="docs"))
        link_row = page.get_by_role("group", name=re.compile(r"^Alice, .*: docs [(]https:"))
        send_message(page, server, "[docs](https://example.com/page)", shows=link_row)
        expect(link_row).to_have_count(1)
        box = link_row.bounding_box()
        assert box is not None
        with context.expect_page(timeout=TIMEOUT) as opened:
            page.mouse.click(box["x"] + LINK_START, box["y"] + box["height"] / 2)
        expect(opened.value).to_have_url("https://example.com/page", timeout=TIMEOUT)
        page.bring_to_front()

        # `:tad` suggests 🎉 under the field; Enter puts it in place instead of sending.
        tada = page.get_by_role("button", name="Insert tada")
        type_until(page, "Message", "party :tad", tada)
        page.keyboard.press("Enter")
        expect_value(page, composer, "party 🎉")
        page.keyboard.press("Enter")
        expect(page.get_by_label(re.compile("party 🎉$")).first).to_be_visible(timeout=TIMEOUT)

        # The picker: search, click, the emoji is added at the end of the text.
        type_into(page, "Message", "off we go ")
        page.get_by_role("button", name="Insert emoji").click()
        type_into(page, "Search emoji", "rocket")
        page.get_by_role("button", name="rocket", exact=True).click()
        expect_value(page, composer, "off we go 🚀")
        page.get_by_role("button", name="Send message", exact=True).click()
        rows = page.get_by_role("group", name=re.compile("^Alice, .*: off we go 🚀$"))
        expect(rows).to_have_count(1, timeout=TIMEOUT)
        expect(composer).to_have_value("", timeout=TIMEOUT)
        page.screenshot(path=str(artifacts_dir / "rich-messages.png"))

    finally:
        context.close()
