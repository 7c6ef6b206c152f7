"""A labelled line across the message list: a day ("Today", "Mon 23 Nov") or any other divider
(ui/timeline.py's Separator). Shared by every session like message rows (ui/row_cache.py)."""

from __future__ import annotations

import flet as ft

from flet_chat.ui.controls.shared_row import SharedRow
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR


class SeparatorRow(SharedRow, ft.Row):
    """A labelled line across the list: a day ("Today") or any other divider. Shared by key."""

    walk_once = True

    def __init__(self, key: str, label: str, accessible_label: str) -> None:
        super().__init__(
            key=key,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                _rule(),
                ft.Text(
                    label,
                    size=12,
                    weight=ft.FontWeight.BOLD,
                    color=NOTICE_COLOR,
                    semantics_label=accessible_label,
                ),
                _rule(),
            ],
        )


def _rule() -> ft.Control:
    # A Divider takes its width from its parent: in a row it needs an expanding container.
    return ft.Container(ft.Divider(height=1, color=BORDER_COLOR), expand=True)
