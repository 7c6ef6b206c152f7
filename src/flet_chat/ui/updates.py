"""Sends what ChatView.render returned: ready-made patches where Flet's diff can be skipped.

A live message either adds rows at the end of a chunk (RowsAppended) or changes the ListView's
items (ListSpliced: a new chunk at the end, the oldest chunk gone from the top, new lead rows).
Both are sent as patches built from rows encoded once per process (see
flet_compat.send_list_patch); anything else, or a session that cannot take them, goes through
Flet's own `update()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft

from flet_chat.flet_compat import accepts_ready_made, pack_new_container, send_list_patch
from flet_chat.ui.views.message_list import ListSpliced, RowsAppended, Update


def send_updates(page: ft.Page, updates: Sequence[Update]) -> None:
    for update in updates:
        if isinstance(update, RowsAppended):
            _send_rows(page, update)
        elif isinstance(update, ListSpliced):
            _send_splice(page, update)
        else:
            update.update()


def _send_rows(page: ft.Page, update: RowsAppended) -> None:
    if not accepts_ready_made(page, update.chunk):
        update.chunk.update()
        return
    packed = [drawn.packed() for drawn in update.rows]
    added = list(enumerate(packed, start=update.start))
    send_list_patch(page, update.chunk, removed=(), added=added)


def _send_splice(page: ft.Page, update: ListSpliced) -> None:
    list_view = update.list_view
    if not accepts_ready_made(page, list_view):
        list_view.update()
        return
    added = [
        (
            index,
            pack_new_container(new.chunk, list_view, [drawn.packed() for drawn in new.rows])
            if isinstance(new, RowsAppended)
            else new.packed(),
        )
        for index, new in update.added
    ]
    send_list_patch(page, list_view, removed=update.removed, added=added)
