"""What the browser gets besides the chat: every script and emoji drawn from fonts this server
serves (issue 15: they were empty boxes with no internet), no request to any other origin, and
a web app Chromium can install."""

from __future__ import annotations

import colorsys
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, open_chat, said
from tests.e2e.test_browser_chat import join_as, send_message
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000
MIXED = "✓ 你好 🙂 مرحبا"
FALLBACK_FONTS = "/assets/fonts/noto"
# A font file that must have loaded for each part of MIXED (the engine picks the file).
NEEDED = {
    "emoji": "/assets/fonts/notocoloremoji/",
    "Chinese": "/assets/fonts/notosanssc/",
    "Arabic": "/assets/fonts/notosansarabic/",
}
FONT_ENTRIES = f"""() => performance.getEntriesByType("resource")
    .filter(e => e.name.includes("{FALLBACK_FONTS}"))
    .map(e => [e.name, e.responseStatus])"""


def emoji_pixels(png: bytes, box: dict[str, float]) -> int:
    """Bright yellow pixels in `box`: the face of 🙂 and the hand of 👍. Text is grey, avatar
    colours are dark (core/avatar.py: white initials must stay readable on them) and a missing
    glyph is an outline, so nothing else in a message row is bright yellow."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, top = int(box["x"]), int(box["y"])
    region = image.crop((left, top, int(left + box["width"]), int(top + box["height"])))
    count = 0
    for red, green, blue in region.get_flattened_data():
        hue, saturation, value = colorsys.rgb_to_hsv(red / 255, green / 255, blue / 255)
        if 30 / 360 <= hue <= 60 / 360 and saturation > 0.5 and value > 0.8:
            count += 1
    return count


def wait_for_colour(page: Page, box: dict[str, float], *, attempts: int = 60) -> tuple[bytes, int]:
    """Screenshots until the emoji shows in colour (the engine fetches a font only once text
    needs it, then draws again), or the last one."""
    png, count = b"", 0
    for _ in range(attempts):
        png = page.screenshot()
        count = emoji_pixels(png, box)
        if count >= 20:
            break
    return png, count


def test_every_script_and_emoji_drawn_from_this_server(
    browser: Browser, server: ServerProcess, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 640})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        open_chat(page, server.base_url)
        join_as(page, "Alice")
        # A page with Latin text only downloads no fallback font.
        assert not [url for url in requested if FALLBACK_FONTS in url], requested

        row = said(page, "مرحبا")
        send_message(page, server, MIXED, shows=row)
        page.get_by_role("button", name="Actions for Alice's message").first.click()
        page.get_by_role("button", name="👍").click()
        expect(said(page, "👍 1, reacted by Alice")).to_be_visible(timeout=TIMEOUT)
        box = row.bounding_box()
        assert box is not None

        # The fonts loaded first: the emoji's colour is drawn only once its font is in.
        page.wait_for_function(
            f"""() => {{
                const loaded = ({FONT_ENTRIES})().filter(([, status]) => status > 0);
                return {list(NEEDED.values())}.every(p => loaded.some(([n]) => n.includes(p)));
            }}""",
            timeout=TIMEOUT,
        )
        png, coloured = wait_for_colour(page, box)
        (artifacts_dir / "e2e-scripts-and-emoji.png").write_bytes(png)
        fonts: list[tuple[str, int]] = page.evaluate(FONT_ENTRIES)
        # Nothing left the server's origin: not the fonts, not the Rive runtime, nothing.
        origin = urlsplit(server.base_url).netloc
        elsewhere = [
            url
            for url in requested
            if urlsplit(url).scheme not in ("blob", "data") and urlsplit(url).netloc != origin
        ]
        problems = [
            f"the emoji is not drawn in colour ({coloured} yellow pixels)" * (coloured < 20),
            f"fonts not served: {[f for f in fonts if f[1] != 200]}"
            * any(s != 200 for _, s in fonts),
            f"requests to other origins: {elsewhere}" * bool(elsewhere),
        ]
        assert not any(problems), "\n".join(p for p in problems if p)
    finally:
        context.close()


def test_chromium_can_install_the_app(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    # Chromium never offers to install from an incognito profile, which every new_context is.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    page = context.new_page()
    try:
        open_chat(page, server.base_url)
        expect(page).to_have_title("Flet Chat")
        manifest = page.request.get(f"{server.base_url}/manifest.json").json()
        assert manifest["name"] == "Flet Chat"
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"] == "#3F51B5"
        purposes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
        for icon in manifest["icons"]:
            assert page.request.get(f"{server.base_url}/{icon['src']}").ok, icon
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
    finally:
        context.close()
