"""The chat screen: the room list on the left, then a header (room, topic, leave), the bordered
message list, "load older"/"jump to newest", who is typing, the composer and send; on the right
who is online. On a narrow screen the rooms move into a drawer and the member list behind a
toggle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.emoji import NamedEmoji
from flet_chat.flet_compat import ShiftEnterTextField, sent_its_own_changes
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock
from flet_chat.ui.controls.load_older import load_older_button
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR
from flet_chat.ui.views.emoji_picker import INSERT_EMOJI, EmojiSuggestions, Pick
from flet_chat.ui.views.member_list import PANEL_WIDTH, MemberList, MemberRowCache
from flet_chat.ui.views.message_list import MessageList, Update
from flet_chat.ui.views.room_list import PANEL_WIDTH as ROOM_PANEL_WIDTH
from flet_chat.ui.views.room_list import RoomList
from flet_chat.ui.views.typing_indicator import TypingIndicator

Handler = Callable[[Any], Awaitable[None]]

# Below this page width the member list is not a side column but a panel behind a toggle.
NARROW_WIDTH = 600
SHOW_MEMBERS = "Show who is online"
HIDE_MEMBERS = "Hide who is online"
SHOW_ROOMS = "Show rooms"
LEAVE_ROOM = "Leave this room"
MANAGE_ROOM = "Manage room"
SEARCH_MESSAGES = "Search messages"
JUMP_TO_NEWEST = "Jump to newest messages"


async def _keep_focus(_event: Any) -> None:
    """Flutter's default for a tap outside a text field is to unfocus it; clicking the send
    button then left the composer without focus, and focus() from the server did not bring it
    back. Any handler replaces that default, so the composer keeps focus, as in a chat app.
    It changes nothing: Flet must not diff the page after every click outside the field."""
    sent_its_own_changes()


class ChatView:
    def __init__(
        self,
        rows: RowCache,
        *,
        on_send: Handler,
        on_jump_to_newest: Handler,
        member_rows: MemberRowCache,
        on_typing: Handler,
        on_toggle_members: Handler,
        room_list: RoomList,
        on_show_rooms: Handler,
        on_leave_room: Handler,
        clock: Clock = FALLBACK,
        on_search: Handler | None = None,
        on_emoji: Handler | None = None,
        on_manage_room: Handler | None = None,
    ) -> None:
        self.rooms = room_list
        self._on_manage_room = on_manage_room
        self.manage_button: ft.TextButton | None = None  # made in the first room that has it
        self.load_older_button = load_older_button()  # the process's: a click is routed
        self.messages = MessageList(rows, head=self.load_older_button, clock=clock)
        self.message_list = self.messages.list_view
        # "Jump to newest messages": made the first time the list leaves its newest message.
        self._on_jump_to_newest = on_jump_to_newest
        self.jump_button: ft.TextButton | None = None
        # Its own class: the server's focus() cannot reach a shift_enter field (flet_compat).
        self.message_input = ShiftEnterTextField(
            key=keys.MESSAGE_INPUT,
            label="Message",
            hint_text="Write a message...",
            autofocus=True,
            shift_enter=True,
            multiline=True,
            min_lines=1,
            max_lines=5,
            helper_max_lines=12,  # a bot's private hint (/help) spans several lines
            filled=True,
            expand=True,
            on_submit=on_send,
            on_change=on_typing,
            on_tap_outside=_keep_focus,
        )
        # The icon's semantics label names the focusable button itself. A Semantics wrapper only
        # labelled an outer node and left the real (tappable) button nameless in the a11y tree.
        self.send_button = ft.IconButton(
            key=keys.SEND_BUTTON,
            icon=ft.Icon(ft.Icons.SEND_ROUNDED, semantics_label="Send message"),
            tooltip="Send message",
            on_click=on_send,
        )

        # The room's standing note under the composer (ui/session/room_standing.py).
        self.composer_note: str | None = None

        # The emoji picker (ui/session/emoji_input.py) and the `:smi` suggestions under the field.
        self.emoji_button = ft.IconButton(
            key=keys.EMOJI_BUTTON,
            icon=ft.Icon(ft.Icons.EMOJI_EMOTIONS_OUTLINED, semantics_label=INSERT_EMOJI),
            tooltip=INSERT_EMOJI,
            on_click=on_emoji,
        )
        # Made the first time there is something to suggest (a few KB per session saved).
        self.emoji_suggestions: EmojiSuggestions | None = None
        # Its action (the browser's file chooser) is the session's: ui/session/attachments.py.
        self.attach_button = ft.IconButton(
            key=keys.ATTACH_BUTTON,
            icon=ft.Icon(ft.Icons.ATTACH_FILE, semantics_label="Attach files"),
            tooltip="Attach files",
        )

        self.members = MemberList(member_rows)
        self.typing = TypingIndicator()
        # Like the send button: the icon's semantics label is the button's accessible name.
        self.members_icon = ft.Icon(ft.Icons.PEOPLE_OUTLINE, semantics_label=SHOW_MEMBERS)
        self.members_toggle = ft.IconButton(
            key=keys.MEMBERS_TOGGLE,
            icon=self.members_icon,
            tooltip=SHOW_MEMBERS,
            visible=False,
            on_click=on_toggle_members,
        )
        # Every control a session holds costs it a few KB once on a page, so the header's rarely
        # needed parts (the rooms button, the topic, "Leave") are made when first needed.
        self._on_show_rooms = on_show_rooms
        self._on_leave_room = on_leave_room
        self.rooms_toggle: ft.IconButton | None = None
        self.room_topic: ft.Text | None = None
        self.leave_button: ft.TextButton | None = None
        self._account_menu: ft.Control | None = None
        self.admin_button: ft.TextButton | None = None
        self.room_title = ft.Text(
            "#general",
            key=keys.ROOM_TITLE,
            weight=ft.FontWeight.BOLD,
            expand=True,
            no_wrap=True,
            overflow=ft.TextOverflow.ELLIPSIS,
        )
        self.header = ft.Row([self.room_title, self.members_toggle])
        if on_search is not None:
            # Like the send button: the icon's semantics label is the button's accessible name.
            self.search_button = ft.IconButton(
                key=keys.SEARCH_BUTTON,
                icon=ft.Icon(ft.Icons.SEARCH, semantics_label=SEARCH_MESSAGES),
                tooltip=SEARCH_MESSAGES,
                on_click=on_search,
            )
            self.header.controls.insert(1, self.search_button)
        self._header_shown: tuple[str, str | None, bool, bool] = ("#general", None, False, False)
        # Wide: the room list is the main row's first column. Narrow: it moves into the drawer.
        self.drawer = ft.NavigationDrawer(controls=[])
        self.chat_column = ft.Column(
            expand=True,
            controls=[
                ft.Container(
                    content=self.message_list,
                    border=ft.Border.all(1, BORDER_COLOR),
                    border_radius=5,
                    padding=10,
                    expand=True,
                ),
                self.typing.text,
                ft.Row(
                    [self.emoji_button, self.message_input, self.attach_button, self.send_button]
                ),
            ],
        )
        self.narrow = False
        self.members_open = False

        self.main_row = ft.Row(
            [
                room_list.panel,
                ft.Column([self.header, self.chat_column], expand=True),
                self.members.panel,
            ],
            expand=True,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def layout(self) -> list[ft.Control]:
        return [self.main_row]

    def show_room(
        self, title: str, topic: str | None, *, can_leave: bool, can_manage: bool = False
    ) -> list[ft.Control]:
        """Name the room on screen, with its topic; returns the controls to update."""
        shown = (title, topic or None, can_leave, can_manage)
        if shown == self._header_shown:
            return []
        self._header_shown = shown
        self.room_title.value = title
        if topic and self.room_topic is None:
            self.room_topic = ft.Text(
                key=keys.ROOM_TOPIC,
                size=12,
                color=NOTICE_COLOR,
                expand=True,
                no_wrap=True,
                overflow=ft.TextOverflow.ELLIPSIS,
            )
            self.header.controls.insert(self._index_of(self.room_title) + 1, self.room_topic)
        if self.room_topic is not None:
            self.room_topic.value, self.room_topic.visible = topic or "", bool(topic)
        self.room_title.expand = not topic  # the topic takes the rest of the line
        if can_leave and self.leave_button is None:
            self.leave_button = ft.TextButton(
                content=LEAVE_ROOM, key=keys.LEAVE_ROOM_BUTTON, on_click=self._on_leave_room
            )
            self.header.controls.insert(self._index_of(self.members_toggle), self.leave_button)
        if self.leave_button is not None:
            self.leave_button.visible = can_leave
        can_manage = can_manage and self._on_manage_room is not None
        if can_manage and self.manage_button is None:
            self.manage_button = ft.TextButton(
                content=MANAGE_ROOM, key=keys.ROOM_MENU_BUTTON, on_click=self._on_manage_room
            )
            self.header.controls.insert(self._index_of(self.members_toggle), self.manage_button)
        if self.manage_button is not None:
            self.manage_button.visible = can_manage
        return [self.header]

    def show_account_menu(self, menu: ft.Control) -> list[ft.Control]:
        """The account menu at the end of the header (added the first time someone joins here:
        a tab nobody joined in holds none of its controls); returns the controls to send."""
        if not any(c is menu for c in self.header.controls):
            self.header.controls.append(menu)
            self._account_menu = menu
        menu.visible = True
        return [self.header]

    def show_admin_entry(self, visible: bool, on_click: Handler) -> list[ft.Control]:
        """The header's "Admin" (the route /admin), for admins only: made the first time an
        admin is here; returns the controls to send."""
        if self.admin_button is None:
            if not visible:
                return []
            self.admin_button = ft.TextButton(
                content="Admin", key=keys.ADMIN_BUTTON, on_click=on_click
            )
            at = self._index_of(self._account_menu) if self._account_menu else None
            if at is None:
                self.header.controls.append(self.admin_button)
            else:
                self.header.controls.insert(at, self.admin_button)
            return [self.header]
        if self.admin_button.visible == visible:
            return []
        self.admin_button.visible = visible
        return [self.admin_button]

    def hide_account_menu(self) -> list[ft.Control]:
        menu = self._account_menu
        if menu is None or not menu.visible:
            return []
        menu.visible = False
        return [menu]

    def _index_of(self, control: ft.Control) -> int:
        # `is`, not `==`: controls are dataclasses that compare by value.
        return next(i for i, c in enumerate(self.header.controls) if c is control)

    def set_narrow(self, narrow: bool) -> list[ft.Control]:
        """Lay out for the page width; returns the controls to update."""
        if narrow == self.narrow:
            return []
        self.narrow, self.members_open = narrow, False
        return [*self._arrange_rooms(), *self._arrange_members()]

    def toggle_members(self) -> list[ft.Control]:
        self.members_open = not self.members_open
        return self._arrange_members()

    def _arrange_rooms(self) -> list[ft.Control]:
        panel, row = self.rooms.panel, self.main_row.controls
        in_row = any(c is panel for c in row)
        if self.narrow and self.rooms_toggle is None:
            self.rooms_toggle = ft.IconButton(
                key=keys.ROOMS_TOGGLE,
                icon=ft.Icon(ft.Icons.MENU, semantics_label=SHOW_ROOMS),
                tooltip=SHOW_ROOMS,
                on_click=self._on_show_rooms,
            )
            self.header.controls.insert(0, self.rooms_toggle)
        if self.rooms_toggle is not None:
            self.rooms_toggle.visible = self.narrow
        if self.narrow:
            if in_row:
                del row[next(i for i, c in enumerate(row) if c is panel)]
            self.drawer.controls = [panel]
            panel.width, panel.border = None, None
        else:
            self.drawer.controls = []
            if not in_row:
                row.insert(0, panel)
            panel.width, panel.border = ROOM_PANEL_WIDTH, ft.Border.all(1, BORDER_COLOR)
        return [self.main_row, self.drawer, self.header]

    def _arrange_members(self) -> list[ft.Control]:
        # Narrow and open: the member list takes the whole width instead of the conversation,
        # as a phone app's "members" screen does; the toggle brings the conversation back.
        narrow, open_ = self.narrow, self.members_open
        self.members_toggle.visible = narrow
        label = HIDE_MEMBERS if narrow and open_ else SHOW_MEMBERS
        self.members_icon.semantics_label = label
        self.members_toggle.tooltip = label
        panel = self.members.panel
        panel.visible = not narrow or open_
        panel.width = None if narrow else PANEL_WIDTH
        panel.expand = narrow
        self.chat_column.visible = not (narrow and open_)
        return [self.members_toggle, panel, self.chat_column]

    def render(self, window: MessageWindow) -> list[Update]:
        """Show the window's messages; returns the updates to send, in order."""
        updates = self.messages.show(
            window.messages, has_older=window.has_older, shape=window.reshapes
        )
        jump_visible = not (window.at_live_edge and self.message_list.auto_scroll)
        button = self.jump_button
        if button is None:
            if jump_visible:
                self.jump_button = ft.TextButton(
                    content=JUMP_TO_NEWEST,
                    key=keys.JUMP_TO_NEWEST_BUTTON,
                    on_click=self._on_jump_to_newest,
                )
                row = ft.Row([self.jump_button], alignment=ft.MainAxisAlignment.CENTER)
                self.chat_column.controls.insert(1, row)  # under the list, above the composer
                updates.append(self.chat_column)
        elif jump_visible != button.visible:
            button.visible = jump_visible
            updates.append(button)
        return updates

    def suggest_emoji(self, found: tuple[NamedEmoji, ...], on_pick: Pick) -> list[ft.Control]:
        """Show `found` under the composer (nothing hides it); returns the controls to send."""
        suggestions = self.emoji_suggestions
        if suggestions is None:
            if not found:
                return []
            suggestions = self.emoji_suggestions = EmojiSuggestions()
            self.chat_column.controls.append(suggestions.row)  # under the composer's row
            suggestions.show(found, on_pick)
            return [self.chat_column]
        return [suggestions.row] if suggestions.show(found, on_pick) else []

    def show_composer_error(self, message: str | None) -> None:
        self.message_input.error = message
        self.message_input.helper = self.composer_note

    def show_composer_status(self, message: str | None) -> None:
        """A neutral note under the composer (a send being retried), not an error."""
        self.message_input.helper = message or self.composer_note
        self.message_input.error = None

    def set_composer_standing(self, note: str | None, *, disabled: bool) -> bool:
        """What the user may do in the room on screen ("You are muted in #dev until 7:45 PM",
        "Slow mode: ..."), shown under the composer until it changes, the composer disabled
        when they may not post. Returns whether anything changed."""
        field = self.message_input
        if note == self.composer_note and bool(field.disabled) == disabled:
            return False
        self.composer_note = note
        field.disabled = disabled
        field.helper = note
        if disabled:
            field.error = None
        return True
