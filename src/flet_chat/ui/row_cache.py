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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.flet_compat import pack_control
from flet_chat.ui.controls.chat_message import NO_PROFILE, message_row

RowKey = tuple[int, int]  # (message id, revision)
# A person's profile as drawn now, and its stamp (live/profile_cache.ProfileCache.shown).
Profiles = Callable[[str], tuple[Profile, int]]
_NONE_SHOWN = (NO_PROFILE, 0)


class RowCache:
    def __init__(self, capacity: int = 4096, *, profiles: Profiles | None = None) -> None:
        self._capacity = capacity
        self.profiles = profiles  # None: rows show no profiles (unit tests, before start)
        self._rows: OrderedDict[RowKey, tuple[ft.Control, int]] = OrderedDict()
        self._packed: dict[RowKey, bytes] = {}
        self._revisions: dict[int, int] = {}  # the newest revision cached, by message id

    def _profile(self, message: Message) -> tuple[Profile, int]:
        # Only a person's own words show a profile: a bot's or an integration's name may be
        # anyone's, and a notice has no author to picture.
        if (
            self.profiles is None
            or message.kind is not MessageKind.CHAT
            or message.author_kind is not AuthorKind.USER
        ):
            return _NONE_SHOWN
        return self.profiles(message.user_name)

    def row(self, message: Message) -> ft.Control:
        key = (message.id, message.revision)
        profile, stamp = self._profile(message)
        cached = self._rows.get(key)
        if cached is not None and cached[1] == stamp:
            self._rows.move_to_end(key)
            return cached[0]
        row = message_row(message, profile, stamp)
        newest = self._revisions.get(message.id)
        if newest is not None and newest > message.revision:
            return row  # a session still shows an older state for a moment: not worth keeping
        if newest is not None:
            self._drop((message.id, newest))  # an older revision, or this one's old profile
        self._rows[key] = (row, stamp)
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
            kept = self._rows.get(key)
            if kept is not None and kept[0] is row:  # only cache what the row cache keeps
                self._packed[key] = packed
        return packed

    def _drop(self, key: RowKey) -> None:
        self._rows.pop(key, None)
        self._packed.pop(key, None)
