"""Two people in two browser contexts of real Chromium join and talk to each other."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from flet_chat.ui.clock import long_day
from tests.e2e.conftest import (
    TIME,
    conversation,
    open_chat,
    read_store,
    said,
    screenshot_after_change,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000
TYPING_ATTEMPTS = 5
TYPING_TIMEOUT = 3_000
NAME = "Name"  # the join dialog's name field
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def recent_times(zone: ZoneInfo, hour_format: str) -> set[str]:
    """How a clock in `zone` read during the last two minutes."""
    now = datetime.now(zone)
    return {(now - timedelta(minutes=m)).strftime(hour_format) for m in range(3)}


def type_into(page: Page, label: str, text: str, *, exact: bool = False) -> None:
    """Click into the field and type, as a person would, and check the field shows the text. On
    a busy machine Flutter can take a moment to wire a focused field up: a click may leave it
    unfocused, or the first keys may be lost. A person would notice and type again; so do we."""
    field = page.get_by_role("textbox", name=label, exact=exact)
    for attempt in range(TYPING_ATTEMPTS):
        last = attempt == TYPING_ATTEMPTS - 1
        page.bring_to_front()  # again on a retry: another page may have taken the focus since
        if attempt:
            # A click that left the field unfocused: focus its element first, as a screen
            # reader does, then click (Flutter starts editing on either).
            field.focus()
        field.click()
        try:
            typed_in = field
            try:
                expect(field).to_be_focused(timeout=TYPING_TIMEOUT)
            except AssertionError:
                typed_in = editing_input(page, field)
                if typed_in is None:
                    raise
            page.keyboard.press("Control+a")  # whatever a lost attempt left is replaced
            page.keyboard.type(text)
            expect(typed_in).to_have_value(text, timeout=TYPING_TIMEOUT)
            return
        except AssertionError:
            if last:
                raise


def editing_input(page: Page, field: Locator) -> Locator | None:
    """A field that took the focus by itself (autofocus) while its page was not in front is
    edited through Flutter's own hidden input, laid over it, instead of its semantics node,
    which then never takes the focus nor shows the text. That input, if it is over `field`."""
    editing = page.locator("input.flt-text-editing:focus, textarea.flt-text-editing:focus")
    if editing.count() != 1:
        return None
    box, over = field.bounding_box(), editing.bounding_box()
    if box is None or over is None:
        return None
    x, y = over["x"] + over["width"] / 2, over["y"] + over["height"] / 2
    inside = box["x"] <= x <= box["x"] + box["width"] and box["y"] <= y <= box["y"] + box["height"]
    return editing if inside else None


def expect_value(page: Page, field: Locator, value: str) -> None:
    """Wait until `field` shows `value`: its semantics textbox, or, when the server put the
    focus in it (see `editing_input`), Flutter's own input laid over it, which holds the text
    then (the textbox shows it only while it has the focus itself)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        over = editing_input(page, field)
        try:
            expect(field if over is None else over).to_have_value(value, timeout=TYPING_TIMEOUT)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def type_until(page: Page, label: str, text: str, shows: Locator) -> None:
    """Type into a field until `shows` is visible: what the server does with the keys (someone
    sees "typing...", a suggestion). Keys that never reached Flutter (see `submit_into`) show
    nothing, and a person types again; so do we."""
    for attempt in range(TYPING_ATTEMPTS):
        type_into(page, label, text)
        try:
            expect(shows).to_be_visible(timeout=2 * TYPING_TIMEOUT)
            return
        except AssertionError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def submit_until(fill_and_submit: Callable[[], None], done: Locator, refused: Locator) -> None:
    """Fill a form and submit it until `done` shows. Typed again only while `refused` shows:
    the form refused keys that never reached Flutter, and a person types again. Not refused,
    it was taken (a retry could make it twice), and `done` has to show."""
    for attempt in range(TYPING_ATTEMPTS):
        fill_and_submit()
        try:
            expect(done).to_be_visible(timeout=2 * TYPING_TIMEOUT)
            return
        except AssertionError:
            if not refused.is_visible() or attempt == TYPING_ATTEMPTS - 1:
                break
    expect(done).to_be_visible(timeout=TIMEOUT)


