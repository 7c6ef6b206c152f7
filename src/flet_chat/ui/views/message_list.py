"""The message list as a ListView of small isolated chunks of rows.

Flet re-diffs every child of a control it updates. With one flat list, appending a message to a
session showing 200 rows re-diffed all 200 (≈25 ms per session per message, measured). Here rows
live in chunks of CHUNK_SIZE; a chunk is isolated, so updating the ListView skips the rows inside
its chunks, and appending a message updates only the last chunk.

The list shows entries (ui/timeline.py): message rows in the session's clock, grouped by
author, and separators between days. They are worked out as messages come: a live message
costs its own entries only. A chunk holds CHUNK_SIZE messages (separators do not count), so
the oldest falling off the cap (in steps of CHUNK_SIZE, MessageWindow's trim_step) still drop
whole chunks; what the new top needs (its day, its author above a continued row) goes in the
"lead", a few shared rows between the head and the chunks, so no chunk is re-diffed for it.
The day turning relabels the separators ("Today" becomes "Yesterday"), once.

A session builds the chunk its next message will start ahead of it, once its last chunk is
full (or the list is empty) and the frame of what filled it has gone out (`prepare_spare`, run
after the frame clock's pass): the Flet Column, Flet's configuring of it under the ListView and
the encoding of its own fields (flet_compat.prepare_new_container). Every session of a room
starts a chunk with the same message (a first page of history fills whole chunks), so that
message's delivery to the last session waited for all of them (`python -m bench.list_updates`,
per session: a row 20 us, a chunk start 27 us prepared ahead, 46 us started on the spot).

"New messages" (ui/views/unread_divider.py) sits between chunks: the message it is above starts
a chunk of its own, so placing it rebuilds the list once and no shared row or chunk changes.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Protocol

import flet as ft

from flet_chat.core.models import Message
from flet_chat.flet_compat import prepare_new_container
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock
from flet_chat.ui.controls.load_older import LoadOlderButton
from flet_chat.ui.controls.shared_row import SharedRow
from flet_chat.ui.row_cache import DrawnRow, RowCache
from flet_chat.ui.timeline import Entry, MessageEntry, Separator, entries_after, top_of
from flet_chat.ui.timeline import relabelled as relabelled_separator
from flet_chat.ui.views.unread_divider import unread_divider

CHUNK_SIZE = 25
ROW_SPACING = 10


class MessageChunk(SharedRow, ft.Column):
    """Isolated and compared by identity, like the rows it holds (not shared, though)."""


@dataclass(frozen=True, slots=True)
class RowsAppended:
    """New rows at the end of a chunk the client already shows. The session sends this as one
    small ready-made patch (ui/updates.py) instead of asking Flet to diff."""

    chunk: MessageChunk
    start: int  # index in chunk.controls of the first new row
    rows: tuple[DrawnRow, ...]


@dataclass(frozen=True, slots=True)
class ListSpliced:
    """The ListView lost some items and gained new chunks or shared rows, the others kept in
    their order: a live message starting a chunk, the oldest chunk falling off the top (and
    the lead rows above the new top), or the first page of a room. Sent as one ready-made
    patch, so the message that does this costs no more than any other; Flet's diff of the list
    would encode the new chunk's rows once per session and walk every row of the chunk that
    fell off. The "Load older" head is the process's and goes ready-made too. The session's own
    controls among the new items (the "New messages" line: it has a handler, which Flet must
    index) follow through Flet's diff."""

    list_view: ft.ListView
    removed: tuple[int, ...]  # indexes in the list as the client has it, highest first
    added: tuple[tuple[int, RowsAppended | ReadyMade | ft.Control], ...]  # final, ascending


class ReadyMade(Protocol):
    """A row or shared control that every session is sent encoded the same (DrawnRow, the
    "Load older" head)."""

    def packed(self) -> bytes: ...


Update = ft.Control | RowsAppended | ListSpliced


