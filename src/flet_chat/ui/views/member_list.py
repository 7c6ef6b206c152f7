"""Who is online: a capped list of avatar + name rows, and "and N more" past the cap.

Like message rows, a member row depends on nothing but the name, the profile it shows and
whether it is a guest's, so one row object per name serves every session of the process (see
ui/row_cache.py for why that is safe): a refresh of the list costs each session a diff of row
references, not a rebuild of rows. A new profile, or a name found to be a guest's, makes a new
row under a new key (keys.member_row), instead of changing a row other sessions share; sessions
showing the person redraw their list when the profile cache or the guest marks say so
(ui/presence_session.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.limits import MAX_MEMBERS_SHOWN
from flet_chat.core.rooms import user_key
from flet_chat.ui import keys
from flet_chat.ui.controls.avatar import avatar, display_name_of
from flet_chat.ui.controls.chat_message import NO_PROFILE
from flet_chat.ui.controls.shared_row import SharedRow, packed_once
from flet_chat.ui.controls.spoken import SILENT, author_spoken
from flet_chat.ui.routing import ROUTED, RoutedControl
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR

PANEL_WIDTH = 220
OPEN_DIRECT = "open_direct"
# A person's profile as drawn now, and its stamp (live/profile_cache.ProfileCache.shown).
Profiles = Callable[[str], tuple[Profile, int]]
GUEST_MARK = "guest"
DIRECT_MESSAGE_HINT = "Send a direct message"


class MemberRow(SharedRow, RoutedControl, ft.Container):
    """A click opens a direct conversation with the member (routed to the clicking session).
    With a display name, it shows above the @name; a status, below both."""

    walk_once = True  # never changes (see flet_compat.install_walk_once)

    def packed(self) -> bytes:
        """This member row encoded (MessagePack) once per process, for every session showing it."""
        return packed_once(self)

    def __init__(
        self,
        user_name: str,
        profile: Profile = NO_PROFILE,
        stamp: int = 0,
        *,
        guest: bool = False,
        role: str | None = None,
    ) -> None:
        self.route = (OPEN_DIRECT, user_name)
        shown_name = display_name_of(user_name, profile)
        # The first line says the whole row to screen readers; the others are silent.
        said = member_label(user_name, shown_name, profile.status, guest=guest, role=role)
        names: ft.Control = _one_line(user_name, said=said)
        if shown_name is not None or profile.status:
            lines: list[ft.Control] = (
                [_one_line(shown_name, said=said)] if shown_name is not None else []
            )
            lines.append(
                _one_line(
                    f"@{user_name}" if shown_name else user_name,
                    muted=True,
                    said=SILENT if shown_name else said,
                )
            )
            if profile.status:
                lines.append(_one_line(profile.status, muted=True, size=11, said=SILENT))
            names = ft.Column(lines, spacing=0, tight=True, expand=True)
        marks = [m for m in (role, GUEST_MARK if guest else None) if m]
        mark = (
            [
                ft.Text(
                    ", ".join(marks),
                    size=11,
                    italic=True,
                    color=NOTICE_COLOR,
                    semantics_label=SILENT,
                )
            ]
            if marks
            else []
        )
        super().__init__(
            key=keys.member_row(user_name, stamp, guest=guest, role=role),
            tooltip=f"Message {user_name}",  # a hover hint, not said (ui/theme.py)
            on_click=ROUTED,
            border_radius=4,
            content=ft.Row(
                spacing=8,
                controls=[
                    # The same avatar as the user's message rows, a little smaller.
                    avatar(user_name, profile, radius=14, text_size=12, silent=True),
                    names,
                    *mark,
                ],
            ),
        )


def member_label(
    user_name: str,
    shown_name: str | None,
    status: str | None,
    *,
    guest: bool,
    role: str | None = None,
) -> str:
    """A member row's accessible name: "Dave, online. Send a direct message", or "Ann Lee
    (@ann), online, owner, guest. In a meeting. Send a direct message" (without it, a screen
    reader read the tooltip, the initials and the name: "Message Dave D Dave")."""
    said = f"{author_spoken(user_name, shown_name, None)}, online"
    said += f", {role}" if role else ""
    said += f", {GUEST_MARK}." if guest else "."
    if status:
        said += f" {status}."
    return f"{said} {DIRECT_MESSAGE_HINT}"


def _one_line(text: str, *, said: str, muted: bool = False, size: float | None = None) -> ft.Text:
    return ft.Text(
        text,
        semantics_label=said,
        expand=True,
        no_wrap=True,
        overflow=ft.TextOverflow.ELLIPSIS,
        color=NOTICE_COLOR if muted else None,
        size=size,
    )


class Marks(Protocol):
    """Which names are guests' (live/guest_marks.py); `version` changes with any mark."""

    version: int

    def is_guest(self, name: str) -> bool: ...


