"""Sends what ChatView.render returned: ready-made patches where Flet's diff can be skipped.

A live message either adds rows at the end of a chunk (RowsAppended) or starts a new chunk
(ChunksAppended). Both are sent as patches built from rows encoded once per process (see
flet_compat.send_controls_appended); anything else, or a session that cannot take them, goes
through Flet's own `update()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft

from flet_chat.flet_compat import accepts_ready_made, pack_new_container, send_controls_appended
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.message_list import ChunksAppended, RowsAppended, Update


def send_updates(page: ft.Page, updates: Sequence[Update], rows: RowCache) -> None:
    for update in updates:
        if isinstance(update, RowsAppended):
            _send_rows(page, update, rows)
        elif isinstance(update, ChunksAppended):
            _send_chunks(page, update, rows)
        else:
            update.update()


def _send_rows(page: ft.Page, update: RowsAppended, rows: RowCache) -> None:
    if not accepts_ready_made(page, update.chunk):
        update.chunk.update()
        return
    packed = [rows.packed(e) for e in update.entries]
    send_controls_appended(page, update.chunk, update.start, packed)


def _send_chunks(page: ft.Page, update: ChunksAppended, rows: RowCache) -> None:
    if not accepts_ready_made(page, update.list_view):
        update.list_view.update()
        return
    packed = [
        pack_new_container(chunk.chunk, update.list_view, [rows.packed(e) for e in chunk.entries])
        for chunk in update.chunks
    ]
    send_controls_appended(page, update.list_view, update.start, packed)
