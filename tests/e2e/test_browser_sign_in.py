"""Signing in through an OpenID Connect provider in real Chromium: the page's button opens the
provider's login page in a popup (Flet's `page.login`), the person signs in there, the provider
sends the popup back to the server's /oauth_callback, the server exchanges the code, and the
page says who signed in. The provider is tests/support/oidc_provider.py, a real one on
localhost; the app is tests/support/sign_in_app.py (the product's sign-in parts with an
in-memory account service)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import open_chat
from tests.support.oidc_provider import OidcProvider, TestUser
from tests.support.server import ServerProcess, free_port

pytestmark = pytest.mark.e2e

TIMEOUT = 20_000
CLIENT_ID = "flet-chat-e2e"
CLIENT_SECRET = "e2e-client-secret-value"
USERS = [
    TestUser(username="alice", sub="user-0001", name="Alice Liddell", email="alice@example.org"),
    TestUser(username="bob", sub="user-0002", name="Bob Builder", email="bob@example.org"),
]


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(users=USERS, require_pkce=True, require_nonce=True) as provider:
        yield provider


@pytest.fixture
def app(provider: OidcProvider, tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    provider.register_client(CLIENT_ID, CLIENT_SECRET, [f"{public_url}/oauth_callback"])
    server = ServerProcess(
        data_dir=tmp_path / "data",
        log_path=tmp_path / "sign-in-app.log",
        port=port,
        module_args=("-m", "tests.support.sign_in_app"),
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
    button = page.get_by_role("button", name="Sign in with Local ID")
    expect(button).to_be_visible(timeout=60_000)
    with context.expect_page(timeout=TIMEOUT) as popup_info:
        button.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    return popup


def sign_in(browser: Browser, app: ServerProcess, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    open_chat(page, app.base_url)
    popup = open_sign_in_popup(context, page)
    expect(popup).to_have_title("Sign in - Local OpenID Provider")
    popup.get_by_label("Username").fill(username)
    with popup.expect_event("close", timeout=TIMEOUT):
        popup.get_by_role("button", name="Sign in").click()
    return context, page


def test_signing_in_through_the_provider(
    browser: Browser, app: ServerProcess, provider: OidcProvider, artifacts_dir: Path
) -> None:
    alice, alice_page = sign_in(browser, app, "alice")
    try:
        expect(alice_page.get_by_text("Signed in as alice, account 1 (new)")).to_be_visible(
            timeout=TIMEOUT
        )
        alice_page.mouse.move(600, 400)  # away from the button, whose tooltip would cover it
        alice_page.screenshot(path=str(artifacts_dir / "sign-in-done.png"))
    finally:
        alice.close()

    # What went over the wire: the attempt's own nonce and PKCE challenge, then its verifier.
    authorization = provider.record.authorization_requests[0]
    assert authorization["client_id"] == CLIENT_ID
    assert authorization["redirect_uri"] == f"{app.base_url}/oauth_callback"
    assert authorization["code_challenge_method"] == "S256"
    assert authorization["nonce"]
    assert provider.record.token_requests[0]["code_verifier"]
    assert provider.record.userinfo_subjects == ["user-0001"]

    # Another person gets another account; the first one coming back gets theirs again.
    bob, bob_page = sign_in(browser, app, "bob")
    try:
        expect(bob_page.get_by_text("Signed in as bob, account 2 (new)")).to_be_visible(
            timeout=TIMEOUT
        )
    finally:
        bob.close()
    again, again_page = sign_in(browser, app, "alice")
    try:
        expect(again_page.get_by_text("Signed in as alice, account 1 (returning)")).to_be_visible(
            timeout=TIMEOUT
        )
    finally:
        again.close()


def test_a_callback_works_once(browser: Browser, app: ServerProcess) -> None:
    context = browser.new_context()
    callbacks: list[str] = []
    context.on("request", lambda request: callbacks.append(request.url))
    page = context.new_page()
    try:
        open_chat(page, app.base_url)
        popup = open_sign_in_popup(context, page)
        popup.get_by_label("Username").fill("alice")
        with popup.expect_event("close", timeout=TIMEOUT):
            popup.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as alice, account 1 (new)")).to_be_visible(
            timeout=TIMEOUT
        )
        returns = [url for url in callbacks if "/oauth_callback?" in url]
        assert len(returns) == 1
        # The same callback again (a replay from history or a log): refused with a page for a
        # person.
        replay = httpx.get(returns[0], timeout=10)
        assert replay.status_code == 400
        assert "expired" in replay.text
    finally:
        context.close()


def test_cancelling_at_the_provider_is_said_on_the_page(
    browser: Browser, app: ServerProcess
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, app.base_url)
        popup = open_sign_in_popup(context, page)
        with popup.expect_event("close", timeout=TIMEOUT):
            popup.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text("Signing in with Local ID was cancelled.")).to_be_visible(
            timeout=TIMEOUT
        )
    finally:
        context.close()


def test_an_unknown_user_stays_on_the_provider_page(browser: Browser, app: ServerProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, app.base_url)
        popup = open_sign_in_popup(context, page)
        popup.get_by_label("Username").fill("mallory")
        popup.get_by_role("button", name="Sign in").click()
        expect(popup.get_by_role("alert")).to_have_text("Unknown user.")
        # The page is still signed out; signing in properly from the same popup works.
        expect(page.get_by_text("Not signed in")).to_be_visible()
        popup.get_by_label("Username").fill("bob")
        with popup.expect_event("close", timeout=TIMEOUT):
            popup.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as bob, account 1 (new)")).to_be_visible(timeout=TIMEOUT)
    finally:
        context.close()


def test_a_superseded_attempt_is_refused_and_the_newer_one_works(
    browser: Browser, app: ServerProcess, provider: OidcProvider
) -> None:
    """Two clicks, two attempts: the first attempt's redirect, completed anyway (here by hand),
    finds a state the session no longer expects and gets a page saying so; the second works."""
    context = browser.new_context()
    page = context.new_page()
    try:
        open_chat(page, app.base_url)
        first_popup = open_sign_in_popup(context, page)
        first_url = first_popup.url
        page.bring_to_front()
        page.get_by_role("button", name="Sign in with Local ID").click()
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
        second = next(p for p in context.pages if second_state in p.url)
        second.get_by_label("Username").fill("bob")
        with second.expect_event("close", timeout=TIMEOUT):
            second.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as bob, account 1 (new)")).to_be_visible(timeout=TIMEOUT)
    finally:
        context.close()
