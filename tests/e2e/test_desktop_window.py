"""The chat in a real Flet desktop window (`flet-chat desktop`, not the web server), under Xvfb.

The window is Flet's 0.82.2 Linux client from PyPI behind `flet_chat.testing.desktop_relay`
(scripts/install-desktop-client installs both and the X tools; Flet's own 1.0.5 client comes
from GitHub, which these machines cannot reach). xdotool types real keys: into the join
dialog's name field, which has the focus, then into the composer after a click at the bottom
centre of the window. Each step waits for what a person would see or the app would know: the
window mapped, the dialog's barrier darkening it, the typed text reported by the window (the
relay's transcript), the join and the message stored, and at the end the join notice and the
message read off the window's screenshot (Tesseract).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flet_chat.testing import desktop_client
from tests.support.desktop import (
    VirtualDisplay,
    Window,
    differs,
    dimmed,
    find_window,
    missing_tools,
    poll,
    text_in,
)

pytestmark = pytest.mark.e2e

NAME = "Dora"
TEXT = "hello from the desktop window"
WINDOW_TITLE = "Flet Chat"
UPDATE_PROPS = 4  # the client's "a control's properties changed" message
TYPING_ATTEMPTS = 3
COMPOSER_ABOVE_BOTTOM = 34  # pixels from the window's bottom edge to the composer's middle


def _client_or_reason() -> Path:
    """The client; else the test skips with the reason where nothing can install one, and
    fails where scripts/install-desktop-client could have (or in CI)."""
    client = desktop_client.client_executable()
    missing = missing_tools()
    if client.is_file() and not missing:
        return client
    needs = [*missing, *([] if client.is_file() else ["Flet's 0.82.2 desktop client"])]
    reason = f"{', '.join(needs)} missing: scripts/install-desktop-client installs them"
    can_install = (
        platform.machine() == "x86_64" and shutil.which("apt-get") is not None and os.geteuid() == 0
    )
    if os.environ.get("CI") or can_install:
        pytest.fail(reason)
    pytest.skip(f"{reason} (it needs Debian's apt-get as root on Linux x86_64)")


@pytest.fixture
def display() -> Iterator[str]:
    _client_or_reason()
    screen = VirtualDisplay()
    yield screen.name
    screen.stop()


def _window_sent_value(trace: Path, value: str) -> bool:
    """Whether the window has told the app a field now holds `value` (the relay's transcript).
    Enter goes to the client straight, the typed text through GTK's input method: on a busy
    machine Enter can overtake the last letters, so it is pressed once the text has arrived."""
    if not trace.exists():
        return False
    for line in trace.read_text(encoding="utf-8").splitlines():
        direction, (action, body) = json.loads(line)
        if direction == ">" and action == UPDATE_PROPS and body["props"].get("value") == value:
            return True
    return False


def _type_until_sent(window: Window, trace: Path, text: str, focus: Callable[[], None]) -> None:
    """Type `text` (after `focus()`) until the window has sent it to the app: keys sent before
    the field is wired to the keyboard are lost, and a person types again (all of it: Ctrl+A
    first replaces what a lost attempt left)."""
    for attempt in range(TYPING_ATTEMPTS):
        focus()
        window.press("ctrl+a")
        window.type(text)
        try:
            poll(lambda: _window_sent_value(trace, text), timeout=5, what=f"{text!r} typed")
            return
        except TimeoutError:
            if attempt == TYPING_ATTEMPTS - 1:
                raise


def _app_sent_text(trace: Path, text: str) -> bool:
    """Whether the app has sent the window a control showing `text`."""
    quoted = json.dumps(text)
    return trace.exists() and any(
        line.startswith('["<"') and quoted in line
        for line in trace.read_text(encoding="utf-8").splitlines()
    )


def _chat_lines(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT kind, user_name, text FROM messages WHERE room = ?", ("general",)
        )
        return [(str(kind), str(name), str(text)) for kind, name, text in rows]


def test_a_message_typed_in_the_desktop_window_is_sent_and_shown(
    display: str, tmp_path: Path, artifacts_dir: Path
) -> None:
    view = desktop_client.write_view_dir(
        tmp_path / "view", client=desktop_client.client_executable()
    )
    home = tmp_path / "home"  # the client keeps its sign-in here: a fresh person every run
    home.mkdir()
    env = {
        **os.environ,
        "DISPLAY": display,
        "FLET_VIEW_PATH": str(view),
        "FLET_CHAT_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
    for setting in ("DATABASE_URL", "REDIS_URL"):  # the defaults: a SQLite file, one process
        env.pop(setting, None)
    trace = tmp_path / "relay.jsonl"
    env["FLET_RELAY_TRACE"] = str(trace)
    log_path = tmp_path / "desktop.log"
    with log_path.open("wb") as log:
        # Its own process group: the relay and the client stop with it, as on Ctrl-C.
        app = subprocess.Popen(
            [sys.executable, "-m", "flet_chat", "desktop"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    database = tmp_path / "data" / "chat.db"
    try:
        window = find_window(display, WINDOW_TITLE, timeout=30)
        # The composer is there before the join dialog: type only once the dialog is up.
        window.settled(dimmed)
        _type_until_sent(window, trace, NAME, window.focus)
        window.press("Return")
        poll(
            lambda: ("join", NAME, f"{NAME} has joined the chat.") in _chat_lines(database),
            timeout=15,
            what=f"join of {NAME}",
        )
        window.settled(lambda shown: not dimmed(shown))  # the dialog has gone

        def into_the_composer() -> None:
            # It spans the bottom of the middle column at any window width.
            window.click(window.width // 2, -COMPOSER_ABOVE_BOTTOM)
            window.settled()  # focused: keys sent before the field is wired up are lost

        _type_until_sent(window, trace, TEXT, into_the_composer)
        typed = window.settled()
        window.press("Return")
        poll(lambda: ("chat", NAME, TEXT) in _chat_lines(database), timeout=15, what="message")
        poll(lambda: _app_sent_text(trace, TEXT), timeout=10, what="message row")
        shown = window.settled(lambda now: differs(now, typed))
        shown.save(artifacts_dir / "desktop-window.png")
        # Drawn in the conversation, as a person sees it (not only sent to the window).
        words = text_in(shown)
        assert f"{NAME} has joined the chat." in words, words
        assert TEXT in words, words
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        try:
            exit_code = app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
            exit_code = app.wait()
    log_text = log_path.read_text(errors="replace")
    assert exit_code == 0, log_text
    assert " ERROR " not in log_text, log_text
    assert "Traceback" not in log_text, log_text