def submit_into(page: Page, label: str, text: str, done: Locator) -> None:
    """Type into a field, press Enter and wait for `done` to show. Under load, Playwright's keys
    can show in the semantics textbox yet never reach Flutter, and the app then gets an empty
    field, as a person's lost keystrokes would; like that person, type it again. For fields where
    a second submit is harmless (a name, a room to open), never for a message."""
    for attempt in range(TYPING_ATTEMPTS):
        type_into(page, label, text)
        page.keyboard.press("Enter")
        try:
            expect(done).to_be_visible(timeout=2 * TYPING_TIMEOUT)
            return
        except AssertionError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def stored_messages(server: ServerProcess, text: str) -> int:
    """How many messages saying `text` the server has stored (its SQLite file, read only)."""
    found = read_store(server.data_dir, "SELECT count(*) FROM messages WHERE text = ?", text)
    return cast(int, found[0]) if found else 0


def send_message(
    page: Page,
    server: ServerProcess,
    text: str,
    *,
    shows: Locator | None = None,
    typed: Callable[[], None] | None = None,
    button: bool = False,
    stored: str | None = None,
) -> None:
    """Type a message, send it (Enter, or the Send button) and wait for it to show in the
    conversation (`said(page, text)`, or `shows`: Markdown shows without its marks). Keys lost
    under load (see `submit_into`) leave the app an empty composer, and nothing is sent; a
    person would type it again, and so do we, but only while the server's store holds no new
    message with this text: a message that was sent must show, and is never sent twice.
    `typed` types it (default: `text` into the composer); `stored` is what the server stores
    (default `text`; a command such as /ask stores its question)."""
    shown = said(page, text) if shows is None else shows
    kept = text if stored is None else stored
    before = stored_messages(server, kept)
    for attempt in range(TYPING_ATTEMPTS):
        if typed is None:
            type_into(page, "Message", text)
        else:
            typed()
        if attempt and stored_messages(server, kept) > before:
            break  # the last attempt's send was taken while this one was typed: not sent again
        if button:
            page.get_by_role("button", name="Send message", exact=True).click()
        else:
            page.keyboard.press("Enter")
        try:
            expect(shown).to_be_visible(timeout=2 * TYPING_TIMEOUT)
            return
        except AssertionError:
            if stored_messages(server, kept) > before or attempt == TYPING_ATTEMPTS - 1:
                break
    expect(shown).to_be_visible(timeout=TIMEOUT)  # it was sent: it has to show


