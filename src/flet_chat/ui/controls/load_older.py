""" "Load older messages", above a list that has older history: one button for the process.

It is the same for every session, so like a message row it is made once, encoded once, and
sent to each session ready-made with the rows of its first page (ui/updates.py); made per
session, it was the one item of that page left to Flet: a second frame, and a diff of the
list's items (not of the rows inside them) to add it. A click reaches the session that sent
it (ui/routing.py).
"""

from __future__ import annotations

import flet as ft

from flet_chat.ui import keys
from flet_chat.ui.controls.shared_row import SharedRow, packed_once
from flet_chat.ui.routing import ROUTED, RoutedControl

LOAD_OLDER = "load_older"
LOAD_OLDER_TEXT = "Load older messages"


class LoadOlderButton(SharedRow, RoutedControl, ft.TextButton):
    walk_once = True  # never changes (see flet_compat.install_walk_once)

    def __init__(self) -> None:
        self.route = (LOAD_OLDER, "")
        super().__init__(content=LOAD_OLDER_TEXT, key=keys.LOAD_OLDER_BUTTON, on_click=ROUTED)

    def packed(self) -> bytes:
        return packed_once(self)


_button: LoadOlderButton | None = None


def load_older_button() -> LoadOlderButton:
    """The process's button (made on first use: Flet's classes are ready by then)."""
    global _button
    if _button is None:
        _button = LoadOlderButton()
    return _button
