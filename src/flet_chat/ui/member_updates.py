"""Sends what MemberList.show changed: one ready-made patch, encoded once per process.

Every arrival changes "Online (N)" and "and N more" in every session, and the first arrivals
change the rows too. Through Flet's `update()` each session diffed and encoded each text, and
the list of rows, on its own: about 0.5 ms per session per change, so a crowd of 1,000 joining
cost each session a render per second, and the process most of a second per second. The
change is the same in every session showing the same list, so the patch's body (its path table
and operations, the new rows already encoded: MemberRow.packed) is built once and kept here by
what it says; a session adds only its panel's control id. A session that cannot take ready-made
patches (not ours, or its panel not sent yet) goes through Flet's `update()` as before.

Where the client's list is empty (the page's first send, `rows_sent_after`; or nobody was
online yet, as after a restart) the rows go as one ready-made replacement of the empty list:
through Flet's encoder 50 rows of 7 controls cost each session about 3 ms.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import flet as ft
import msgpack

from flet_chat.flet_compat import (
    OP_ADD,
    OP_REMOVE,
    OP_REPLACE,
    accepts_ready_made,
    holds_empty_list,
    mark_sent,
    send_list_replaced,
    send_patch,
    takes_ready_made,
)
from flet_chat.ui.views.member_list import MemberList, MemberRow, MembersShown, RowsMoved

PATCHES_KEPT = 64  # one per distinct change in flight: #general's is shared by everyone in it

# (title, more, the list's change as (removed, ((index, id(row)), ...))) -> the patch's body.
PatchKey = tuple[str | None, str | None, tuple[tuple[int, ...], tuple[tuple[int, int], ...]] | None]


class MemberPatches:
    """The bodies of recent member list patches, shared by every session of the process."""

    def __init__(self, capacity: int = PATCHES_KEPT) -> None:
        self._capacity = capacity
        # The body, and the rows it adds: held so that no id in a key is reused meanwhile.
        self._bodies: OrderedDict[PatchKey, tuple[bytes, tuple[Any, ...]]] = OrderedDict()
        self.built = 0  # bodies encoded (tests: one per change, not one per session)

    def body(self, change: MembersShown) -> bytes:
        rows = change.rows
        moved = None
        if rows is not None:
            moved = (rows.removed, tuple((index, id(row)) for index, row in rows.added))
        key = (change.title, change.more, moved)
        kept = self._bodies.get(key)
        if kept is not None:
            self._bodies.move_to_end(key)
            return kept[0]
        body = _encode(change.title, change.more, rows)
        self.built += 1
        self._bodies[key] = (body, tuple(row for _, row in rows.added) if rows else ())
        if len(self._bodies) > self._capacity:
            self._bodies.popitem(last=False)
        return body


def send_members(
    page: ft.Page | None, members: MemberList, change: MembersShown, patches: MemberPatches
) -> None:
    """Send `change` to the page's client: ready-made where the client can take it."""
    if not change.controls:
        return
    column, list_view = members.column, members.list_view
    if (
        page is not None
        and change.rows is None
        and any(c is list_view for c in change.controls)  # `is`: controls compare by value
        and list_view.controls
        and holds_empty_list(page, list_view)
    ):
        _fill_empty_list(page, list_view)
        change = MembersShown(
            controls=[c for c in change.controls if c is not list_view],
            title=change.title,
            more=change.more,
        )
        if not change.controls:
            return
    ready = (
        page is not None
        and (change.rows is not None or not change.list_changed)
        and accepts_ready_made(page, column)
        and (change.rows is None or accepts_ready_made(page, list_view))
    )
    if not ready:
        for control in change.controls:
            control.update()
        return
    assert page is not None
    send_patch(page, column, patches.body(change))
    if change.title is not None:
        mark_sent(members.title, "value")
    if change.more is not None:
        mark_sent(members.more, "value")
    if change.rows is not None:
        mark_sent(list_view, "controls")


@contextmanager
def rows_sent_after(page: ft.Page | None, members: MemberList) -> Iterator[None]:
    """Around the page's first send of the panel: the list goes out empty, and its rows follow
    as one ready-made replacement."""
    list_view = members.list_view
    rows: list[ft.Control] = list(list_view.controls)
    if page is None or not rows or not takes_ready_made(page):
        yield
        return
    list_view.controls = []
    try:
        yield
    finally:
        list_view.controls = rows
    # Else the page did not go out (the socket is closing): the panel, whenever it is sent,
    # goes whole, rows and all.
    if holds_empty_list(page, list_view):
        _fill_empty_list(page, list_view)


def _fill_empty_list(page: ft.Page, list_view: ft.Column) -> None:
    rows = list_view.controls
    packed = [cast(MemberRow, row).packed() for row in rows]  # MemberList.show's rows
    send_list_replaced(page, list_view, packed, now_holds=rows)


_TITLE_AT, _LIST_AT, _MORE_AT = MemberList.TITLE_AT, MemberList.LIST_AT, MemberList.MORE_AT
_PACKER = msgpack.Packer()


def _encode(title: str | None, more: str | None, rows: RowsMoved | None) -> bytes:
    """`[path table, op...]` as Flet's ObjectPatch.to_message lays it out: node 0 is the
    column, node 1 its `controls`, then a node per part changed (and the list's `controls`)."""
    parts: dict[int, list[Any]] = {}
    ops = bytearray()
    count = 0
    node = 2
    if title is not None:
        parts[_TITLE_AT] = [node]
        ops += _PACKER.pack([OP_REPLACE, node, "value", title])
        node, count = node + 1, count + 1
    if rows is not None:
        items = node + 1
        parts[_LIST_AT] = [node, {"controls": [items]}]
        for index in rows.removed:
            ops += _PACKER.pack([OP_REMOVE, items, index])
        for index, row in rows.added:
            ops += _PACKER.pack_array_header(4) + _PACKER.pack(OP_ADD) + _PACKER.pack(items)
            ops += _PACKER.pack(index) + row.packed()
        node, count = node + 2, count + len(rows.removed) + len(rows.added)
    if more is not None:
        parts[_MORE_AT] = [node]
        ops += _PACKER.pack([OP_REPLACE, node, "value", more])
        count += 1
    table: bytes = _PACKER.pack([0, {"controls": [1, parts]}])
    head: bytes = _PACKER.pack_array_header(1 + count)
    return head + table + bytes(ops)
