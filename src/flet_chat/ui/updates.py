"""Sends what ChatView.render returned: ready-made patches where Flet's diff can be skipped.

A live message either adds rows at the end of a chunk (RowsAppended) or changes the ListView's
items (ListSpliced: a new chunk at the end, the oldest chunk gone from the top, new lead rows).
Both are sent as patches built from rows encoded once per process (see
flet_compat.send_list_patch); anything else, or a session that cannot take them, goes through
Flet's own `update()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import flet as ft

from flet_chat.flet_compat import (
    accepts_ready_made,
    holds_empty_list,
    pack_new_container,
    send_changed_scalars,
    send_list_patch,
    send_list_replaced,
)
from flet_chat.ui.views.message_list import ListSpliced, ReadyMade, RowsAppended, Update


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
    first_page = holds_empty_list(page, list_view) and not update.removed
    if not (first_page or accepts_ready_made(page, list_view)):
        list_view.update()
        return
    # The session's own controls (with handlers Flet must index) are left out of the
    # ready-made part; Flet's diff then adds them, and walks nothing else (chunks are isolated).
    own = [new for _, new in update.added if _is_own(new)]
    ready: list[tuple[int, bytes]] = []
    for index, new in update.added:
        if own and _is_own(new):
            continue
        if own:
            index -= sum(1 for at, other in update.added if at < index and _is_own(other))
        if isinstance(new, RowsAppended):
            packed = pack_new_container(new.chunk, list_view, [d.packed() for d in new.rows])
        else:
            packed = cast(ReadyMade, new).packed()
        ready.append((index, packed))
    # (A live message starting a chunk, 1 in CHUNK_SIZE for every session at once, has none.)
    now_holds = [c for c in list_view.controls if all(c is not o for o in own)] if own else None
    send_changed_scalars(page, list_view)  # `auto_scroll` turned off must apply to this change
    if first_page:
        send_list_replaced(page, list_view, [packed for _, packed in ready], now_holds=now_holds)
    else:
        send_list_patch(page, list_view, removed=update.removed, added=ready, now_holds=now_holds)
    if own:
        list_view.update()


def _is_own(new: object) -> bool:
    """A control of this session's (the "New messages" line), not one that carries the
    encoding every session is sent (the "Load older" head)."""
    return isinstance(new, ft.Control) and not callable(getattr(new, "packed", None))
