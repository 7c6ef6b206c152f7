"""'Alice is typing...': who typed in the last few seconds, not counting you."""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft

from flet_chat.core.limits import TYPING_SHOWN_SECONDS
from flet_chat.core.validation import sorted_names
from flet_chat.ui import keys
from flet_chat.ui.theme import NOTICE_COLOR


def typing_text(names: Sequence[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing..."
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing..."
    return "Several people are typing..."


class TypingTracker:
    """Who is typing as one session sees it: each name until `shown` seconds after their last
    typing event, or until their message arrives."""

    def __init__(self, *, shown: float = TYPING_SHOWN_SECONDS) -> None:
        self._shown = shown
        self._until: dict[str, float] = {}

    def typed(self, user_name: str, now: float) -> None:
        self._until[user_name] = now + self._shown

    def stopped(self, user_name: str) -> bool:
        """Returns whether `user_name` was shown."""
        return self._until.pop(user_name, None) is not None

    def expire(self, now: float) -> None:
        self._until = {name: until for name, until in self._until.items() if until > now}

    def next_expiry(self) -> float | None:
        return min(self._until.values(), default=None)

    def names(self, *, me: str | None) -> list[str]:
        return sorted_names([name for name in self._until if name != me])


class TypingIndicator:
    def __init__(self) -> None:
        # Always present, empty when nobody types: the composer does not jump up and down.
        self.text = ft.Text("", key=keys.TYPING_INDICATOR, italic=True, size=12, color=NOTICE_COLOR)

    def show(self, names: Sequence[str]) -> list[ft.Control]:
        text = typing_text(names)
        if self.text.value == text:
            return []
        self.text.value = text
        return [self.text]
