"""What the bundled fallback fonts cost a browser: bytes downloaded and time until the last
message is on screen, for a page whose history is Latin text only and for one with emoji, CJK
and Arabic, measured in the same run (`python -m bench.web_fonts [--runs N]`, needs Chromium).

Each run is a fresh browser context (empty cache) against its own server whose #general holds
one message, posted through the webhook. The page is loaded, a guest joins, and the clock stops
when the message is in the page's semantics tree and every fallback font the engine asked for
has arrived (Performance API timings, from navigation start). Medians are printed, with the
ratio of the mixed page to the Latin one."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bench.servers import BenchServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"]
TOKEN = "bench-web-fonts-token"
PAGES = {"latin": "Hello there, see you at five", "mixed": "✓ 你好 🙂 مرحبا שלום 👍"}
FONTS = "/assets/fonts/noto"
TIMINGS = """() => {
  const entries = [...performance.getEntriesByType("navigation"),
                   ...performance.getEntriesByType("resource")];
  const fonts = entries.filter(e => e.name.includes("FONTS_PATH"));
  return {
    bytes: entries.reduce((sum, e) => sum + (e.transferSize || 0), 0),
    font_bytes: fonts.reduce((sum, e) => sum + (e.transferSize || 0), 0),
    font_files: fonts.length,
    fonts_done: Math.max(0, ...fonts.map(e => e.responseEnd)),
    pending: fonts.filter(e => !e.responseEnd).length,
  };
}""".replace("FONTS_PATH", FONTS)


@dataclass
class Sample:
    bytes: int
    font_bytes: int
    font_files: int
    ms_to_message: float


def join(page: Page, name_text: str, attempts: int = 5) -> None:
    """As a guest. Keys typed while Flutter wires the field up can be lost (the dialog then
    stays, saying the name is blank): type again, as tests/e2e's join_as does. A guest's name
    stays claimed on the server, so every run joins under a new one."""
    name = page.get_by_role("textbox", name="Name")
    name.wait_for(timeout=60_000)
    for attempt in range(attempts):
        name.click()
        page.keyboard.press("Control+a")
        page.keyboard.type(name_text)
        page.get_by_role("button", name="Join chat").click()
        try:
            page.get_by_text("Welcome!").wait_for(state="hidden", timeout=4_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise


def measure(page: Page, base_url: str, text: str, reader: str) -> Sample:
    page.goto(base_url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=60_000)
    placeholder.evaluate("e => e.click()")
    join(page, reader)
    message = page.get_by_text(text).or_(page.get_by_label(text, exact=False)).first
    message.wait_for(timeout=30_000)
    shown = page.evaluate("() => performance.now()")
    page.wait_for_function(f"() => ({TIMINGS})().pending === 0", timeout=30_000)
    result = page.evaluate(TIMINGS)
    return Sample(
        bytes=result["bytes"],
        font_bytes=result["font_bytes"],
        font_files=result["font_files"],
        ms_to_message=max(shown, result["fonts_done"]),
    )


def run(runs: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {kind: [] for kind in PAGES}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        servers = {}
        try:
            for kind, text in PAGES.items():
                server = BenchServer(
                    kind="ours",
                    data_dir=Path(tmp) / kind,
                    log_path=Path(tmp) / f"{kind}.log",
                    env_overrides={"FLET_CHAT_WEBHOOK_TOKEN": TOKEN},
                )
                servers[kind] = server.start()
                response = httpx.post(
                    f"{server.base_url}/api/rooms/general/messages",
                    json={"text": text, "name": "Poster"},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                response.raise_for_status()
            for number in range(runs):
                for kind, text in PAGES.items():  # interleaved: drift hits both alike
                    context = browser.new_context(viewport={"width": 900, "height": 640})
                    try:
                        samples[kind].append(
                            measure(
                                context.new_page(), servers[kind].base_url, text, f"Reader{number}"
                            )
                        )
                    finally:
                        context.close()
        finally:
            for server in servers.values():
                server.stop()
            browser.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    samples = run(args.runs)
    medians = {
        kind: {
            "bytes": statistics.median(s.bytes for s in found),
            "font_bytes": statistics.median(s.font_bytes for s in found),
            "font_files": statistics.median(s.font_files for s in found),
            "ms": statistics.median(s.ms_to_message for s in found),
        }
        for kind, found in samples.items()
    }
    for kind, m in medians.items():
        print(
            f"{kind:6} bytes {m['bytes'] / 1e6:6.2f} MB (fonts {m['font_bytes'] / 1e6:5.2f} MB in"
            f" {m['font_files']:.0f} files)  message on screen after {m['ms']:6.0f} ms"
        )
    latin, mixed = medians["latin"], medians["mixed"]
    print(
        f"mixed / latin: bytes x{mixed['bytes'] / latin['bytes']:.2f},"
        f" time x{mixed['ms'] / latin['ms']:.2f}"
        f" (medians of {args.runs} runs each, {time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
