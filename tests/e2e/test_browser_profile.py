"""The profile in real Chromium: Ann (a member, signed in from her browser's storage) sets a display
name and status, uploads a photo through the browser's file chooser and makes and revokes an
access token; Bob sees her picture and display name beside her @name in the conversation and in
who is online."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar, cast

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Browser, Page, Response, expect

from flet_chat.core.rooms import user_key
from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY
from tests.e2e.conftest import (
    conversation,
    open_chat,
    read_store,
    said,
    screenshot_after_change,
)
from tests.e2e.test_browser_chat import (
    TIMEOUT,
    TYPING_ATTEMPTS,
    TYPING_TIMEOUT,
    join_as,
    send_message,
    type_into,
)
from tests.support.accounts import account_service, sign_up
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

T = TypeVar("T")


def photo(path: Path) -> Path:
    """A phone photo: a JPEG with the place it was taken in its EXIF."""
    image = Image.new("RGB", (900, 600), (30, 110, 200))
    for x in range(300, 600):  # a square in the middle: the part an avatar keeps
        for y in range(150, 450, 3):
            image.putpixel((x, y), (250, 200, 40))
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.52)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def signed_in_as(page: Page, token: str) -> None:
    """What the browser's storage holds after a sign-in (Flutter keeps SharedPreferences in
    localStorage under "flutter."-prefixed keys, values JSON-encoded)."""
    page.add_init_script(
        f"localStorage.setItem({json.dumps('flutter.' + IDENTITY_STORAGE_KEY)},"
        f" {json.dumps(json.dumps(token))});"
    )


async def _token_works(data_dir: Path, secret: str) -> bool:
    async with account_service(data_dir) as accounts:
        return await accounts.authenticate(secret) is not None


def apart(work: Coroutine[object, object, T]) -> T:
    """Run `work` on a loop of its own: Playwright's sync API keeps one running in this thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


def token_works(server: ServerProcess, secret: str) -> bool:
    return apart(_token_works(server.data_dir, secret))


def stored_profile(server: ServerProcess, user_name: str) -> tuple[str | None, str | None]:
    """The display name and status the server has stored for `user_name` (read only)."""
    found = read_store(
        server.data_dir,
        "SELECT display_name, status FROM users WHERE user_key = ?",
        user_key(user_name),
    )
    return (cast(str | None, found[0]), cast(str | None, found[1])) if found else (None, None)


def tokens_named(server: ServerProcess, label: str) -> int:
    """How many access tokens named `label` the server has stored (read only)."""
    found = read_store(server.data_dir, "SELECT count(*) FROM sessions WHERE label = ?", label)
    return cast(int, found[0]) if found else 0