RowIds = tuple[int, ...]
_NOT_KEPT = object()
LISTS_KEPT = 16  # MemberRowCache.rows: one per room whose sessions ask at about the same time


class MemberRowCache:
    """One row per name per process; the least recently shown are forgotten past `capacity`.
    A row drawn for a profile (or a guest mark) that has changed since is drawn anew when next
    asked for."""

    def __init__(
        self,
        capacity: int = 4096,
        *,
        profiles: Profiles | None = None,
        marks: Marks | None = None,
    ) -> None:
        self._capacity = capacity
        self.profiles = profiles  # None: rows show no profiles (unit tests, before start)
        # Changes whenever `profiles` would answer differently for a name; None: not known.
        self.profiles_version: Callable[[], int] | None = None
        self._marks = marks
        self._rows: OrderedDict[str, tuple[MemberRow, int, bool]] = OrderedDict()
        # The lists looked up lately (a few: sessions in different rooms ask in turn).
        self._lists: OrderedDict[tuple[object, ...], list[MemberRow]] = OrderedDict()
        # The changes between lists worked out lately, by the rows' ids before and after.
        self._moves: OrderedDict[tuple[RowIds, RowIds], RowsMoved | None] = OrderedDict()
        self.moves_worked_out = 0  # tests: once per change, not once per session

    @property
    def version(self) -> int:
        """Changes when any guest mark does (a name found to be a guest's)."""
        return self._marks.version if self._marks is not None else 0

    def rows(self, user_names: Sequence[str], roles: Mapping[str, str]) -> list[MemberRow]:
        """`row` of each name, with its room role by user key: looked up once for all the
        sessions showing the same names and roles (after a presence change every session of
        #general asks for the same 50), until a profile or a guest mark changes."""
        key = self._list_key(user_names, roles)
        if key is not None and key in self._lists:
            self._lists.move_to_end(key)
            return list(self._lists[key])
        rows = [self.row(name, roles.get(user_key(name))) for name in user_names]
        if key is not None:
            self._lists[key] = rows
            if len(self._lists) > LISTS_KEPT:
                self._lists.popitem(last=False)
        return list(rows)

    def moved(
        self, old: Sequence[ft.Control], old_ids: RowIds, new: Sequence[MemberRow], new_ids: RowIds
    ) -> RowsMoved | None:
        """`_rows_moved(old, new)`, worked out once for all the sessions whose lists change
        the same way (after a presence change every session of #general does). Kept by the
        rows' ids: the answer is worked out from them alone, and the only objects in it are
        the rows it adds, which it holds, so no id of theirs is reused while it is kept.
        Shared by many sessions, it is never changed (frozen)."""
        key = (old_ids, new_ids)
        kept = self._moves.get(key, _NOT_KEPT)
        if kept is not _NOT_KEPT:
            self._moves.move_to_end(key)
            return cast(RowsMoved | None, kept)
        moved = _rows_moved(old, new)
        self.moves_worked_out += 1
        self._moves[key] = moved
        if len(self._moves) > LISTS_KEPT:
            self._moves.popitem(last=False)
        return moved

    def _list_key(
        self, user_names: Sequence[str], roles: Mapping[str, str]
    ) -> tuple[object, ...] | None:
        if self.profiles is None:
            profiles_version = 0  # rows show no profiles
        elif self.profiles_version is not None:
            profiles_version = self.profiles_version()
        else:
            return None  # profiles that cannot say when they change: ask for every name
        return (tuple(user_names), frozenset(roles.items()), self.version, profiles_version)

    def row(self, user_name: str, role: str | None = None) -> MemberRow:
        """The row of `user_name`, marked with a room `role` ("owner", "moderator") if given:
        each role's row is a row of its own, shared by the sessions showing that room."""
        profile, stamp = self.profiles(user_name) if self.profiles else (NO_PROFILE, 0)
        guest = self._marks.is_guest(user_name) if self._marks is not None else False
        cache_key = user_name if role is None else f"{role}:{user_name}"
        cached = self._rows.get(cache_key)
        if cached is not None and cached[1:] == (stamp, guest):
            self._rows.move_to_end(cache_key)
            return cached[0]
        row = MemberRow(user_name, profile, stamp, guest=guest, role=role)
        self._rows[cache_key] = (row, stamp, guest)
        self._rows.move_to_end(cache_key)
        if len(self._rows) > self._capacity:
            self._rows.popitem(last=False)
        return row


def more_text(hidden: int) -> str:
    return f"and {hidden:,} more" if hidden > 0 else ""


