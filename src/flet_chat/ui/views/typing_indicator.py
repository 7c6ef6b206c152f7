"""'Alice is typing...': who typed in the last few seconds, not counting you."""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft

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