def save_profile(
    page: Page, server: ServerProcess, user_name: str, profile: tuple[str, str]
) -> None:
    """Fill in the display name and status and save them. Keys lost under load (see
    test_browser_chat.submit_into) leave the app a field empty, and that is what is saved; a
    person would see it missing and type it again, and so do we, as long as the store lacks it."""
    display_name, status = profile
    for _ in range(TYPING_ATTEMPTS):
        type_into(page, "Display name", display_name)
        type_into(page, "Status", status)
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Saved.")).to_be_visible(timeout=TIMEOUT)
        # Saved once already, "Saved." stays: the store says when this save is in.
        for _ in range(TYPING_TIMEOUT // 100):
            if stored_profile(server, user_name) == profile:
                return
            page.wait_for_timeout(100)
    raise AssertionError(f"the store has {stored_profile(server, user_name)}, not {profile}")


def test_a_profile_with_a_picture_and_an_access_token(
    browser: Browser, server: ServerProcess, artifacts_dir: Path, tmp_path: Path
) -> None:
    ann_member = apart(sign_up(server.data_dir, "Ann"))
    ann_context = browser.new_context(viewport={"width": 1000, "height": 760})
    ann_context.grant_permissions(["clipboard-read", "clipboard-write"])
    bob_context = browser.new_context(viewport={"width": 1000, "height": 700})
    ann, bob = ann_context.new_page(), bob_context.new_page()
    avatars_fetched: list[Response] = []
    bob.on("response", lambda r: avatars_fetched.append(r) if "/avatars/Ann?" in r.url else None)
    try:
        open_chat(bob, server.base_url)
        join_as(bob, "Bob")
        signed_in_as(ann, ann_member.token)
        open_chat(ann, server.base_url)  # no name to type: her browser is signed in
        expect(ann.get_by_text("Ann has joined the chat.")).to_be_visible(timeout=TIMEOUT)

        # Ann opens her profile and sets a display name and a status.
        # Flutter names a popup menu's button "Show menu" before our label.
        ann.get_by_role("button", name=re.compile("Account: Ann")).click()
        ann.get_by_role("menuitem", name="Profile", exact=True).click()
        expect(ann.get_by_text("@Ann")).to_be_visible(timeout=TIMEOUT)
        save_profile(ann, server, "Ann", ("Ann Lee", "Reviewing pull requests"))
        expect(ann.get_by_text("Ann Lee", exact=True)).to_be_visible()

        # A picture, through the browser's own file chooser (Flutter's <input type=file>).
        with ann.expect_file_chooser(timeout=TIMEOUT) as chooser:
            ann.get_by_role("button", name="Choose picture").click()
        chooser.value.set_files(photo(tmp_path / "holiday.jpg"))
        expect(ann.get_by_text("Picture saved.")).to_be_visible(timeout=TIMEOUT)
        expect(ann.get_by_role("button", name="Remove picture")).to_be_visible()

        # An access token for her console: its secret shown once, with a copy button.
        # Typed again only while no token of that name is stored: a name whose keys never
        # reached Flutter is refused, and a person types it again; a token is never made twice.
        shown_once = ann.get_by_text("Copy this token now: you will not see it again.")
        before = tokens_named(server, "laptop console")
        for attempt in range(TYPING_ATTEMPTS):
            type_into(ann, "Token name", "laptop console")
            if attempt and tokens_named(server, "laptop console") > before:
                break
            ann.get_by_role("button", name="Create token").click()
            try:
                expect(shown_once).to_be_visible(timeout=2 * TYPING_TIMEOUT)
                break
            except AssertionError:
                if tokens_named(server, "laptop console") > before:
                    break
        expect(shown_once).to_be_visible(timeout=TIMEOUT)
        expect(ann.get_by_role("textbox", name="New access token")).to_be_visible()
        # The copy button puts the secret on the clipboard (Flutter's read-only field shows it
        # but keeps its value out of the page's DOM until it is edited).
        ann.get_by_role("button", name="Copy token").click()
        secret = ann.evaluate("navigator.clipboard.readText()")
        assert re.fullmatch(r"fcp_[A-Za-z0-9_-]{40,}", secret), secret
        assert token_works(server, secret)  # it signs a console in as Ann
        token_shown = ann.screenshot(path=artifacts_dir / "e2e-profile-token.png")
        ann.get_by_role("button", name="Done").click()
        expect(ann.get_by_role("textbox", name="New access token")).to_have_count(0)
        expect(ann.get_by_text("laptop console", exact=True)).to_be_visible(timeout=TIMEOUT)
        # Once the secret's dialog has faded out: the profile with the token listed.
        screenshot_after_change(ann, token_shown, artifacts_dir / "e2e-profile-dialog.png")

        # Revoked: gone from the list, its secret off the screen, and it no longer signs in.
        ann.get_by_role("button", name="Revoke laptop console").click()
        expect(ann.get_by_role("button", name="Revoke laptop console")).to_have_count(
            0, timeout=TIMEOUT
        )
        assert not token_works(server, secret)
        ann.get_by_role("button", name="Close").click()
        expect(ann.get_by_role("alertdialog")).to_have_count(0, timeout=TIMEOUT)

        # Bob sees who said it: her picture, her display name, and her @name beside it.
        send_message(ann, server, "Hello with a face")
        expect(said(bob, "Hello with a face")).to_be_visible(timeout=TIMEOUT)
        assert re.search(r"Ann Lee \(@Ann\), [^,\n]+: Hello with a face", conversation(bob))
        expect(said(bob, "Reviewing pull requests")).to_be_visible(timeout=TIMEOUT)
        for _ in range(100):  # polling the page's network log (it has no event to wait on)
            if any(r.status == 200 for r in avatars_fetched):
                break
            bob.wait_for_timeout(100)
        served = next(r for r in avatars_fetched if r.status == 200)
        assert served.headers["content-type"] == "image/webp"
        picture = Image.open(io.BytesIO(served.body()))
        assert (picture.format, picture.size) == ("WEBP", (128, 128))
        assert not picture.getexif()
        bob.screenshot(path=artifacts_dir / "e2e-profile-rows.png")
    finally:
        ann_context.close()
        bob_context.close()
