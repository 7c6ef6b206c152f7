"""One row control per message, shared by every session of the process.

A message row never changes once built, and Flet serialises a control afresh for each session
it is added to, so sessions can share the objects: memory per session stays small however many
rows it shows, and each row is built once per process instead of once per session. Shared rows
carry no event handlers and are never `update()`d (their parent link points at whichever session
added them last); a changed message gets a new row.
"""

from __future__ import annotations

from collections import OrderedDict

import flet as ft

from flet_chat.core.models import Message
from flet_chat.flet_compat import pack_control
from flet_chat.ui.controls.chat_message import message_row


class RowCache:
    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._rows: OrderedDict[int, ft.Control] = OrderedDict()
        self._packed: dict[int, bytes] = {}

    def row(self, message: Message) -> ft.Control:
        row = self._rows.get(message.id)
        if row is None:
            row = self._rows[message.id] = message_row(message)
            if len(self._rows) > self._capacity:
                evicted, _ = self._rows.popitem(last=False)
                self._packed.pop(evicted, None)
        else:
            self._rows.move_to_end(message.id)
        return row

    def packed(self, message: Message) -> bytes:
        """The row as MessagePack, encoded once per process instead of once per session."""
        packed = self._packed.get(message.id)
        if packed is None:
            packed = self._packed[message.id] = pack_control(self.row(message))
        return packed
