"""Accounts in real Chromium, on one server shared by this module's tests (their names differ):
Alice signs up on a wide screen, signs in on a phone-sized one and finds her direct conversation
there; "Sign out everywhere" on the first returns the phone to the dialog within 5 s. A guest
chooses a password and signs in with it in another browser, where their rooms are."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY
from tests.e2e.conftest import open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import (
    NAME,
    TIMEOUT,
    TYPING_ATTEMPTS,
    editing_input,
    join_as,
    submit_into,
    submit_until,
    type_into,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SIGNED_OUT = "You were signed out. Sign in again."
SIGN_OUT_WITHIN = 5.0  # seconds, from the click to the other device's dialog
# Where the browser keeps the session's token: Flutter keeps SharedPreferences in localStorage
# under "flutter."-prefixed keys, values JSON-encoded.
STORED_TOKEN = json.dumps("flutter." + IDENTITY_STORAGE_KEY)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("accounts")
    server = ServerProcess(data_dir=root / "data", log_path=root / "server.log").start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.error_lines(), "server logged errors:\n" + "\n".join(server.error_lines())


ACTIONS = {"Guest": "Join chat", "Sign in": "Sign in", "Sign up": "Create account"}


def choose_tab(page: Page, tab: str) -> None:
    """Choose a tab of the dialog and wait for the server's answer (the button's new name):
    a field clicked before the form is rearranged may lose the focus."""
    page.get_by_role("tab", name=tab).click()
    expect(page.get_by_role("button", name=ACTIONS[tab], exact=True)).to_be_visible(timeout=TIMEOUT)


def fill_form(
    page: Page, tab: str, name: str | None, password: str, repeat: str | None = None
) -> None:
    """Type into the form of `tab`; `name` None: the name (and tab) the dialog kept."""
    if name is not None:
        choose_tab(page, tab)
        type_into(page, NAME, name, exact=True)
    type_into(page, "Password", password, exact=True)
    if tab == "Sign up":
        type_into(page, "Repeat password", password if repeat is None else repeat)


def submit_form(
    page: Page,
    tab: str,
    name: str | None,
    password: str,
    *,
    shows: Callable[[], None],
    repeat: str | None = None,
) -> None:
    """Fill the form, press its button and wait for `shows` to pass. As `join_as`: a person
    whose typing was lost types again (the dialog then says the password is missing, or the
    passwords differ)."""
    for attempt in range(TYPING_ATTEMPTS):
        fill_form(page, tab, name, password, repeat)
        page.get_by_role("button", name=ACTIONS[tab], exact=True).click()
        try:
            shows()
            return
        except AssertionError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def sign_in_with(page: Page, tab: str, name: str | None, password: str = PASSWORD) -> None:
    """Sign up or in through the dialog (`name` None: with the name it kept)."""
    welcome = page.get_by_text("Welcome!")
    submit_form(
        page, tab, name, password, shows=lambda: expect(welcome).to_be_hidden(timeout=TIMEOUT)
    )


def stores_a_token(page: Page, *, stored: bool) -> None:
    """Wait until the browser's storage holds a session token (or holds none)."""
    check = "!== ''" if stored else "=== ''"
    page.wait_for_function(
        f"() => JSON.parse(localStorage.getItem({STORED_TOKEN}) || '\"\"') {check}",
        timeout=TIMEOUT,
    )


def expect_the_caret_in(page: Page, field: Locator) -> None:
    """The field has the focus: its semantics node, or Flutter's own input laid over it (a
    field that took the focus by itself while its page was not in front, see type_into)."""
    try:
        expect(field).to_be_focused(timeout=TIMEOUT)
    except AssertionError:
        if editing_input(page, field) is None:
            raise


