"""One row control per message revision, shared by every session of the process.

A message row never changes once built, and Flet serialises a control afresh for each session
it is added to, so sessions can share the objects: memory per session stays small however many
rows it shows, and each row is built once per process instead of once per session. Shared rows
carry no per-session event handlers (their buttons are RoutedControls, see ui/routing.py) and
are never `update()`d (their parent link points at whichever session added them last).

A changed message (edited, deleted, reacted to) gets a new row object under a new key (its
revision), which sessions put in place of the old one; the old revision is evicted then.
"""

from __future__ import annotations

from collections import OrderedDict

import flet as ft

from flet_chat.core.models import Message
from flet_chat.flet_compat import pack_control
from flet_chat.ui.controls.chat_message import message_row

RowKey = tuple[int, int]  # (message id, revision)


class RowCache:
    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._rows: OrderedDict[RowKey, ft.Control] = OrderedDict()
        self._packed: dict[RowKey, bytes] = {}
        self._revisions: dict[int, int] = {}  # the newest revision cached, by message id

    def row(self, message: Message) -> ft.Control:
        key = (message.id, message.revision)
        row = self._rows.get(key)
        if row is not None:
            self._rows.move_to_end(key)
            return row
        row = message_row(message)
        newest = self._revisions.get(message.id)
        if newest is not None and newest > message.revision:
            return row  # a session still shows an older state for a moment: not worth keeping
        if newest is not None:
            self._drop((message.id, newest))
        self._rows[key] = row
        self._revisions[message.id] = message.revision
        if len(self._rows) > self._capacity:
            evicted, _ = self._rows.popitem(last=False)
            self._packed.pop(evicted, None)
            if self._revisions.get(evicted[0]) == evicted[1]:
                del self._revisions[evicted[0]]
        return row

    def packed(self, message: Message) -> bytes:
        """The row as MessagePack, encoded once per process instead of once per session."""
        key = (message.id, message.revision)
        packed = self._packed.get(key)
        if packed is None:
            row = self.row(message)
            packed = pack_control(row)
            if self._rows.get(key) is row:  # only cache what the row cache keeps
                self._packed[key] = packed
        return packed

    def _drop(self, key: RowKey) -> None:
        self._rows.pop(key, None)
        self._packed.pop(key, None)
