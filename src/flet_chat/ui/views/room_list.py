"""The room list: the user's rooms and direct conversations with unread counts, a field to create
or join a room, and the public rooms the user has not joined. One per session (its counts and
selection are the user's own), so its controls carry ordinary handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.limits import UNREAD_CAP
from flet_chat.ui import keys
from flet_chat.ui.controls.avatar import avatar, display_name_of
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR

PANEL_WIDTH = 220
OpenRoom = Callable[[str], Awaitable[None]]
Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RoomEntry:
    """One line of the list, as the session worked it out."""

    key: str
    title: str  # "#dev" or "@Bob"
    unread: int
    mentioned: bool
    # A direct conversation: who with, and their profile (picture, display name).
    person: str | None = None
    profile: Profile | None = None
    private: bool = False  # invite-only: a lock before the name
    archived: bool = False  # read-only


def unread_text(unread: int, mentioned: bool) -> str:
    """ "3", "99+", "@ 2" (an unread message mentions you) or "" (nothing new)."""
    count = f"{UNREAD_CAP - 1}+" if unread >= UNREAD_CAP else (str(unread) if unread else "")
    return f"@ {count}".strip() if mentioned else count


def entry_label(entry: RoomEntry, shown_name: str | None) -> str:
    """An entry's accessible name, said once: "#dev, 3 unread, mentions you", "Bob Stone
    (@Bob), 1 unread" (the badge alone would read "at 3")."""
    said = [entry.title if shown_name is None else f"{shown_name} ({entry.title})"]
    if entry.private:
        said.append("private")
    if entry.archived:
        said.append("archived")
    if entry.unread:
        count = f"{UNREAD_CAP - 1}+" if entry.unread >= UNREAD_CAP else str(entry.unread)
        said.append(f"{count} unread")
    if entry.mentioned:
        said.append("mentions you")
    return ", ".join(said)


class RoomList:
    def __init__(self, *, on_open: OpenRoom, on_join: OpenRoom, on_new_room: Handler) -> None:
        self._on_open = on_open
        self._on_join = on_join
        self._shown: tuple[tuple[RoomEntry, ...], str, tuple[str, ...]] | None = None
        self.entries = ft.Column(key=keys.ROOM_LIST, spacing=0, controls=[])
        self.new_room_input = ft.TextField(
            key=keys.NEW_ROOM_INPUT,
            label="Create or join a room",
            hint_text="room-name",
            prefix="#",
            dense=True,
            on_submit=on_new_room,
        )
        # On: Enter makes a new invite-only room instead of joining or creating a public one.
        self.private_switch = ft.Switch(key=keys.NEW_ROOM_PRIVATE, label="Private", value=False)
        # Made when there is first a room to list there: every control a session holds costs
        # it a few KB once it is on a page.
        self.directory: ft.Column | None = None
        self._column = ft.Column(
            [
                ft.Text("Rooms", weight=ft.FontWeight.BOLD),
                self.entries,
                self.new_room_input,
                self.private_switch,
            ],
            spacing=8,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        self.panel = ft.Container(
            key=keys.ROOM_PANEL,
            width=PANEL_WIDTH,
            border=ft.Border.all(1, BORDER_COLOR),
            border_radius=5,
            padding=10,
            content=self._column,
        )

    def show(
        self, entries: Sequence[RoomEntry], current: str, directory: Sequence[str]
    ) -> list[ft.Control]:
        """Show the user's rooms (current one selected) and the rooms they could join; returns
        the controls to update (none when nothing changed)."""
        shown = (tuple(entries), current, tuple(directory))
        if shown == self._shown:
            return []
        self._shown = shown
        self.entries.controls = [self._entry(e, selected=e.key == current) for e in entries]
        if directory and self.directory is None:
            self.directory = ft.Column(key=keys.ROOM_DIRECTORY, spacing=0)
            self._column.controls += [
                ft.Text("Other rooms", size=12, color=NOTICE_COLOR),
                self.directory,
            ]
        if self.directory is not None:
            self.directory.controls = [self._directory_entry(key) for key in directory]
        return [self.panel]

    def _entry(self, entry: RoomEntry, *, selected: bool) -> ft.Control:
        async def open_room(_event: Any) -> None:
            await self._on_open(entry.key)

        badge = unread_text(entry.unread, entry.mentioned)
        person, profile = entry.person, entry.profile or Profile()
        # A display name heads a direct conversation, its person's @name (the title) below.
        shown_name = display_name_of(person, profile) if person is not None else None
        leading: ft.Control | None = None
        if person:
            leading = avatar(person, profile, radius=12, text_size=10, silent=True)
        elif entry.private:
            leading = ft.Icon(
                ft.Icons.LOCK_OUTLINE, size=16, key=keys.room_lock(entry.key), semantics_label=""
            )
        return ft.ListTile(
            key=keys.room_entry(entry.key),
            leading=leading,
            # The title says the whole entry to screen readers; the other texts are silent.
            title=ft.Text(
                shown_name or entry.title,
                semantics_label=entry_label(entry, shown_name),
                weight=ft.FontWeight.BOLD if badge else None,
                no_wrap=True,
                overflow=ft.TextOverflow.ELLIPSIS,
            ),
            subtitle=ft.Text(
                entry.title if shown_name else "archived",
                semantics_label="",
                size=11,
                color=NOTICE_COLOR,
                no_wrap=True,
                overflow=ft.TextOverflow.ELLIPSIS,
            )
            if shown_name or entry.archived
            else None,
            # Only with news: a room with nothing unread costs no badge control.
            trailing=ft.Text(
                badge,
                semantics_label="",
                key=keys.room_unread(entry.key),
                weight=ft.FontWeight.BOLD,
                color=ft.Colors.PRIMARY,
            )
            if badge
            else None,
            selected=selected,
            dense=True,
            content_padding=ft.Padding.symmetric(horizontal=8),
            on_click=open_room,
        )

    def _directory_entry(self, key: str) -> ft.Control:
        async def join_room(_event: Any) -> None:
            await self._on_join(key)

        return ft.ListTile(
            key=keys.directory_entry(key),
            title=ft.Text(f"#{key}", semantics_label=f"Join #{key}", color=NOTICE_COLOR),
            trailing=ft.Text("Join", semantics_label="", size=12, color=ft.Colors.PRIMARY),
            dense=True,
            content_padding=ft.Padding.symmetric(horizontal=8),
            on_click=join_room,
        )