def say(page: Page, text: str) -> None:
    """Send `text` from the composer. As `join_as`: keys can reach the semantics textbox and
    never Flutter, and Enter then sends nothing; a person would click away, click back into
    the field and type it again, and so do we."""
    field = page.get_by_role("textbox", name="Message")
    for attempt in range(TYPING_ATTEMPTS):
        if attempt:
            field.blur()
        type_into(page, "Message", text)
        page.keyboard.press("Enter")
        try:
            expect(said(page, text)).to_be_visible(timeout=TIMEOUT // 3)
            return
        except AssertionError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def open_account_menu(page: Page, name: str) -> None:
    # Flutter names a popup menu's button "Show menu" before our label.
    page.get_by_role("button", name=re.compile(f"Account: {name}")).click()
    expect(page.get_by_role("menuitem", name="Sign out", exact=True)).to_be_visible(timeout=TIMEOUT)


def test_sign_up_sign_in_on_a_phone_and_sign_out_everywhere(
    browser: Browser, shared_server: ServerProcess, artifacts_dir: Path
) -> None:
    url = shared_server.base_url
    desk_context = browser.new_context(viewport={"width": 1100, "height": 750})
    bob_context = browser.new_context(viewport={"width": 900, "height": 700})
    phone_context = browser.new_context(viewport={"width": 390, "height": 844})
    desk, bob, phone = desk_context.new_page(), bob_context.new_page(), phone_context.new_page()
    try:
        # All three load first, as in the other browser tests: typing into a page that is
        # still starting up while another one works is where Flutter loses keys.
        for page in (desk, bob, phone):
            open_chat(page, url)
        # The dialog's three tabs, as a newcomer sees them.
        expect(desk.get_by_role("tab", name="Guest")).to_be_visible(timeout=TIMEOUT)
        expect(desk.get_by_role("button", name="Join chat")).to_be_visible(timeout=TIMEOUT)
        desk.screenshot(path=artifacts_dir / "e2e-accounts-guest.png")
        choose_tab(desk, "Sign in")
        expect(desk.get_by_role("textbox", name="Password", exact=True)).to_be_visible(
            timeout=TIMEOUT
        )
        desk.screenshot(path=artifacts_dir / "e2e-accounts-sign-in.png")

        # Sign up: two different passwords are refused under the second, nothing is made.
        differ = desk.get_by_text("The passwords do not match.", exact=False)
        submit_form(
            desk,
            "Sign up",
            "Alice",
            PASSWORD,
            repeat="correct horse batter",
            shows=lambda: expect(differ).to_be_visible(timeout=TIMEOUT),
        )
        desk.screenshot(path=artifacts_dir / "e2e-accounts-sign-up.png")
        sign_in_with(desk, "Sign up", "Alice")
        expect(desk.get_by_text("Alice has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )

        # Bob joins as a guest; Alice sees the mark and starts a conversation with him.
        join_as(bob, "Bob")
        bob_row = desk.get_by_role("button", name=re.compile(r"^Bob, online, guest\."))
        expect(bob_row).to_be_visible(timeout=TIMEOUT)
        bob_row.click()
        # Open: its title in the header beside its entry in the room list.
        expect(desk.get_by_text("@Bob")).to_have_count(2, timeout=TIMEOUT)
        say(desk, "Meet at noon")
        expect(bob.get_by_role("button", name="@Alice")).to_be_visible(timeout=TIMEOUT)

        # Alice signs in on her phone and finds the conversation in the rooms drawer.
        sign_in_with(phone, "Sign in", "Alice")
        stores_a_token(phone, stored=True)
        phone.get_by_role("button", name="Show rooms", exact=True).click()
        before = phone.screenshot()
        phone.get_by_role("button", name="@Bob").click()
        expect(said(phone, "Meet at noon")).to_be_visible(timeout=TIMEOUT)
        # Once the drawer has slid away.
        screenshot_after_change(phone, before, artifacts_dir / "e2e-accounts-phone.png")

        # The account menu, then "Sign out everywhere": the phone is back at the dialog.
        before = desk.screenshot()
        open_account_menu(desk, "Alice")
        screenshot_after_change(desk, before, artifacts_dir / "e2e-accounts-menu.png")
        started = time.monotonic()
        desk.get_by_role("menuitem", name="Sign out everywhere").click()
        expect(phone.get_by_text(SIGNED_OUT)).to_be_visible(timeout=SIGN_OUT_WITHIN * 1000)
        took = time.monotonic() - started
        (artifacts_dir / "e2e-accounts-sign-out-everywhere.txt").write_text(f"{took:.2f} s\n")
        print(f"sign out everywhere reached the phone in {took:.2f} s")
        assert took < SIGN_OUT_WITHIN
        expect(desk.get_by_text(SIGNED_OUT)).to_be_visible(timeout=TIMEOUT)
        # Nothing of Alice's stays on the phone: the conversation gave way to #general. The
        # dialog offers to sign in again as her: the caret waits in the password field.
        expect(said(phone, "Meet at noon")).to_have_count(0, timeout=TIMEOUT)
        expect_the_caret_in(phone, phone.get_by_role("textbox", name="Password", exact=True))
        phone.screenshot(path=artifacts_dir / "e2e-accounts-phone-signed-out.png")
        # The token is forgotten, and another tab of the phone's browser is not signed in.
        stores_a_token(phone, stored=False)
        other_tab = phone_context.new_page()
        open_chat(other_tab, url)
        expect(other_tab.get_by_text("Welcome!")).to_be_visible(timeout=TIMEOUT)
        other_tab.close()
        # Her name is kept (Flutter's web page shows an unfocused field's text only on its
        # canvas, so it is checked by its use): her password alone signs her in again.
        sign_in_with(phone, "Sign in", None)
        phone.get_by_role("button", name="Show rooms", exact=True).click()
        expect(phone.get_by_role("button", name="@Bob")).to_be_visible(timeout=TIMEOUT)
    finally:
        desk_context.close()
        bob_context.close()
        phone_context.close()


def test_a_guest_chooses_a_password_and_signs_in_elsewhere(
    browser: Browser, shared_server: ServerProcess, artifacts_dir: Path
) -> None:
    url = shared_server.base_url
    first_context = browser.new_context(viewport={"width": 1000, "height": 700})
    second_context = browser.new_context(viewport={"width": 1000, "height": 700})
    first, second = first_context.new_page(), second_context.new_page()
    try:
        for page in (first, second):
            open_chat(page, url)
        join_as(first, "Carol")
        corner = first.get_by_text("#carols-corner").first
        submit_into(first, "Create or join a room", "carols-corner", corner)
        say(first, "The plan is on the wall")

        open_account_menu(first, "Carol")
        expect(first.get_by_role("menuitem", name="Sign out everywhere")).to_have_count(0)
        first.get_by_role("menuitem", name="Choose a password").click()

        # .first: Flutter's semantics may hold a snack bar's text twice while it slides in.
        def save_password() -> None:
            type_into(first, "New password", PASSWORD, exact=True)
            type_into(first, "Repeat new password", PASSWORD)
            first.get_by_role("button", name="Save password").click()

        # Typed again only when refused (blank, too short, differing): keys that never
        # reached Flutter.
        refusals = re.compile("Enter your password|Use at least|do not match")
        submit_until(
            save_password,
            first.get_by_text("Password saved", exact=False).first,
            first.get_by_text(refusals).first,
        )
        expect(first.get_by_role("button", name=re.compile(r"Account: Carol$"))).to_be_visible(
            timeout=TIMEOUT
        )

        sign_in_with(second, "Sign in", "Carol")
        second.get_by_text("#carols-corner").click()
        expect(said(second, "The plan is on the wall")).to_be_visible(timeout=TIMEOUT)
        second.screenshot(path=artifacts_dir / "e2e-accounts-member-elsewhere.png")
        # The browser keeps the session: a reload is Carol again, with no dialog.
        open_chat(second, url)
        expect(second.get_by_role("button", name=re.compile(r"Account: Carol$"))).to_be_visible(
            timeout=TIMEOUT
        )
        expect(second.get_by_text("Welcome!")).to_have_count(0)
    finally:
        first_context.close()
        second_context.close()
