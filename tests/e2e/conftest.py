"""Playwright with Debian's Chromium (Playwright cannot download browsers here)."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = Path("/usr/bin/chromium")
# A message row's accessible name: "<author>, <time>: <text>".
MESSAGE_ROW = re.compile(r"^[^,]+, [^,]+?: ")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API keeps an event loop running while it is open, which would
# break later tests that start their own loop.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing in CI: scripts/install-chromium should have installed it"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


SEMANTICS_ATTEMPTS = 5
SEMANTICS_TIMEOUT = 5_000


def open_chat(page: Page, url: str) -> None:
    """Load the Flutter app and switch on its semantics tree so roles and labels exist."""
    page.goto(url)
    enable_semantics(page)


def enable_semantics(page: Page) -> None:
    """Click Flutter's semantics placeholder, as a screen reader does. Flutter removes the
    placeholder once the click has switched semantics on; a click that came before the engine
    listened for it leaves the placeholder, and is made again."""
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=60_000)
    for attempt in range(SEMANTICS_ATTEMPTS):
        with contextlib.suppress(PlaywrightError):  # removed between the check and the click
            placeholder.evaluate("e => e.click()", timeout=SEMANTICS_TIMEOUT)
        try:
            placeholder.wait_for(state="detached", timeout=SEMANTICS_TIMEOUT)
            return
        except PlaywrightTimeoutError:
            if attempt == SEMANTICS_ATTEMPTS - 1:
                raise


def screenshot_after_change(page: Page, before: bytes, path: Path, *, attempts: int = 60) -> None:
    """Save a screenshot once the screen has changed from `before` and then stopped changing:
    Flutter's semantics tree says where a sliding drawer will be before its animation has
    painted it there."""
    previous = before
    for _ in range(attempts):
        current = page.screenshot()
        if current == previous and current != before:
            break
        previous = current
    path.write_bytes(previous)


def read_store(data_dir: Path, query: str, *params: object) -> tuple[object, ...] | None:
    """The first row `query` finds in a test server's SQLite store, read only: what the server
    saved, for a test to tell a lost keystroke from a message that was sent."""
    database = data_dir / "chat.db"
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        row: tuple[object, ...] | None = conn.execute(query, params).fetchone()
    return row


def said(page: Page, text: str) -> Locator:
    """Where `text` shows in the conversation. A message row is a group named "Alice, 07:33
    UTC: hello" (ui/controls/chat_message.py) and a reaction chip a button named by its label:
    found by label; notices and other text stay plain text."""
    return page.get_by_text(text).or_(page.get_by_label(text)).first


# A time as a row shows it, in the browser's hour cycle: "19:33" or "7:33 PM".
TIME = r"\d{1,2}:\d\d(?: [AP]M)?"


def conversation(page: Page) -> str:
    """The messages as a screen reader gets them: the accessible names of the message rows
    ("Alice, 07:33 UTC: hello"), one a line, top to bottom."""
    rows = page.get_by_role("group", name=MESSAGE_ROW)
    labels: list[str] = rows.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    return "\n".join(labels)