class MessageList:
    def __init__(
        self,
        rows: RowCache,
        *,
        head: LoadOlderButton,
        clock: Clock = FALLBACK,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.list_view = ft.ListView(
            key=keys.MESSAGE_LIST, expand=True, spacing=ROW_SPACING, auto_scroll=True
        )
        self._rows = rows
        self._head = head  # shown above the rows while older history exists
        self._show_head = False
        self.clock = clock  # the viewer's: set before the first show()
        self._chunks: list[MessageChunk] = []
        self._chunk_entries: list[list[Entry]] = []
        self._chunk_sizes: list[int] = []  # messages in each chunk
        self._lead: list[Entry] = []  # above the chunks: the top's day and author
        self._lead_drawn: list[DrawnRow] = []
        self._lead_rows: list[ft.Control] = []
        self._ids: list[int] = []  # the message ids shown, in order
        self._shape: int | None = None  # the window's `reshapes` at the last show
        self._now = now
        self._today: date | None = None  # the day the separators' labels were made on
        self._today_until = datetime.min.replace(tzinfo=UTC)  # the clock's next midnight
        # "New messages" above this message: it starts a chunk of its own, and the divider sits
        # between chunks in the ListView.
        self._divider: ft.Control | None = None
        self._divider_at: int | None = None
        self._rebuild = False
        self._spare: MessageChunk | None = None  # built ahead for the next chunk

    def wants_spare(self) -> bool:
        """Whether the next message starts a chunk (the list is empty, or its last chunk is
        full) and none is built for it yet."""
        return self._spare is None and (
            not self._chunk_sizes or self._chunk_sizes[-1] >= CHUNK_SIZE
        )

    def prepare_spare(self) -> None:
        """Build the chunk the next message will start, ahead of it (see the module's docstring)."""
        if self.wants_spare():
            self._spare = MessageChunk(spacing=ROW_SPACING, tight=True)
            prepare_new_container(self._spare, self.list_view)

    def show(
        self, messages: Sequence[Message], *, has_older: bool, shape: int | None = None
    ) -> list[Update]:
        """Make the list show `messages`; returns the updates to send, in order. `shape`: the
        window's `reshapes`, if `messages` is a MessageWindow's."""
        today = self._current_day()
        step = None if self._rebuild else self._step(messages, shape)
        self._rebuild = False
        self._shape = shape
        if (
            step is not None
            and not step[0]
            and step[1]
            and today == self._today
            and has_older == self._show_head
        ):
            # The common case, every session at every message: live messages join the end and
            # nothing else moves. Only what they add is worked out; the chunks before them are
            # the list's first ones, as `_append` only adds chunks after them.
            count = len(self._chunks)
            grown = self._append_newest(messages, step[1], today)
            if len(self._chunks) == count:
                return list(grown.values())  # the last chunk's rows (no chunk started)
            return self._updates(self._chunks[:count], self._lead_rows, grown, {}, step, has_older)
        chunks_before = list(self._chunks)
        lead_before = self._lead_rows  # _set_lead puts a new list in its place
        appends: dict[int, RowsAppended] = {}
        changed: dict[int, MessageChunk] = {}
        if step is None:  # paged back, jumped or a divider placed: rebuild
            self._chunks, self._chunk_entries, self._chunk_sizes, self._ids = [], [], [], []
            self._set_lead([])
            self._today = today
            appends = self._append(entries_after(None, messages, self.clock, today))
        else:
            dropped, appended = step
            if today != self._today:
                changed.update(self._relabel(today))
            if dropped:
                changed.update(self._drop_oldest(dropped))
                first = self._chunk_entries[0][0] if self._chunk_entries else None
                self._set_lead(top_of(first, today) if first is not None else [])
            if appended:
                appends = self._append_newest(messages, appended, today)
        return self._updates(chunks_before, lead_before, appends, changed, step, has_older)

    def _append_newest(
        self, messages: Sequence[Message], count: int, today: date
    ) -> dict[int, RowsAppended]:
        """Append the rows of the `count` newest of `messages`, after the last one shown."""
        new = messages[len(messages) - count :]
        return self._append(entries_after(self._last_message(), new, self.clock, today))

    def _updates(
        self,
        chunks_before: list[MessageChunk],
        lead_before: list[ft.Control],
        appends: dict[int, RowsAppended],
        changed: dict[int, MessageChunk],
        step: tuple[int, int] | None,
        has_older: bool,
    ) -> list[Update]:
        """What `show` sends, once the chunks are what they should be: `chunks_before` and
        `lead_before` are what the list held before it."""
        # Existing chunks that changed first. A chunk that only grew at the end is the common
        # case (a live message) and gets a ready-made patch; so do chunks added at the end.
        reshaped = step is None or step[0] > 0  # rebuilt, or the oldest fell off
        alive = {id(c) for c in self._chunks} if reshaped else None
        updates: list[Update] = []
        for chunk in chunks_before:
            if alive is not None and id(chunk) not in alive:
                continue
            if id(chunk) in changed:
                updates.append(chunk)
            elif id(chunk) in appends:
                updates.append(appends[id(chunk)])
        # The common case, a message added to the last chunk, leaves the ListView's children as
        # they are: skip working them out (this runs for every session at every message).
        if not (
            reshaped
            or len(self._chunks) != len(chunks_before)
            or self._lead_rows is not lead_before
            or has_older != self._show_head
        ):
            return updates
        if self._grew_at_the_end(reshaped, lead_before, has_older, len(chunks_before)):
            # A live message started a chunk: the list only gains it (1 in CHUNK_SIZE messages).
            start = len(self.list_view.controls)
            new_chunks = self._chunks[len(chunks_before) :]
            self.list_view.controls = [*self.list_view.controls, *new_chunks]
            added = tuple((start + i, appends[id(c)]) for i, c in enumerate(new_chunks))
            updates.append(ListSpliced(self.list_view, (), added))
            return updates
        self._show_head = has_older
        # Compare by id(): cheap, and independent of how a control defines equality.
        shown, controls = list(self.list_view.controls), self._list_controls(has_older)
        if _ids(controls) != _ids(shown):
            self.list_view.controls = controls
            updates.append(self._splice(shown, controls, appends) or self.list_view)
        return updates

    def _step(self, messages: Sequence[Message], shape: int | None) -> tuple[int, int] | None:
        """How `messages` differs from what is shown: (oldest dropped, newest appended), or
        None (rebuild). When the window says its ids only grew at the end and lost some oldest
        since the last show (the same `shape`), the ends of the lists say how many of each;
        else every id is compared."""
        shown = self._ids
        if shape is not None and shape == self._shape and shown and messages:
            dropped = bisect.bisect_left(shown, messages[0].id)
            kept = len(shown) - dropped
            if (
                dropped < len(shown)
                and shown[dropped] == messages[0].id
                and len(messages) >= kept
                and messages[kept - 1].id == shown[-1]
            ):
                return dropped, len(messages) - kept
        return _as_shift_and_append(shown, _message_ids(messages))

    def _grew_at_the_end(
        self, reshaped: bool, lead_before: list[ft.Control], has_older: bool, chunks_before: int
    ) -> bool:
        """Whether the ListView's new children are the old ones and the chunks added since
        (what `_list_controls` would say, worked out without going through the whole list):
        nothing fell off, the lead and the head stayed, and no new chunk has the divider."""
        return (
            not reshaped
            and self._lead_rows is lead_before
            and has_older == self._show_head
            and len(self._chunks) > chunks_before
            and all(
                _first_message_id(entries) not in (None, self._divider_at)
                for entries in self._chunk_entries[chunks_before:]
            )
        )

    def _splice(
        self, shown: list[ft.Control], controls: list[ft.Control], appends: dict[int, RowsAppended]
    ) -> ListSpliced | None:
        """`shown` turned into `controls` as a ListSpliced, if it can be one: what stayed kept
        its order, and what is new is a new chunk, a lead row, the head or the divider (else
        None: Flet diffs)."""
        kept = set(_ids(shown)) & set(_ids(controls))
        if not controls or [i for i in _ids(shown) if i in kept] != [
            i for i in _ids(controls) if i in kept
        ]:
            return None
        shared: dict[int, ReadyMade] = {id(drawn.row): drawn for drawn in self._lead_drawn}
        shared[id(self._head)] = self._head
        added: list[tuple[int, RowsAppended | ReadyMade | ft.Control]] = []
        for index, control in enumerate(controls):
            if id(control) in kept:
                continue
            new: RowsAppended | ReadyMade | ft.Control | None = appends.get(id(control))
            new = new or shared.get(id(control))
            new = new or (control if control is self._divider else None)
            if new is None:
                return None  # a chunk rebuilt in place: Flet's diff
            added.append((index, new))
        removed = [i for i, c in enumerate(shown) if id(c) not in kept]
        return ListSpliced(self.list_view, tuple(reversed(removed)), tuple(added))

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
        controls += self._lead_rows
        for chunk, entries in zip(self._chunks, self._chunk_entries, strict=True):
            if self._divider is not None and _first_message_id(entries) == self._divider_at:
                controls.append(self._divider)
            controls.append(chunk)
        return controls

    def replace(self, messages: Sequence[Message]) -> list[Update]:
        """Put the rows of changed messages in place of the rows shown for them; returns the
        chunks to update. Flet's diff of a chunk sends the new row in place of the old (their
        keys differ by revision); the append patches stay for appends only."""
        changed: dict[int, MessageChunk] = {}
        wanted = {m.id: m for m in messages}
        for chunk, entries in zip(self._chunks, self._chunk_entries, strict=True):
            for index, entry in enumerate(entries):
                if not isinstance(entry, MessageEntry) or entry.message.id not in wanted:
                    continue
                entries[index] = replace(entry, message=wanted[entry.message.id])
                row = self._rows.row(entries[index])
                if chunk.controls[index] is not row:
                    chunk.controls[index] = row
                    changed[id(chunk)] = chunk
        return list(changed.values())

    def ids(self) -> list[int]:
        return list(self._ids)

    def entries(self) -> list[Entry]:
        """What the list shows, top to bottom (the lead, then the chunks)."""
        return [*self._lead, *(e for entries in self._chunk_entries for e in entries)]

    def _set_lead(self, lead: list[Entry]) -> None:
        if lead != self._lead:
            self._lead = lead
            self._lead_drawn = [self._rows.drawn(e) for e in lead]
            self._lead_rows = [drawn.row for drawn in self._lead_drawn]

    def _current_day(self) -> date:
        now = self._now()
        if self._today is None or now >= self._today_until:
            self._today_until = self.clock.next_midnight(now)
            return self.clock.today(now)
        return self._today

    def _last_message(self) -> Message | None:
        for entries in reversed(self._chunk_entries):
            for entry in reversed(entries):
                if isinstance(entry, MessageEntry):
                    return entry.message
        return None

    def _relabel(self, today: date) -> dict[int, MessageChunk]:
        """The day turned: "Today" is "Yesterday" now, and so on."""
        self._today = today
        self._set_lead(
            [relabelled_separator(e, today) if isinstance(e, Separator) else e for e in self._lead]
        )
        changed: dict[int, MessageChunk] = {}
        for chunk, entries in zip(self._chunks, self._chunk_entries, strict=True):
            for index, entry in enumerate(entries):
                if isinstance(entry, Separator):
                    fresh = relabelled_separator(entry, today)
                    if fresh != entry:
                        entries[index] = fresh
                        chunk.controls[index] = self._rows.row(fresh)
                        changed[id(chunk)] = chunk
        return changed

    def _drop_oldest(self, count: int) -> dict[int, MessageChunk]:
        """Drop the `count` oldest messages and the separators above them: whole chunks when
        the count falls on a chunk's end (the window trims in chunk steps), else a cut into
        the first chunk left (which then changes)."""
        del self._ids[:count]
        changed: dict[int, MessageChunk] = {}
        while count > 0 and self._chunk_entries:
            if count >= self._chunk_sizes[0]:
                count -= self._chunk_sizes[0]
                changed.pop(id(self._chunks[0]), None)
                del self._chunk_entries[0], self._chunks[0], self._chunk_sizes[0]
                continue
            entries, chunk = self._chunk_entries[0], self._chunks[0]
            self._chunk_sizes[0] -= count
            cut = 0
            while count > 0:
                count -= isinstance(entries[cut], MessageEntry)
                cut += 1
            del entries[:cut], chunk.controls[:cut]
            changed[id(chunk)] = chunk
        return changed

    def _append(self, entries: Sequence[Entry]) -> dict[int, RowsAppended]:
        """Append rows; returns what each chunk gained, by id() of the chunk."""
        appends: dict[int, RowsAppended] = {}
        for new in entries:
            divides = (
                isinstance(new, MessageEntry)
                and new.message.id == self._divider_at
                and bool(self._chunk_entries and self._chunk_entries[-1])
            )
            if not self._chunk_entries or self._chunk_sizes[-1] >= CHUNK_SIZE or divides:
                spare, self._spare = self._spare, None
                if spare is None:
                    spare = MessageChunk(spacing=ROW_SPACING, tight=True)
                self._chunks.append(spare)
                self._chunk_entries.append([])
                self._chunk_sizes.append(0)
            chunk = self._chunks[-1]
            drawn = self._rows.drawn(new)
            entry = drawn.entry
            known = appends.get(id(chunk))
            appends[id(chunk)] = RowsAppended(
                chunk,
                known.start if known else len(chunk.controls),
                (*known.rows, drawn) if known else (drawn,),
            )
            chunk.controls.append(drawn.row)
            self._chunk_entries[-1].append(entry)
            if isinstance(entry, MessageEntry):
                self._ids.append(entry.message.id)
                self._chunk_sizes[-1] += 1
        return appends


def _message_ids(messages: Sequence[Message]) -> list[int]:
    return list(map(_MESSAGE_ID, messages))  # for every session at every message: no Python loop


_MESSAGE_ID = operator.attrgetter("id")


def _ids(controls: Sequence[ft.Control]) -> list[int]:
    return [id(c) for c in controls]


def _first_message_id(entries: Sequence[Entry]) -> int | None:
    return next((e.message.id for e in entries if isinstance(e, MessageEntry)), None)


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
