"""The message list as a ListView of small isolated chunks of rows.

Flet re-diffs every child of a control it updates. With one flat list, appending a message to a
session showing 200 rows re-diffed all 200 (≈25 ms per session per message, measured). Here rows
live in chunks of CHUNK_SIZE; a chunk is isolated, so updating the ListView skips the rows inside
its chunks, and appending a message updates only the last chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import flet as ft

from flet_chat.core.models import Message
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import SharedRow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.unread_divider import unread_divider

CHUNK_SIZE = 10
ROW_SPACING = 10


class MessageChunk(SharedRow, ft.Column):
    """Isolated and compared by identity, like the rows it holds (not shared, though)."""


@dataclass(frozen=True, slots=True)
class RowsAppended:
    """New rows at the end of a chunk the client already shows. The session sends this as one
    small ready-made patch (ui/updates.py) instead of asking Flet to diff."""

    chunk: MessageChunk
    start: int  # index in chunk.controls of the first new row
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class ChunksAppended:
    """New chunks at the end of the ListView (nothing else in it changed): sent as one ready-made
    patch too, so the message that starts a chunk costs no more than any other."""

    list_view: ft.ListView
    start: int  # index in list_view.controls of the first new chunk
    chunks: tuple[RowsAppended, ...]  # each new chunk with all its rows


Update = ft.Control | RowsAppended | ChunksAppended


class MessageList:
    def __init__(self, rows: RowCache, *, head: ft.Control) -> None:
        self.list_view = ft.ListView(
            key=keys.MESSAGE_LIST, expand=True, spacing=ROW_SPACING, auto_scroll=True
        )
        self._rows = rows
        self._head = head  # shown above the rows while older history exists
        self._chunks: list[MessageChunk] = []
        self._chunk_ids: list[list[int]] = []
        # "New messages" above this message (ui/views/unread_divider.py): it starts a chunk of
        # its own, and the divider sits between chunks in the ListView.
        self._divider: ft.Control | None = None
        self._divider_at: int | None = None
        self._rebuild = False

    def show(self, messages: Sequence[Message], *, has_older: bool) -> list[Update]:
        """Make the list show `messages`; returns the updates to send, in order."""
        chunks_before = list(self._chunks)
        step = None if self._rebuild else _as_shift_and_append(self.ids(), [m.id for m in messages])
        self._rebuild = False
        appends: dict[int, RowsAppended] = {}
        if step is None:  # paged back, jumped or a divider placed: rebuild
            self._chunks, self._chunk_ids = [], []
            self._append(messages)
            changed: list[MessageChunk] = []
        else:
            dropped, appended = step
            changed = self._drop_oldest(dropped)
            appends = self._append(messages[len(messages) - appended :])

        # Existing chunks that changed first. A chunk that only grew at the end is the common
        # case (a live message) and gets a ready-made patch; so do chunks added at the end.
        alive, changed_ids = {id(c) for c in self._chunks}, {id(c) for c in changed}
        updates: list[Update] = []
        for chunk in chunks_before:
            if id(chunk) not in alive:
                continue
            if id(chunk) in changed_ids:
                updates.append(chunk)
            elif id(chunk) in appends:
                updates.append(appends[id(chunk)])
        # Compare by id(): cheap, and independent of how a control defines equality.
        shown, controls = list(self.list_view.controls), self._list_controls(has_older)
        if _ids(controls) != _ids(shown):
            self.list_view.controls = controls
            new = controls[len(shown) :]
            if _ids(controls[: len(shown)]) == _ids(shown) and all(id(c) in appends for c in new):
                updates.append(
                    ChunksAppended(self.list_view, len(shown), tuple(appends[id(c)] for c in new))
                )
            else:
                updates.append(self.list_view)  # sends new chunks whole
        return updates

    def mark_unread_from(self, message_id: int | None) -> None:
        """Show "New messages" above this message from the next `show` on (None: nowhere).
        Placing it rebuilds the chunks once; it then stays where it is while rows come and go,
        until its message leaves the list."""
        if message_id == self._divider_at:
            return
        self._divider_at, self._rebuild = message_id, True
        if message_id is not None and self._divider is None:
            self._divider = unread_divider()

    def _list_controls(self, has_older: bool) -> list[ft.Control]:
        controls: list[ft.Control] = [self._head] if has_older else []
        for chunk, ids in zip(self._chunks, self._chunk_ids, strict=True):
            if self._divider is not None and ids and ids[0] == self._divider_at:
                controls.append(self._divider)
            controls.append(chunk)
        return controls

    def replace(self, messages: Sequence[Message]) -> list[Update]:
        """Put the rows of changed messages in place of the rows shown for them; returns the
        chunks to update. Flet's diff of a chunk sends the new row in place of the old (their
        keys differ by revision); the append patches stay for appends only."""
        changed: dict[int, MessageChunk] = {}
        for message in messages:
            for chunk, ids in zip(self._chunks, self._chunk_ids, strict=True):
                if ids and ids[0] <= message.id <= ids[-1]:
                    if message.id in ids:
                        index = ids.index(message.id)
                        row = self._rows.row(message)
                        if chunk.controls[index] is not row:
                            chunk.controls[index] = row
                            changed[id(chunk)] = chunk
                    break
        return list(changed.values())

    def ids(self) -> list[int]:
        return [i for ids in self._chunk_ids for i in ids]

    def _drop_oldest(self, count: int) -> list[MessageChunk]:
        changed: list[MessageChunk] = []
        while count > 0:
            ids, chunk = self._chunk_ids[0], self._chunks[0]
            if count >= len(ids):
                count -= len(ids)
                del self._chunk_ids[0], self._chunks[0]
            else:
                del ids[:count], chunk.controls[:count]
                changed.append(chunk)
                count = 0
        return changed

    def _append(self, messages: Sequence[Message]) -> dict[int, RowsAppended]:
        """Append rows; returns what each chunk gained, by id() of the chunk."""
        appends: dict[int, RowsAppended] = {}
        for message in messages:
            full = bool(self._chunk_ids) and len(self._chunk_ids[-1]) >= CHUNK_SIZE
            divides = message.id == self._divider_at and bool(
                self._chunk_ids and self._chunk_ids[-1]
            )
            if not self._chunk_ids or full or divides:
                self._chunks.append(MessageChunk(spacing=ROW_SPACING, tight=True))
                self._chunk_ids.append([])
            chunk = self._chunks[-1]
            known = appends.get(id(chunk))
            appends[id(chunk)] = RowsAppended(
                chunk,
                known.start if known else len(chunk.controls),
                (*known.messages, message) if known else (message,),
            )
            chunk.controls.append(self._rows.row(message))
            self._chunk_ids[-1].append(message.id)
        return appends


def _ids(controls: Sequence[ft.Control]) -> list[int]:
    return [id(c) for c in controls]


def _as_shift_and_append(current: list[int], desired: list[int]) -> tuple[int, int] | None:
    """If `desired` is `current` minus some oldest ids plus some newer ones, return (dropped,
    appended) counts; otherwise None (the caller rebuilds)."""
    if not desired:
        return len(current), 0
    if not current:
        return 0, len(desired)
    try:
        dropped = current.index(desired[0])
    except ValueError:
        return None
    kept = current[dropped:]
    if desired[: len(kept)] != kept:
        return None
    return dropped, len(desired) - len(kept)
