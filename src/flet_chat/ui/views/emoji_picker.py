"""The composer's emoji: a picker dialog (a search field over a grid) and the row of
`:shortcode:` suggestions under the composer. Both are the session's own controls (they hold its
handlers), built when first needed: the picker on each open, with at most PICKER_SHOWN emoji at
a time (a grid of the whole catalog would be nearly 2,000 controls per session); the
suggestions row holds at most SUGGESTIONS buttons. What to show comes from core/emoji.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import flet as ft

from flet_chat.core.emoji import NamedEmoji, search
from flet_chat.ui import keys

Pick = Callable[[str], Awaitable[None]]
Handler = Callable[[Any], Awaitable[None]]

TITLE = "Emoji"
SEARCH_LABEL = "Search emoji"
INSERT_EMOJI = "Insert emoji"
PICKER_SHOWN = 64
SUGGESTIONS = 6
NOTHING_FOUND = "No emoji by that name."


def spoken_name(named: NamedEmoji) -> str:
    return named.name.replace("_", " ")


class EmojiSuggestions:
    """`:smi` completion: "😄 :smile:" buttons under the composer; Enter takes the first."""

    def __init__(self) -> None:
        self.row = ft.Row(key=keys.EMOJI_SUGGESTIONS, visible=False, wrap=True, spacing=2)
        self.shown: tuple[NamedEmoji, ...] = ()

    def show(self, found: tuple[NamedEmoji, ...], on_pick: Pick) -> bool:
        """Show `found` (nothing hides the row); False when it is what is shown already."""
        if found == self.shown:
            return False
        self.shown = found
        self.row.visible = bool(found)
        self.row.controls = [
            _suggestion(named, on_pick, first=i == 0) for i, named in enumerate(found)
        ]
        return True


def _suggestion(named: NamedEmoji, on_pick: Pick, *, first: bool) -> ft.Control:
    async def pick(_event: Any) -> None:
        await on_pick(named.emoji)

    label = f"{named.emoji} :{named.name}:"
    return ft.TextButton(
        content=ft.Text(
            label,
            weight=ft.FontWeight.BOLD if first else None,
            semantics_label=f"Insert {spoken_name(named)}",
        ),
        key=keys.emoji_suggestion(named.name),
        tooltip="Enter inserts it" if first else None,
        on_click=pick,
    )


class EmojiPicker:
    """A dialog: a search field and a grid of at most PICKER_SHOWN emoji matching it; Enter in
    the field takes the first."""

    def __init__(
        self, *, on_pick: Pick, on_search: Handler, on_submit: Handler, on_close: Handler
    ) -> None:
        self._on_pick = on_pick
        self.search = ft.TextField(
            key=keys.EMOJI_SEARCH,
            label=SEARCH_LABEL,
            autofocus=True,
            dense=True,
            on_change=on_search,
            on_submit=on_submit,  # Enter takes the first emoji shown
        )
        self.note = ft.Text(NOTHING_FOUND, visible=False, italic=True)
        self.grid = ft.GridView(
            key=keys.EMOJI_GRID,
            max_extent=44,
            spacing=2,
            run_spacing=2,
            height=240,
            width=320,
        )
        self.shown: tuple[NamedEmoji, ...] = ()
        self.fill(search("", PICKER_SHOWN))
        self.dialog = ft.AlertDialog(
            title=ft.Text(TITLE),
            semantics_label=TITLE,
            content=ft.Column([self.search, self.note, self.grid], tight=True, spacing=8),
            actions=[ft.TextButton(content="Close", on_click=on_close)],
        )

    def fill(self, found: Sequence[NamedEmoji]) -> None:
        self.shown = tuple(found)
        self.grid.controls = [self._choice(named) for named in found]
        self.note.visible = not found

    def show_matches(self, query: str) -> list[ft.Control]:
        """The grid for what was typed in the search field; returns the controls to send."""
        found = search(query[:40], PICKER_SHOWN)
        if found == self.shown:
            return []
        self.fill(found)
        return [self.grid, self.note]

    def _choice(self, named: NamedEmoji) -> ft.Control:
        async def pick(_event: Any) -> None:
            await self._on_pick(named.emoji)

        return ft.TextButton(
            content=ft.Text(named.emoji, size=22, semantics_label=spoken_name(named)),
            key=keys.emoji_choice(named.name),
            tooltip=f":{named.name}:",
            on_click=pick,
        )
