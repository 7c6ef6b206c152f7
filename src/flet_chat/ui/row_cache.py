"""One row control per message revision, shared by every session of the process.

A message row never changes once built, and Flet serialises a control afresh for each session
it is added to, so sessions can share the objects: memory per session stays small however many
rows it shows, and each row is built once per process instead of once per session. Shared rows
carry no per-session event handlers (their buttons are RoutedControls, see ui/routing.py) and
are never `update()`d (their parent link points at whichever session added them last).

A changed message (edited, deleted, reacted to) gets a new row object under a new key (its
revision), which sessions put in place of the old one; the old revision is evicted then.

A person's chat message shows their profile (display name, picture) as the process's profile
cache knows it when the row is drawn. Each row remembers the profile's stamp; when the author's
profile changed since, the next session to ask gets a row drawn anew (under a new key, see
keys.message_row). Sessions showing the old row keep it: rows already on screen are not redrawn
for a new profile (a redraw in every session of a busy room would cost a diff of every chunk
holding the author's rows), except in the author's own sessions (ui/session/controller.py).

A row shows times in its viewer's clock and may continue its author's group (ui/timeline.py),
so a message has a row per (clock, continued) in use: viewers in one zone with one hour cycle
share rows. The cache counts every variant against its capacity, so many clocks (forged
cookies too) cost evictions, not memory. Separators ("Today") are shared rows too, by key.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.limits import ROW_LINK_SECONDS
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.flet_compat import pack_control
from flet_chat.ui.clock import FALLBACK, Clock
from flet_chat.ui.controls.attachments import ThumbnailLink
from flet_chat.ui.controls.chat_message import NO_PROFILE, GroupHead, message_row
from flet_chat.ui.controls.separator import SeparatorRow
from flet_chat.ui.controls.spoken import SpokenRow
from flet_chat.ui.timeline import Entry, GroupStart, MessageEntry, Separator

MessageKey = tuple[int, int]  # (message id, revision)
# (the viewer's clock, the row's shape: WHOLE, CONTINUED or HEAD, a GroupStart's author line)
Variant = tuple[Clock, int]
WHOLE, CONTINUED, HEAD = 0, 1, 2
# A person's profile as drawn now, and its stamp (live/profile_cache.ProfileCache.shown).
Profiles = Callable[[str], tuple[Profile, int]]
_NONE_SHOWN = (NO_PROFILE, 0)
SEPARATORS_KEPT = 512


class DrawnRow:
    """One variant of a row: the entry it was drawn for, which sessions share too (a list of
    200 keeps 200 references), the row, its profile stamp and, once sent, its encoding. A
    session appending rows keeps these, so sending them needs no second look-up."""

    __slots__ = ("_packed", "entry", "fresh_until", "row", "stamp")

    def __init__(
        self, entry: Entry, row: ft.Control, stamp: int, fresh_until: float | None = None
    ) -> None:
        self.entry, self.row, self.stamp = entry, row, stamp
        self._packed: bytes | None = None
        # A row showing thumbnails is drawn anew from then on: its links expire (see
        # core/attachments.py, row links).
        self.fresh_until = fresh_until

    def packed(self) -> bytes:
        """The row as MessagePack, encoded once per process instead of once per session."""
        if self._packed is None:
            self._packed = pack_control(self.row)
        return self._packed


class RowCache:
    def __init__(
        self,
        capacity: int = 4096,
        *,
        profiles: Profiles | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`capacity`: rows kept, counting each variant of a message."""
        self._capacity = capacity
        self.profiles = profiles  # None: rows show no profiles (unit tests, before start)
        # An image's thumbnail link for rows (None: files show as chips; before start).
        self.thumbnails: ThumbnailLink | None = None
        self._clock = clock
        self._rows: OrderedDict[MessageKey, dict[Variant, DrawnRow]] = OrderedDict()
        self._count = 0
        self._revisions: dict[int, int] = {}  # the newest revision cached, by message id
        self._separators: OrderedDict[str, DrawnRow] = OrderedDict()

    def _profile(self, message: Message, shape: int) -> tuple[Profile, int]:
        # Only a person's own words show a profile: a bot's or an integration's name may be
        # anyone's, and a notice has no author to picture. A continued row shows no author.
        if (
            self.profiles is None
            or shape == CONTINUED
            or message.kind is not MessageKind.CHAT
            or message.author_kind is not AuthorKind.USER
        ):
            return _NONE_SHOWN
        return self.profiles(message.user_name)

    def row(self, entry: Entry | Message) -> ft.Control:
        """The row of an entry; a bare message is shown whole in the fallback clock."""
        return self.drawn(_as_entry(entry)).row

    def drawn(self, entry: Entry) -> DrawnRow:
        """The row of an entry, with an equal entry that sessions share."""
        if isinstance(entry, Separator):
            return self._separator(entry)
        return self._drawn(entry)  # drawn for an equal entry: same message revision and variant

    def packed(self, entry: Entry | Message) -> bytes:
        """The entry's row as DrawnRow.packed() gives it."""
        return self.drawn(_as_entry(entry)).packed()

    def _drawn(self, entry: MessageEntry | GroupStart) -> DrawnRow:
        message = entry.message
        key = (message.id, message.revision)
        shape = HEAD if isinstance(entry, GroupStart) else CONTINUED if entry.continued else WHOLE
        variant = (entry.clock, shape)
        profile, stamp = self._profile(message, shape)
        variants = self._rows.get(key)
        cached = variants.get(variant) if variants is not None else None
        if (
            cached is not None
            and cached.stamp == stamp
            and (cached.fresh_until is None or self._clock() < cached.fresh_until)
        ):
            self._rows.move_to_end(key)
            return cached
        row = (
            SpokenRow(GroupHead(message, profile, stamp, clock=entry.clock), None)
            if shape == HEAD
            else message_row(
                message,
                profile,
                stamp,
                clock=entry.clock,
                continued=shape == CONTINUED,
                thumbnails=self.thumbnails,
            )
        )
        fresh_until = None
        if self.thumbnails is not None and any(a.has_thumbnail for a in message.attachments):
            fresh_until = self._clock() + ROW_LINK_SECONDS / 2
        drawn = DrawnRow(entry, row, stamp, fresh_until)
        newest = self._revisions.get(message.id)
        if newest is not None and newest > message.revision:
            return drawn  # a session still shows an older state for a moment: not worth keeping
        if newest is not None and newest < message.revision:
            self._drop((message.id, newest))  # every variant of an older revision
        variants = self._rows.setdefault(key, {})
        self._count += variant not in variants
        variants[variant] = drawn  # in place of this variant's old profile, if any
        self._rows.move_to_end(key)
        self._revisions[message.id] = message.revision
        while self._count > self._capacity and len(self._rows) > 1:
            self._drop(next(iter(self._rows)))
        return drawn

    def _separator(self, separator: Separator) -> DrawnRow:
        kept = self._separators.get(separator.key)
        if kept is not None:
            self._separators.move_to_end(separator.key)
            return kept
        # A node of its own, or a screen reader hears it merged into the rows around it.
        row = SpokenRow(
            SeparatorRow(separator.key, separator.label, separator.accessible_label), None
        )
        drawn = self._separators[separator.key] = DrawnRow(separator, row, 0)
        if len(self._separators) > SEPARATORS_KEPT:
            self._separators.popitem(last=False)
        return drawn

    def _drop(self, key: MessageKey) -> None:
        variants = self._rows.pop(key, None)
        if variants is None:
            return
        self._count -= len(variants)
        if self._revisions.get(key[0]) == key[1]:
            del self._revisions[key[0]]


def _as_entry(entry: Entry | Message) -> Entry:
    return MessageEntry(entry, FALLBACK) if isinstance(entry, Message) else entry
