"""Files in real Chromium: Ann attaches a photo and a text file through the browser's own file
chooser; Bob sees the photo's thumbnail and the file's chip in the conversation, opens the photo
full size and downloads the file under its name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import TIMEOUT, join_as
from tests.e2e.test_browser_profile import apart, photo, signed_in_as
from tests.support.accounts import sign_up
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

NOTES = b"bring towels\n"


def test_files_are_attached_shown_opened_and_downloaded(
    browser: Browser, server: ServerProcess, artifacts_dir: Path, tmp_path: Path
) -> None:
    ann_member = apart(sign_up(server.data_dir, "Ann"))
    ann_context = browser.new_context(viewport={"width": 1000, "height": 760})
    bob_context = browser.new_context(
        viewport={"width": 1000, "height": 760}, accept_downloads=True
    )
    ann, bob = ann_context.new_page(), bob_context.new_page()
    thumbnails: list[int] = []
    bob.on(
        "response",
        lambda r: thumbnails.append(r.status) if "/thumbnail?" in r.url else None,
    )
    try:
        open_chat(bob, server.base_url)
        join_as(bob, "Bob")
        signed_in_as(ann, ann_member.token)
        open_chat(ann, server.base_url)
        expect(ann.get_by_text("Ann has joined the chat.")).to_be_visible(timeout=TIMEOUT)
        notes = tmp_path / "notes.txt"
        notes.write_bytes(NOTES)

        with ann.expect_file_chooser(timeout=TIMEOUT) as chooser:
            ann.get_by_role("button", name="Attach files").click()
        chooser.value.set_files([photo(tmp_path / "holiday.jpg"), notes])

        # Bob's conversation: a message per file, read with its file's name.
        expect(said(bob, "(1 file: holiday.jpg)")).to_be_visible(timeout=TIMEOUT)
        expect(said(bob, "(1 file: notes.txt)")).to_be_visible(timeout=TIMEOUT)
        image = bob.get_by_role("button", name="Image holiday.jpg, open full size")
        expect(image).to_be_visible(timeout=TIMEOUT)
        chip = bob.get_by_role("button", name=re.compile(r"Download notes\.txt, 13 B"))
        expect(chip).to_be_visible()
        before = bob.screenshot()
        screenshot_after_change(bob, before, artifacts_dir / "e2e-attachments.png")
        if not thumbnails:  # drawn, yet its picture still on its way
            bob.wait_for_response(lambda r: "/thumbnail?" in r.url, timeout=TIMEOUT)
        assert thumbnails
        assert set(thumbnails) == {200}

        # The photo full size, in a dialog.
        before = bob.screenshot()
        image.click()
        expect(bob.get_by_role("button", name="Close")).to_be_visible(timeout=TIMEOUT)
        screenshot_after_change(bob, before, artifacts_dir / "e2e-attachment-full-size.png")
        bob.get_by_role("button", name="Close").click()

        # The file, downloaded under its own name.
        with bob.expect_download(timeout=TIMEOUT) as downloading:
            chip.click()
        download = downloading.value
        assert download.suggested_filename == "notes.txt"
        assert Path(download.path()).read_bytes() == NOTES
    finally:
        ann_context.close()
        bob_context.close()
