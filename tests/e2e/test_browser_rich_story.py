"""Rich messages end to end in real Chromium, two people on one server (issue 16): Bob sends
Markdown with a code block and a picture; Alice sees both drawn (the words without their marks,
the picture's pixels in its thumbnail and full size); later, she finds the Markdown message by a
word and the search opens her conversation at it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from flet_chat.ui.controls.attachments import THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH
from tests.e2e.conftest import conversation, open_chat, said, screenshot_after_change
from tests.e2e.test_browser_chat import (
    TIMEOUT,
    TYPING_ATTEMPTS,
    join_as,
    send_message,
    submit_into,
    type_into,
)
from tests.e2e.test_browser_profile import apart, signed_in_as
from tests.support.accounts import sign_up
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

ORANGE = (230, 100, 30)  # the picture's colour, far from anything else on the screen
WORD = "quokka"  # in the Markdown message only: what Alice searches for
MARKDOWN_LINES = [
    f"The **{WORD} plan** for today:",
    "```python",
    "def greet(name):",
    '    return f"hi {name}"',
    "```",
]
# As the row reads it (and a screen reader says it): no marks, the code's lines as they are.
MARKDOWN_READ = 'The quokka plan for today:\ndef greet(name):\n    return f"hi {name}"'
LATER = [f"later note {i}" for i in range(1, 16)]  # enough to scroll it off the screen
# A search result's name: where, who and when, then the words (on one line).
RESULT = re.compile(r"^#general · Bob · .* The quokka plan for today: def greet\(name\):")


def picture(path: Path) -> Path:
    """A small PNG: orange, with white stripes."""
    image = Image.new("RGB", (320, 200), ORANGE)
    for y in range(0, 200, 40):
        for x in range(320):
            image.putpixel((x, y), (255, 255, 255))
    image.save(path, format="PNG")
    return path


def orange_pixels(page: Page, where: Locator | None = None) -> tuple[int, int]:
    """How many pixels the screen shows in the picture's orange (the thumbnail may be
    re-encoded, so near enough counts), at `where` or on the whole screen; and of how many."""
    box = where.bounding_box() if where is not None else None
    assert where is None or box is not None
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    pixels = list(shot.get_flattened_data())
    near = sum(1 for p in pixels if all(abs(a - b) <= 24 for a, b in zip(p, ORANGE, strict=True)))
    return near, len(pixels)


def settled(page: Page, where: Locator, *, unlike: bytes = b"", attempts: int = 60) -> bytes:
    """What the screen shows at `where` once it has stopped changing (and differs from
    `unlike`, if given): results are drawn a moment after their semantics nodes exist."""
    previous = b""
    for _ in range(attempts):
        current = where.screenshot()
        if current == previous and current != unlike:
            break
        previous = current
    return previous


def send_lines(page: Page, server: ServerProcess, lines: list[str], shows: Locator) -> None:
    """Type a message of several lines as a person does (Shift+Enter between lines) and send;
    `shows` is its row, drawn once sent."""

    def typed() -> None:
        type_into(page, "Message", lines[0])
        for line in lines[1:]:
            page.keyboard.press("Shift+Enter")
            page.keyboard.type(line)

    send_message(page, server, "\n".join(lines), shows=shows, typed=typed)


def test_markdown_and_a_picture_are_shown_and_found_by_search(
    browser: Browser, server: ServerProcess, artifacts_dir: Path, tmp_path: Path
) -> None:
    bob_member = apart(sign_up(server.data_dir, "Bob"))
    size = {"width": 1000, "height": 760}
    alice_context, bob_context = (
        browser.new_context(viewport=size),
        browser.new_context(viewport=size),
    )
    alice, bob = alice_context.new_page(), bob_context.new_page()
    thumbnails: list[int] = []
    alice.on(
        "response",
        lambda r: thumbnails.append(r.status) if "/thumbnail?" in r.url else None,
    )
    try:
        open_chat(alice, server.base_url)
        join_as(alice, "Alice")
        signed_in_as(bob, bob_member.token)
        open_chat(bob, server.base_url)
        expect(said(alice, "Bob has joined the chat.")).to_be_visible(timeout=TIMEOUT)

        # 1. Markdown: Alice reads the words, without the marks around them.
        markdown_name = re.compile(r"^Bob, .*: The quokka plan")
        send_lines(bob, server, MARKDOWN_LINES, bob.get_by_role("group", name=markdown_name))
        markdown_row = alice.get_by_role("group", name=markdown_name)
        expect(markdown_row).to_have_count(1, timeout=TIMEOUT)
        expect(markdown_row).to_be_visible()
        seen = conversation(alice)
        assert MARKDOWN_READ in seen
        assert "**" not in seen
        assert "`" not in seen
        alice.screenshot(path=artifacts_dir / "e2e-rich-story-markdown.png")

        # 2. A picture through the composer's paper clip: Alice sees its thumbnail, then opens
        # it full size.
        with bob.expect_file_chooser(timeout=TIMEOUT) as chooser:
            bob.get_by_role("button", name="Attach files").click()
        chooser.value.set_files(picture(tmp_path / "sketch.png"))
        expect(said(alice, "(1 file: sketch.png)")).to_be_visible(timeout=TIMEOUT)
        image = alice.get_by_role("button", name="Image sketch.png, open full size")
        expect(image).to_be_visible(timeout=TIMEOUT)
        # The thumbnail is fetched and drawn a moment after its row: look until it shows.
        for _ in range(60):
            orange, of = orange_pixels(alice, image)
            if orange > 0.3 * of:
                break
        assert orange > 0.3 * of
        assert thumbnails
        assert set(thumbnails) == {200}
        alice.screenshot(path=artifacts_dir / "e2e-rich-story-picture.png")  # with the picture

        image.click()
        close = alice.get_by_role("button", name="Close")
        expect(close).to_be_visible(timeout=TIMEOUT)
        # The picture fills the dialog, far bigger than its thumbnail's box (once the dialog
        # has faded in: until then its colours are paler).
        for _ in range(60):
            orange, _ = orange_pixels(alice)
            if orange > 4 * THUMBNAIL_WIDTH * THUMBNAIL_HEIGHT:
                break
        assert orange > 4 * THUMBNAIL_WIDTH * THUMBNAIL_HEIGHT
        alice.screenshot(path=artifacts_dir / "e2e-rich-story-full-size.png")
        close.click()
        expect(close).to_have_count(0, timeout=TIMEOUT)

        # 3. More talk: the Markdown message is no longer the newest, nor on Alice's screen.
        for text in LATER:
            send_message(bob, server, text, button=True)
            expect(said(alice, text)).to_be_visible(timeout=TIMEOUT)
        assert conversation(alice).endswith(LATER[-1])
        expect(markdown_row).to_have_count(0)  # scrolled off: no node in the semantics tree

        # 4. Alice searches words of it: the result shows the words looked for in bold, so it
        # is drawn differently for different words.
        alice.get_by_role("button", name="Search messages", exact=True).click()
        result = alice.get_by_role("button", name=RESULT)
        submit_into(alice, "Words to find", "today", result)
        expect(result).to_have_count(1)
        today_bold = settled(alice, result)
        for _ in range(TYPING_ATTEMPTS):  # submitted again if the keys never reached Flutter
            type_into(alice, "Words to find", WORD.upper())
            before = alice.screenshot()
            alice.keyboard.press("Enter")
            quokka_bold = settled(alice, result, unlike=today_bold)
            if quokka_bold != today_bold:
                break
        assert quokka_bold != today_bold
        expect(result).to_have_count(1)
        screenshot_after_change(alice, before, artifacts_dir / "e2e-rich-story-search.png")

        # A click on the result closes the dialog and brings the message into view, with
        # "Jump to newest messages" to go back down.
        result.click()
        expect(alice.get_by_role("dialog")).to_have_count(0, timeout=TIMEOUT)
        before = alice.screenshot()
        screenshot_after_change(alice, before, artifacts_dir / "e2e-rich-story-opened.png")
        expect(markdown_row).to_be_in_viewport(timeout=TIMEOUT)
        expect(alice.get_by_role("button", name="Jump to newest messages")).to_be_visible()
    finally:
        alice_context.close()
        bob_context.close()
