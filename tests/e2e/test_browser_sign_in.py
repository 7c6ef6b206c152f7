"""Signing in through an OpenID Connect provider in real Chromium, against the chat server: the
first dialog's "Sign in with Local ID" opens the provider's login page in a popup (Flet's
`page.login`), the person signs in there, the provider sends the popup back to the server's
/oauth_callback, the server exchanges the code, the account service finds or makes the account
linked to the provider's user, and the chat opens as that account. The provider is
tests/support/oidc_provider.py, a real one on localhost."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import send_message
from tests.support.oidc_provider import OidcProvider, TestUser
from tests.support.server import ServerProcess, free_port

pytestmark = pytest.mark.e2e

TIMEOUT = 20_000
CLIENT_ID = "flet-chat-e2e"
CLIENT_SECRET = "e2e-client-secret-value"
BUTTON = "Sign in with Local ID"
USERS = [
    TestUser(username="alice", sub="user-0001", name="Alice Liddell", email="alice@example.org"),
    TestUser(username="bob", sub="user-0002", name="Bob Builder", email="bob@example.org"),
]


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(users=USERS, require_pkce=True, require_nonce=True) as provider:
        yield provider


@pytest.fixture
def chat(provider: OidcProvider, tmp_path: Path) -> Iterator[ServerProcess]:
    """The chat server with the local provider configured (guests allowed, as by default)."""
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    provider.register_client(CLIENT_ID, CLIENT_SECRET, [f"{public_url}/oauth_callback"])
    server = ServerProcess(
        data_dir=tmp_path / "data",
        log_path=tmp_path / "server.log",
        port=port,
        env_overrides={
            "FLET_CHAT_PUBLIC_URL": public_url,
            "FLET_CHAT_OIDC_PROVIDERS": json.dumps(
                [
                    {
                        "key": "local",
                        "label": "Local ID",
                        "issuer": provider.issuer,
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                    }
                ]
            ),
        },
    )
    server.start()
    yield server
    server.stop()
    assert not server.error_lines(), server.log_text()
    # Nothing secret in the log: no code, token or client secret at INFO.
    log = server.log_text()
    assert CLIENT_SECRET not in log
    assert not re.search(r"[?&](code|state)=", log)


def open_sign_in_popup(context: BrowserContext, page: Page) -> Page:
    """The dialog opens on the Guest tab; the provider's button is on the Sign in tab."""
    button = page.get_by_role("button", name=BUTTON)
    tab = page.get_by_role("tab", name="Sign in")
    expect(tab.or_(button).first).to_be_visible(timeout=60_000)
    if not button.is_visible():
        tab.click()
    expect(button).to_be_visible(timeout=TIMEOUT)
    page.bring_to_front()
    with context.expect_page(timeout=TIMEOUT) as popup_info:
        button.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    return popup


def sign_in_at_provider(popup: Page, username: str) -> None:
    expect(popup).to_have_title("Sign in - Local OpenID Provider")
    popup.get_by_label("Username").fill(username)
    with popup.expect_event("close", timeout=TIMEOUT):
        popup.get_by_role("button", name="Sign in").click()


def in_chat_as(page: Page, name: str) -> None:
    """The dialog closed and the header names the account."""
    expect(page.get_by_text("Welcome!")).to_be_hidden(timeout=TIMEOUT)
    expect(account_menu(page, name)).to_be_visible(timeout=TIMEOUT)


def account_menu(page: Page, name: str) -> Locator:
    """The header's account menu ("Show menu Account: alice"): the name exactly, so a second
    account ("alice2") does not pass for the first."""
    return page.get_by_role("button", name=re.compile(rf"Account: {re.escape(name)}$"))