def join_as(page: Page, name: str, *, press_enter: bool = False) -> None:
    """Join as a guest (the dialog's first tab): type a name and join (the button, or Enter).
    Signing in and up: tests/e2e/test_browser_accounts.py. Keys lost under load leave a blank
    name, which the dialog refuses, as it would a person's, who would type it again: so do we
    (see `submit_into`)."""
    for attempt in range(TYPING_ATTEMPTS):
        type_into(page, NAME, name)
        if press_enter:
            page.keyboard.press("Enter")
        else:
            page.get_by_role("button", name="Join chat").click()
        try:
            expect(page.get_by_text("Welcome!")).to_be_hidden(timeout=2 * TYPING_TIMEOUT)
            return
        except AssertionError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def test_two_browsers_chat(browser: Browser, server: ServerProcess, artifacts_dir: Path) -> None:
    # Each in their own zone and hour cycle: the times they see are their own.
    alice_context = browser.new_context(
        viewport={"width": 1000, "height": 700}, locale="en-GB", timezone_id="Europe/Berlin"
    )
    bob_context = browser.new_context(
        viewport={"width": 420, "height": 760},
        color_scheme="dark",
        locale="en-US",
        timezone_id="America/New_York",
    )
    alice, bob = alice_context.new_page(), bob_context.new_page()
    try:
        open_chat(alice, server.base_url)
        open_chat(bob, server.base_url)

        # A blank name is refused where the user is looking; the dialog stays.
        expect(alice.get_by_role("textbox", name=NAME)).to_be_visible(timeout=TIMEOUT)
        alice.get_by_role("button", name="Join chat").click()
        expect(alice.get_by_text("Name cannot be blank.")).to_be_visible(timeout=TIMEOUT)
        expect(alice.get_by_text("Welcome!")).to_be_visible()

        join_as(alice, "Alice")
        expect(alice.get_by_text("Alice has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )

        join_as(bob, "Bob", press_enter=True)
        expect(bob.get_by_text("Bob has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
        expect(alice.get_by_text("Bob has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )

        # Alice: Shift+Enter adds a line, Enter sends.
        def two_lines() -> None:
            type_into(alice, "Message", "Hi Bob")
            alice.keyboard.press("Shift+Enter")
            alice.keyboard.type("two lines")

        send_message(alice, server, "Hi Bob\ntwo lines", typed=two_lines)
        expect(said(bob, "Hi Bob\ntwo lines")).to_be_visible(timeout=TIMEOUT)

        # Who is online: a side column on Alice's wide window.
        expect(alice.get_by_text("Online (2)")).to_be_visible(timeout=TIMEOUT)

        # Bob types: the real client's keystrokes reach the server as "change" events, and
        # Alice sees him typing until his message arrives.
        type_until(bob, "Message", "Hello Alice", alice.get_by_text("Bob is typing..."))
        # Bob: the send button. exact=True: the focusable button itself must carry the name.
        bob.get_by_role("button", name="Send message", exact=True).click()
        expect(said(alice, "Hello Alice")).to_be_visible(timeout=TIMEOUT)
        expect(alice.get_by_text("Bob is typing...")).to_have_count(0, timeout=TIMEOUT)
        # Each row is read as its author, time and text, in order, the time in the reader's own
        # zone and hour cycle, under the day's separator.
        for page, zone, hour in ((alice, BERLIN, "%H:%M"), (bob, NEW_YORK, "%-I:%M %p")):
            # On each page, once its row is drawn there (Bob's own can come after Alice's).
            expect(said(page, "Hello Alice")).to_be_visible(timeout=TIMEOUT)
            said_in_order = re.compile(
                rf"^Alice, {TIME}: Hi Bob\ntwo lines\nBob, (?P<second>{TIME}): Hello Alice$", re.M
            )
            found = said_in_order.search(conversation(page))
            assert found, conversation(page)
            assert found["second"] in recent_times(zone, hour), conversation(page)
            today = f"Today, {long_day(datetime.now(zone).date())}"
            expect(said(page, today)).to_be_attached(timeout=TIMEOUT)
        # Bob again within five minutes: the row sits under his name above, with no name of its
        # own (its time shows on hover); a screen reader still hears whose it is.
        before = bob.screenshot()
        send_message(bob, server, "and more")
        expect(said(alice, "and more")).to_be_visible(timeout=TIMEOUT)
        screenshot_after_change(bob, before, artifacts_dir / "e2e-bob-grouped.png")
        grouped = re.compile(rf"^Bob, {TIME}: Hello Alice\nBob, {TIME}: and more$", re.M)
        assert grouped.search(conversation(alice)), conversation(alice)

        # Flutter draws into a viewport-sized canvas and the page never scrolls, so the viewport is
        # the whole page; full_page=True only pads the image with a blank strip on the right.
        alice.screenshot(path=artifacts_dir / "e2e-alice.png")
        bob.screenshot(path=artifacts_dir / "e2e-bob-dark.png")  # dark theme, narrow window

        # Bob's narrow window keeps the member list behind a toggle with an accessible name.
        bob.get_by_role("button", name="Show who is online", exact=True).click()
        expect(bob.get_by_text("Online (2)")).to_be_visible(timeout=TIMEOUT)
        bob.screenshot(path=artifacts_dir / "e2e-bob-members.png")
        bob.get_by_role("button", name="Hide who is online", exact=True).click()
        expect(bob.get_by_role("textbox", name="Message")).to_be_visible(timeout=TIMEOUT)

        # Alice narrows her window: the side column gives way to the toggle, and back.
        alice.set_viewport_size({"width": 500, "height": 700})
        expect(alice.get_by_role("button", name="Show who is online", exact=True)).to_be_visible(
            timeout=TIMEOUT
        )
        expect(alice.get_by_text("Online (2)")).to_have_count(0, timeout=TIMEOUT)
        alice.set_viewport_size({"width": 1000, "height": 700})
        expect(alice.get_by_text("Online (2)")).to_be_visible(timeout=TIMEOUT)
    finally:
        alice_context.close()
        bob_context.close()
