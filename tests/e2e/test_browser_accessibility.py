"""What a screen reader gets, in real Chromium: Flutter's semantics tree as the browser's
accessibility tree (roles, names, values), the way assistive technology and Playwright's
role locators read it.

Each check is collected rather than asserted at once, so one run reports every problem. On the
code before issue 15 each problem the issue names failed here (the dialog was "Alert", the
conversation one node, so no row, action button or chip could be found, the sent text stayed in
the textbox, the member entry read "Message Alice A Alice guest", the account menu "Show menu
Account: ..."); the send with Enter and the room entry were right already and stay checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import open_chat
from tests.e2e.test_browser_chat import TIMEOUT, join_as, send_message
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

CHECK_TIMEOUT = 5_000
# "Alice, <time>: <text>", whatever the time looks like ("14:06 UTC", "2:06 PM").
ROW = r"^Alice, ([^,]+?): {text}$"  # the time: group 1


class Problems:
    """Checks that each say what a screen reader user would have met."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, what: str, expectation: Callable[[], None]) -> None:
        try:
            expectation()
        except AssertionError as error:
            self.found.append(f"{what}: " + " ".join(str(error).split())[:300])


def row_named(page: Page, text: str) -> re.Match[str] | None:
    """The name of the one message row saying `text`, if it is a node of its own."""
    rows = page.get_by_role("group", name=re.compile(ROW.format(text=re.escape(text))))
    expect(rows).to_have_count(1, timeout=CHECK_TIMEOUT)
    name = rows.get_attribute("aria-label") or ""
    return re.match(ROW.format(text=re.escape(text)), name)


def test_a_screen_reader_moves_message_by_message(
    browser: Browser, server: ServerProcess, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    problems = Problems()
    try:
        open_chat(page, server.base_url)
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_be_visible(timeout=TIMEOUT)
        # Flutter's web engine names the node just inside role=alertdialog (Chromium's tree
        # exposes it with that name): by default "Alert".
        problems.check(
            "the join dialog is announced by its title",
            lambda: expect(dialog.get_by_label("Welcome!", exact=True)).to_have_count(
                1, timeout=CHECK_TIMEOUT
            ),
        )
        problems.check(
            "the join dialog is not announced as 'Alert'",
            lambda: expect(dialog.get_by_label("Alert", exact=True)).to_have_count(0),
        )
        join_as(page, "Alice")

        composer = page.get_by_role("textbox", name="Message")
        send_message(
            page, server, "hello there", shows=page.get_by_label("hello there").first, button=True
        )
        problems.check(
            "the textbox is empty after a send with the button",
            lambda: expect(composer).to_have_value("", timeout=CHECK_TIMEOUT),
        )
        send_message(page, server, "second one", shows=page.get_by_label("second one").first)
        problems.check(
            "the textbox is empty after a send with Enter",
            lambda: expect(composer).to_have_value("", timeout=CHECK_TIMEOUT),
        )
        # One node per message, named "author, time: text", its actions button named for it.
        named: dict[str, re.Match[str] | None] = {}

        def name_row(text: str) -> Callable[[], None]:
            return lambda: named.update({text: row_named(page, text)})

        for text in ("hello there", "second one"):
            problems.check(
                f"{text!r} is a node of its own, read as 'Alice, <time>: {text}'",
                name_row(text),
            )
        first = named.get("hello there")
        if first is not None:
            row = page.get_by_role("group", name=first.group(0), exact=True)
            actions = row.get_by_role(
                "button", name=f"Actions for Alice's message at {first[1]}", exact=True
            )
            problems.check(
                "the actions button says whose message it is for",
                lambda: expect(actions).to_be_visible(timeout=CHECK_TIMEOUT),
            )
            actions.click()
            page.get_by_role("button", name="👍").click()
            chip = row.get_by_role("button", name="👍 1, reacted by Alice", exact=True)
            problems.check(
                "a reaction chip reads its emoji, count and who",
                lambda: expect(chip).to_be_visible(timeout=TIMEOUT),
            )
            # Flutter marks a node with a tap action "flt-tappable". The message's node has none:
            # a chip's tap once landed there, and activating the message toggled the reaction.
            problems.check(
                "activating the message does not react",
                lambda: expect(row).not_to_have_attribute("flt-tappable", ""),
            )
            if chip.count() == 1:
                # A screen reader activates a node with a DOM click, no pointer.
                chip.evaluate("e => e.click()")
                problems.check(
                    "activating the chip takes the reaction back",
                    lambda: expect(chip).to_have_count(0, timeout=CHECK_TIMEOUT),
                )
        # A notice is a node of its own too: its text, its time, nothing of the messages.
        problems.check(
            "the join notice is a node of its own",
            lambda: expect(
                page.get_by_text(re.compile(r"^Alice has joined the chat\.\s+\d[^A-Za-z]*\S*$"))
            ).to_have_count(1, timeout=CHECK_TIMEOUT),
        )

        problems.check(
            "the member entry says who, once, and what a click does",
            lambda: expect(
                page.get_by_role(
                    "button", name="Alice, online, guest. Send a direct message", exact=True
                )
            ).to_be_visible(timeout=CHECK_TIMEOUT),
        )
        problems.check(
            "the account menu is named once",
            lambda: expect(
                page.get_by_role("button", name="Account: Alice (guest)", exact=True)
            ).to_be_visible(timeout=CHECK_TIMEOUT),
        )
        problems.check(
            "the room entry is named by its room",
            lambda: expect(page.get_by_role("button", name="#general", exact=True)).to_be_visible(
                timeout=CHECK_TIMEOUT
            ),
        )
        (artifacts_dir / "e2e-accessibility-tree.yaml").write_text(
            page.locator("flt-semantics-host").aria_snapshot()
        )
        assert not problems.found, "\n".join(problems.found)
    finally:
        context.close()
