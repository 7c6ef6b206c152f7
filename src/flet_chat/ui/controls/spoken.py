"""What screen readers hear of a row. A row is one node (`SpokenRow`, a `ft.Semantics`
container) named from the values it shows (`spoken`); its visible texts are silent (an empty
semantics label) so nothing is said twice. Without the node, Flutter merged a chunk of rows
into one node named by all their text."""

from __future__ import annotations

from typing import Any

import flet as ft

from flet_chat.flet_compat import drop_unused_expand_hosts
from flet_chat.ui.controls.shared_row import SharedRow

# A Text with this semantics label says nothing: its row's label says it (see `spoken`).
SILENT = ""


def silent_text(text: str, **style: Any) -> ft.Text:
    return ft.Text(text, semantics_label=SILENT, **style)


def spoken(author: str, time: str, text: str) -> str:
    """A row's accessible name, from what the row shows: "Alice, 7:33 PM: hello"."""
    return f"{author}, {time}: {text}"


def actions_label(author: str, time: str) -> str:
    """The name of a row's actions button: "Actions for Alice's message at 7:33 PM"."""
    return f"Actions for {author}'s message at {time}"


def author_spoken(user_name: str, shown_name: str | None, badge: str | None) -> str:
    """The author as a row's header shows them: "Alice", "Ann Lee (@ann)", "Helper (BOT)"."""
    author = user_name if shown_name is None else f"{shown_name} (@{user_name})"
    return author if badge is None else f"{author} ({badge})"


class SpokenRow(SharedRow, ft.Semantics):
    """A row as one node for screen readers, named `label` (None: by the row's own text). It
    takes the row's key: the list's diff knows the row by it."""

    walk_once = True

    def __init__(self, row: ft.Control, label: str | None) -> None:
        key, row.key = row.key, None
        drop_unused_expand_hosts(row)  # it never changes (see flet_compat)
        super().__init__(key=key, container=True, label=label, content=row)