@dataclass(slots=True, frozen=True)
class RowsMoved:
    """How the list's rows changed, as a patch says it: the rows at `removed` (indexes in the
    old list, highest first) left, then `added` rows came in at their new indexes (lowest
    first). The rows both lists hold keep their order (the lists are sorted by name)."""

    removed: tuple[int, ...]
    added: tuple[tuple[int, MemberRow], ...]


@dataclass(slots=True)
class MembersShown:
    """What a `show` changed: the controls Flet's update would send, and what a ready-made
    patch needs to say the same (ui/member_updates.py)."""

    controls: list[ft.Control] = field(default_factory=list, repr=False)
    title: str | None = None  # the title's new text, if it changed
    more: str | None = None  # the same for "and N more"
    list_changed: bool = False
    rows: RowsMoved | None = None  # the rows' change, if a patch can say it


class MemberList:
    """The panel: a title with the count, and the list (key `member_list`)."""

    TITLE_AT, LIST_AT, MORE_AT = 0, 1, 2  # in `column.controls`

    def __init__(self, rows: MemberRowCache, *, cap: int = MAX_MEMBERS_SHOWN) -> None:
        self._rows = rows
        self._cap = cap
        self._shown: list[str] = []
        self._shown_rows: RowIds = ()  # id() of each row shown: a new profile is a new row
        self._profiles_changed = False
        self._shown_version = -1
        self._shown_roles: dict[str, str] = {}
        self.title = ft.Text("Online", weight=ft.FontWeight.BOLD)
        self.more = ft.Text("", key=keys.MEMBER_LIST_MORE, size=12, color=NOTICE_COLOR)
        self.list_view = ft.Column(
            key=keys.MEMBER_LIST, spacing=6, scroll=ft.ScrollMode.AUTO, expand=True, controls=[]
        )
        # The panel's column: ready-made patches address its parts by index (TITLE_AT, ...).
        self.column = ft.Column([self.title, self.list_view, self.more], spacing=8, expand=True)
        self.panel = ft.Container(
            key=keys.MEMBER_PANEL,
            width=PANEL_WIDTH,
            border=ft.Border.all(1, BORDER_COLOR),
            border_radius=5,
            padding=10,
            content=self.column,
        )

    def show(self, users: Sequence[str], roles: Mapping[str, str] | None = None) -> MembersShown:
        """Show `users` (already sorted), with their room roles (by user key: "owner",
        "moderator"); returns what changed."""
        shown = list(users[: self._cap])
        change = MembersShown()
        version = self._rows.version  # a guest mark found: rows to swap
        roles = roles or {}
        if (
            shown != self._shown
            or self._profiles_changed
            or version != self._shown_version
            or roles != self._shown_roles
        ):
            self._profiles_changed = False
            self._shown_version = version
            self._shown_roles = dict(roles)
            rows = self._rows.rows(shown, roles)
            row_ids = tuple(map(id, rows))  # the rows are held: no id is reused meanwhile
            self._shown = shown
            if row_ids != self._shown_rows:
                change.list_changed = True
                change.rows = self._rows.moved(
                    self.list_view.controls, self._shown_rows, rows, row_ids
                )
                self._shown_rows = row_ids
                self.list_view.controls = list(rows)
                change.controls.append(self.list_view)
        title = f"Online ({len(users):,})"
        if self.title.value != title:
            self.title.value = change.title = title
            change.controls.append(self.title)
        more = more_text(len(users) - len(shown))
        if self.more.value != more:
            self.more.value = change.more = more
            change.controls.append(self.more)
        # Flet's diff of the list walks every row it holds (50), so the list is updated only
        # when the rows shown changed (names, or someone's profile). In a crowd the count
        # changes with every arrival while the first 50 names rarely do: then only the two
        # texts go out.
        return change

    def profiles_changed(self, user_keys: frozenset[str]) -> bool:
        """These people's profiles changed: returns whether this list shows any of them (then
        the next `show` draws their rows anew)."""
        if any(user_key(name) in user_keys for name in self._shown):
            self._profiles_changed = True
        return self._profiles_changed


def _rows_moved(old: Sequence[ft.Control], new: Sequence[MemberRow]) -> RowsMoved | None:
    """The change from `old` rows to `new` as removals then insertions, or None where that
    cannot say it (an empty list on either side: Flet sends no empty list, and replaces it
    whole with its first item; rows that kept their place in neither order)."""
    if not old or not new:
        return None
    old_ids, new_ids = {id(row) for row in old}, {id(row) for row in new}
    kept_old = [id(row) for row in old if id(row) in new_ids]
    kept_new = [id(row) for row in new if id(row) in old_ids]
    if kept_old != kept_new:
        return None
    removed = tuple(i for i in range(len(old) - 1, -1, -1) if id(old[i]) not in new_ids)
    added = tuple((i, row) for i, row in enumerate(new) if id(row) not in old_ids)
    return RowsMoved(removed, added)
