"""Who is online: a capped list of avatar + name rows, and "and N more" past the cap.

Like message rows, a member row depends on nothing but the name (and whether it is a guest's),
so one row object per name serves every session of the process (see ui/row_cache.py for why
that is safe): a refresh of the list costs each session a diff of row references, not a rebuild
of rows. A guest's row is another row with another key ("guest-Bob"), so a name that turns
out to be a guest's replaces its row instead of changing a row other sessions share.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import flet as ft

from flet_chat.core.avatar import avatar_color, initials
from flet_chat.core.limits import MAX_MEMBERS_SHOWN
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import SharedRow
from flet_chat.ui.routing import ROUTED, RoutedControl
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR

PANEL_WIDTH = 220
OPEN_DIRECT = "open_direct"
GUEST_MARK = "guest"


def member_key(user_name: str, *, guest: bool = False) -> str:
    return f"guest-{user_name}" if guest else f"member-{user_name}"


class MemberRow(SharedRow, RoutedControl, ft.Container):
    """A click opens a direct conversation with the member (routed to the clicking session)."""

    walk_once = True  # never changes (see flet_compat.install_walk_once)

    def __init__(self, user_name: str, *, guest: bool = False) -> None:
        self.route = (OPEN_DIRECT, user_name)
        mark = [ft.Text(GUEST_MARK, size=11, italic=True, color=NOTICE_COLOR)] if guest else []
        super().__init__(
            key=member_key(user_name, guest=guest),
            tooltip=f"Message {user_name}",
            on_click=ROUTED,
            border_radius=4,
            content=ft.Row(
                spacing=8,
                controls=[
                    # The same avatar as the user's message rows, a little smaller.
                    ft.CircleAvatar(
                        content=ft.Text(initials(user_name), size=12),
                        color=ft.Colors.WHITE,
                        bgcolor=avatar_color(user_name),
                        radius=14,
                    ),
                    ft.Text(
                        user_name, expand=True, no_wrap=True, overflow=ft.TextOverflow.ELLIPSIS
                    ),
                    *mark,
                ],
            ),
        )


class Marks(Protocol):
    """Which names are guests' (live/guest_marks.py); `version` changes with any mark."""

    version: int

    def is_guest(self, name: str) -> bool: ...


class MemberRowCache:
    """One row per name (and guest mark) per process; the least recently shown are forgotten
    past `capacity`."""

    def __init__(self, capacity: int = 4096, *, marks: Marks | None = None) -> None:
        self._capacity = capacity
        self._marks = marks
        self._rows: OrderedDict[tuple[str, bool], MemberRow] = OrderedDict()

    @property
    def version(self) -> int:
        return self._marks.version if self._marks is not None else 0

    def row(self, user_name: str) -> MemberRow:
        guest = self._marks.is_guest(user_name) if self._marks is not None else False
        cached = (user_name, guest)
        row = self._rows.get(cached)
        if row is None:
            row = self._rows[cached] = MemberRow(user_name, guest=guest)
            if len(self._rows) > self._capacity:
                self._rows.popitem(last=False)
        else:
            self._rows.move_to_end(cached)
        return row


def more_text(hidden: int) -> str:
    return f"and {hidden:,} more" if hidden > 0 else ""


class MemberList:
    """The panel: a title with the count, and the list (key `member_list`)."""

    def __init__(self, rows: MemberRowCache, *, cap: int = MAX_MEMBERS_SHOWN) -> None:
        self._rows = rows
        self._cap = cap
        self._shown: list[str] = []
        self._shown_version = -1
        self.title = ft.Text("Online", weight=ft.FontWeight.BOLD)
        self.more = ft.Text("", key=keys.MEMBER_LIST_MORE, size=12, color=NOTICE_COLOR)
        self.list_view = ft.Column(
            key=keys.MEMBER_LIST, spacing=6, scroll=ft.ScrollMode.AUTO, expand=True, controls=[]
        )
        self.panel = ft.Container(
            key=keys.MEMBER_PANEL,
            width=PANEL_WIDTH,
            border=ft.Border.all(1, BORDER_COLOR),
            border_radius=5,
            padding=10,
            content=ft.Column([self.title, self.list_view, self.more], spacing=8, expand=True),
        )

    def show(self, users: Sequence[str]) -> list[ft.Control]:
        """Show `users` (already sorted); returns the controls to update."""
        shown = list(users[: self._cap])
        updates: list[ft.Control] = []
        version = self._rows.version  # a guest mark found: rows to swap
        if shown != self._shown or version != self._shown_version:
            self._shown, self._shown_version = shown, version
            self.list_view.controls = [self._rows.row(name) for name in shown]
            updates.append(self.list_view)
        title = f"Online ({len(users):,})"
        if self.title.value != title:
            self.title.value = title
            updates.append(self.title)
        more = more_text(len(users) - len(shown))
        if self.more.value != more:
            self.more.value = more
            updates.append(self.more)
        # Flet's diff of the list walks every row it holds (50), so the list is updated only
        # when the names shown changed. In a crowd the count changes with every arrival while
        # the first 50 names rarely do: then only the two texts go out.
        return updates