def test_signing_in_through_the_provider_and_coming_back(
    browser: Browser, chat: ServerProcess, provider: OidcProvider, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    try:
        open_chat(page, chat.base_url)
        tab = page.get_by_role("tab", name="Sign in")
        expect(tab).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name=BUTTON)).to_have_count(0)  # not for a guest
        before = page.screenshot()
        tab.click()
        expect(page.get_by_role("button", name=BUTTON)).to_be_visible(timeout=TIMEOUT)
        page.mouse.move(10, 10)  # away from the button, whose tooltip would cover the dialog
        screenshot_after_change(page, before, artifacts_dir / "e2e-sign-in-dialog.png")

        # First time: a new account, named from the provider's preferred_username.
        sign_in_at_provider(open_sign_in_popup(context, page), "alice")
        in_chat_as(page, "alice")
        expect(page.get_by_text("alice has joined the chat.", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
        send_message(page, chat, "Posted while signed in with Local ID")

        # What went over the wire: the attempt's own nonce and PKCE challenge, then its verifier.
        authorization = provider.record.authorization_requests[0]
        assert authorization["client_id"] == CLIENT_ID
        assert authorization["redirect_uri"] == f"{chat.base_url}/oauth_callback"
        assert authorization["code_challenge_method"] == "S256"
        assert authorization["nonce"]
        assert provider.record.token_requests[0]["code_verifier"]

        # Signing out: no "you would lose your name" question (the provider brings them back),
        # the dialog again.
        account_menu(page, "alice").click()
        page.get_by_role("menuitem", name="Sign out", exact=True).click()
        expect(page.get_by_text("Welcome!")).to_be_visible(timeout=TIMEOUT)
        expect(account_menu(page, "alice")).to_have_count(0)

        # Back through the provider: the same account (a new one would be "alice2", the name
        # being taken), with what it posted.
        sign_in_at_provider(open_sign_in_popup(context, page), "alice")
        in_chat_as(page, "alice")
        expect(said(page, "Posted while signed in with Local ID")).to_be_visible(timeout=TIMEOUT)
        assert provider.record.userinfo_subjects == ["user-0001", "user-0001"]
        page.screenshot(path=str(artifacts_dir / "e2e-sign-in-done.png"))
    finally:
        context.close()

    # Another person, in another browser, gets an account of their own.
    other = browser.new_context()
    bob = other.new_page()
    try:
        open_chat(bob, chat.base_url)
        sign_in_at_provider(open_sign_in_popup(other, bob), "bob")
        in_chat_as(bob, "bob")
        expect(said(bob, "Posted while signed in with Local ID")).to_be_visible(timeout=TIMEOUT)
    finally:
        other.close()


def test_a_callback_works_once(browser: Browser, chat: ServerProcess) -> None:
    context = browser.new_context()
    callbacks: list[str] = []
    context.on("request", lambda request: callbacks.append(request.url))
    page = context.new_page()
    try:
        open_chat(page, chat.base_url)
        sign_in_at_provider(open_sign_in_popup(context, page), "alice")
        in_chat_as(page, "alice")
        returns = [url for url in callbacks if "/oauth_callback?" in url]
        assert len(returns) == 1
        # The same callback again (a replay from history or a log): refused with a page for a
        # person, and the chat stays as it is.
        replay = httpx.get(returns[0], timeout=10)
        assert replay.status_code == 400
        assert "expired" in replay.text
        expect(account_menu(page, "alice")).to_be_visible()
    finally:
        context.close()


def test_cancelling_at_the_provider_is_said_in_the_dialog(
    browser: Browser, chat: ServerProcess
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, chat.base_url)
        popup = open_sign_in_popup(context, page)
        with popup.expect_event("close", timeout=TIMEOUT):
            popup.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text("Signing in with Local ID was cancelled.")).to_be_visible(
            timeout=TIMEOUT
        )
        expect(page.get_by_text("Welcome!")).to_be_visible()
        # Trying again works.
        sign_in_at_provider(open_sign_in_popup(context, page), "bob")
        in_chat_as(page, "bob")
    finally:
        context.close()


def test_an_unknown_user_stays_on_the_provider_page(browser: Browser, chat: ServerProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, chat.base_url)
        popup = open_sign_in_popup(context, page)
        popup.get_by_label("Username").fill("mallory")
        popup.get_by_role("button", name="Sign in").click()
        expect(popup.get_by_role("alert")).to_have_text("Unknown user.")
        # The chat still asks who this is; signing in properly from the same popup works.
        expect(page.get_by_text("Welcome!")).to_be_visible()
        popup.get_by_label("Username").fill("bob")
        with popup.expect_event("close", timeout=TIMEOUT):
            popup.get_by_role("button", name="Sign in").click()
        in_chat_as(page, "bob")
    finally:
        context.close()


def test_a_superseded_attempt_is_refused_and_the_newer_one_works(
    browser: Browser, chat: ServerProcess, provider: OidcProvider
) -> None:
    """Two clicks, two attempts: the first attempt's redirect, completed anyway (here by hand),
    finds a state the session no longer expects and gets a page saying so; the second works."""
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, chat.base_url)
        first_popup = open_sign_in_popup(context, page)
        first_url = first_popup.url
        page.bring_to_front()
        page.get_by_role("button", name=BUTTON).click()
        requests = provider.record.authorization_requests
        deadline = time.monotonic() + TIMEOUT / 1000
        while len(requests) < 2:  # the second attempt reached the provider
            assert time.monotonic() < deadline, "the second attempt never reached the provider"
            page.wait_for_timeout(50)  # polling the provider's record, which has no event
        second_state = requests[1]["state"]
        assert second_state != requests[0]["state"]

        # The first attempt, finished outside the browser: its callback is refused.
        form = dict(parse_qsl(urlsplit(first_url).query))
        decision = httpx.post(
            first_url.split("?")[0], data={**form, "username": "alice", "action": "sign_in"}
        )
        callback = httpx.get(decision.headers["location"], timeout=10)
        assert callback.status_code == 400
        assert "replaced by a newer one" in callback.text

        # The newer attempt, in whichever window shows it (Chromium may reuse the named popup).
        # The provider saw the request before the window commits its URL: wait for that too.
        second = None
        while second is None:
            second = next((p for p in context.pages if second_state in p.url), None)
            assert time.monotonic() < deadline + TIMEOUT / 1000, "no window shows the attempt"
            page.wait_for_timeout(50)  # polling window URLs, which have no event for this
        second.get_by_label("Username").fill("bob")
        with second.expect_event("close", timeout=TIMEOUT):
            second.get_by_role("button", name="Sign in").click()
        in_chat_as(page, "bob")
    finally:
        context.close()
