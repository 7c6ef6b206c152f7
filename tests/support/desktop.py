"""A virtual X display for desktop-window tests: Xvfb, xdotool for the keyboard, Pillow to look,
Tesseract to read.

Nothing here knows the chat; see tests/e2e/test_desktop_window.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image, ImageChops, ImageGrab, ImageStat

T = TypeVar("T")
TOOLS = ("Xvfb", "xdotool", "tesseract")
# A text cursor blinking in a focused field changes a few pixels forever; a settled screen
# changes no more than that between two looks.
_CURSOR_SIZED = 40 * 40
_FEW_COLOURS = 16
_DIMMED_BELOW = 160  # mean grey level: about 130 under a dialog's barrier, 240 without


def drawn(image: Image.Image) -> bool:
    """More than a few colours: text and controls, not an empty or half-painted window."""
    return image.convert("RGB").getcolors(_FEW_COLOURS) is None  # None: more than that many


def differs(image: Image.Image, reference: Image.Image) -> bool:
    """More than a blinking cursor tells `image` from `reference`."""
    box = ImageChops.difference(image.convert("RGB"), reference.convert("RGB")).getbbox()
    return box is not None and (box[2] - box[0]) * (box[3] - box[1]) > _CURSOR_SIZED


def dimmed(image: Image.Image) -> bool:
    """Most of the window darkened: a modal dialog's barrier covers it (on a light theme)."""
    return float(ImageStat.Stat(image.convert("L")).mean[0]) < _DIMMED_BELOW


def text_in(image: Image.Image) -> str:
    """The words Tesseract reads in `image`, one space between each. Drawn at twice the size
    first: at the window's own size it misses names beside an avatar."""
    larger = image.convert("RGB").resize(
        (image.width * 2, image.height * 2), Image.Resampling.LANCZOS
    )
    with tempfile.TemporaryDirectory(prefix="ocr-") as directory:
        picture = os.path.join(directory, "window.png")
        larger.save(picture)
        done = subprocess.run(
            ["tesseract", picture, "stdout"], capture_output=True, text=True, timeout=60, check=True
        )
    return " ".join(done.stdout.split())


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def poll(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """The first truthy result of `check()`, looked at every 0.1 s; TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout} s")
        time.sleep(0.1)  # polling a separate process's state, which has no event to wait on


@dataclass
class Window:
    display: str
    window_id: str
    x: int
    y: int
    width: int
    height: int

    def grab(self) -> Image.Image:
        box = (self.x, self.y, self.x + self.width, self.y + self.height)
        return ImageGrab.grab(bbox=box, xdisplay=self.display)

    def settled(
        self,
        showing: Callable[[Image.Image], bool] = lambda _: True,
        *,
        quiet: float = 0.5,
        timeout: float = 20.0,
    ) -> Image.Image:
        """The window once it has been painted, `showing` holds, and nothing but a blinking
        cursor has changed for `quiet` seconds (a busy client paints a patch some time after
        it arrived). A mapped window not yet painted is one flat colour."""
        previous = self.grab().convert("RGB")
        still_since = time.monotonic()

        def unchanged() -> Image.Image | None:
            nonlocal previous, still_since
            current = self.grab().convert("RGB")
            box = ImageChops.difference(current, previous).getbbox()
            previous = current
            if not drawn(current) or not showing(current):
                still_since = time.monotonic()
                return None
            if box is not None and (box[2] - box[0]) * (box[3] - box[1]) > _CURSOR_SIZED:
                still_since = time.monotonic()
                return None
            return current if time.monotonic() - still_since >= quiet else None

        return poll(unchanged, timeout=timeout, what="settled window")

    def focus(self) -> None:
        """Gives the window the keyboard (there is no window manager to do it on a click)."""
        self._xdotool("windowfocus", "--sync", self.window_id)

    def click(self, x: int, y: int) -> None:
        """A left click at (x, y) of the window (negative: from its right or bottom edge)."""
        x, y = x % self.width, y % self.height
        self._xdotool("mousemove", "--window", self.window_id, str(x), str(y), "click", "1")

    def type(self, text: str) -> None:
        """Real key events, as a person types them (`--window` would send synthetic events,
        which GTK ignores), into the control that has the window's focus."""
        self._xdotool("type", "--delay", "20", text)

    def press(self, key: str) -> None:
        self._xdotool("key", key)

    def _xdotool(self, *args: str) -> str:
        return xdotool(self.display, *args)


def xdotool(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    done = subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout


def find_window(display: str, title: str, *, timeout: float) -> Window:
    """Polls until a visible window named `title` is mapped; its position and size."""

    def visible() -> str | None:
        found = xdotool(display, "search", "--onlyvisible", "--name", title).split()
        return found[0] if found else None

    window_id = poll(visible, timeout=timeout, what=f"window {title!r}")
    shell = xdotool(display, "getwindowgeometry", "--shell", window_id)
    geometry = dict(line.split("=", 1) for line in shell.split())
    return Window(
        display,
        window_id,
        x=int(geometry["X"]),
        y=int(geometry["Y"]),
        width=int(geometry["WIDTH"]),
        height=int(geometry["HEIGHT"]),
    )


class VirtualDisplay:
    """An Xvfb server on the first free display number (Xvfb picks it: -displayfd)."""

    def __init__(self, *, width: int = 1280, height: int = 800) -> None:
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(
            [
                *("Xvfb", "-displayfd", str(write_end)),
                *("-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"),
            ],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        with os.fdopen(read_end) as reader:
            number = reader.readline().strip()  # written once the server accepts clients
        if not number:
            self.process.kill()
            raise RuntimeError(f"Xvfb did not start (exit code {self.process.wait()})")
        self.name = f":{number}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
