"""The composer's emoji: `:smi` suggestions as the user types (Enter or a click puts the
emoji in place of `:smi`), and the picker dialog behind the composer's emoji button (a click
adds the emoji at the end of the text). The text stays the user's: nothing is sent from here."""

from __future__ import annotations

from typing import Any

from flet_chat.core.emoji import complete_shortcode, search, shortcode_at_end
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.emoji_picker import SUGGESTIONS, EmojiPicker


class EmojiInput:
    def __init__(self, *, view: ChatView, screen: Screen) -> None:
        self._view = view
        self._screen = screen
        self.picker: EmojiPicker | None = None

    @property
    def _text(self) -> str:
        return self._view.message_input.value or ""

    def on_change(self, event: Any) -> None:
        """The composer changed (a keystroke): suggest emoji for a `:smi` at its end."""
        data = getattr(event, "data", None)
        self.suggest(data if isinstance(data, str) else self._text)

    def suggest(self, text: str) -> None:
        partial = shortcode_at_end(text)
        # Only names that start with it (or a word of them does): Enter takes the first.
        found = search(partial, SUGGESTIONS, anywhere=False) if partial else ()
        changed = self._view.suggest_emoji(found, self.complete)
        if changed:
            self._screen.refresh(*changed)

    async def accept(self, event: Any) -> bool:
        """Enter in the composer: True when it took the first suggestion instead of sending."""
        if getattr(event, "name", "submit") != "submit":
            return False  # the send button sends what is there
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else self._text  # as it was on Enter, if told
        # For the text as it is now (the suggestions shown may be older: a room switch put
        # another draft in the field).
        partial = shortcode_at_end(text)
        found = search(partial, SUGGESTIONS, anywhere=False) if partial else ()
        if not found:
            return False
        self._view.message_input.value = text
        await self.complete(found[0].emoji)
        return True

    async def complete(self, emoji: str) -> None:
        """Put `emoji` in place of the `:smi` being typed."""
        field = self._view.message_input
        field.value = complete_shortcode(self._text, emoji)
        self.suggest(field.value)
        self._screen.refresh(field)
        await self._screen.focus(field)

    async def open_picker(self, _event: Any = None) -> None:
        """The emoji button: a new picker each time (nothing of it is held between opens)."""
        self.picker = EmojiPicker(
            on_pick=self.pick,
            on_search=self._searched,
            on_submit=self._search_submitted,
            on_close=self._close_picker,
        )
        self._screen.show_dialog(self.picker.dialog)

    async def pick(self, emoji: str) -> None:
        """An emoji chosen in the picker: added at the end of the text, the picker closed."""
        field = self._view.message_input
        field.value = self._text + emoji
        await self._close_picker()
        self.suggest(field.value)
        self._screen.refresh(field)
        await self._screen.focus(field)

    async def _searched(self, event: Any) -> None:
        if self.picker is None:
            return
        data = getattr(event, "data", None)
        query = data if isinstance(data, str) else self.picker.search.value or ""
        changed = self.picker.show_matches(query)
        if changed:
            self._screen.refresh(*changed)

    async def _search_submitted(self, event: Any) -> None:
        await self._searched(event)  # the grid for the text as it was on Enter
        if self.picker is not None and self.picker.shown:
            await self.pick(self.picker.shown[0].emoji)

    async def _close_picker(self, _event: Any = None) -> None:
        if self.picker is not None:
            self._screen.close_dialog(self.picker.dialog)
            self.picker = None
