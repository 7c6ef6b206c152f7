"""The tab's title: "(3) Flet Chat" while the user has unread messages, "Flet Chat" at none.

What counts is what the room list's badges count (chat and /me by others, mentions among them),
summed over every room and direct conversation, plus messages that arrive in the room on screen
while the tab is hidden (the user is not looking). Only a change of the text reaches the
browser, so a session whose count did not change does no work."""

from __future__ import annotations

from typing import Protocol

from flet_chat.core.limits import UNREAD_CAP

APP_TITLE = "Flet Chat"


class TitleScreen(Protocol):
    def set_title(self, title: str) -> None: ...


def title_for(unread: int) -> str:
    if unread <= 0:
        return APP_TITLE
    count = f"{UNREAD_CAP - 1}+" if unread >= UNREAD_CAP else str(unread)
    return f"({count}) {APP_TITLE}"


class TabTitle:
    def __init__(self, screen: TitleScreen) -> None:
        self._screen = screen
        self._elsewhere = 0  # unread in the user's rooms (the one on screen has none)
        self._missed_here = 0  # arrived in the room on screen while the tab was hidden
        self.hidden = False
        self.shown = APP_TITLE

    def rooms_changed(self, unread: int) -> None:
        self._elsewhere = unread
        self._show()

    def missed_here(self, count: int) -> None:
        """Messages counted as unread arrived in the room on screen while the tab was hidden."""
        if self.hidden:  # shown again meanwhile: the user has seen them
            self._missed_here += count
            self._show()

    def visibility_changed(self, *, hidden: bool) -> None:
        self.hidden = hidden
        if not hidden:
            self._missed_here = 0  # the user is looking at the room again
            self._show()

    def _show(self) -> None:
        title = title_for(self._elsewhere + self._missed_here)
        if title != self.shown:
            self.shown = title
            self._screen.set_title(title)
