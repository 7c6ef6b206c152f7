"""The account menu at the end of the chat header: who is signed in here (a "guest" mark for a
guest), their profile, their password, and signing out here or everywhere. The view does no
I/O; ui/session/account.py acts on its items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.accounts.models import Account
from flet_chat.core.avatar import avatar_color, initials
from flet_chat.ui import keys
from flet_chat.ui.theme import NOTICE_COLOR

Handler = Callable[[Any], Awaitable[None]]

GUEST_MARK = "guest"
PROFILE = "Profile"
CHANGE_PASSWORD = "Change password"
CHOOSE_PASSWORD = "Choose a password"
SIGN_OUT = "Sign out"
SIGN_OUT_EVERYWHERE = "Sign out everywhere"
# A long name is cut short so the room's title keeps its room in the header (a Text in a Row
# takes its whole width unless it is given one).
NAME_WIDTH = 120
CHAR_WIDTH = 8


def menu_label(account: Account) -> str:
    """The menu button's accessible name."""
    kind = f" ({GUEST_MARK})" if account.is_guest else ""
    return f"Account: {account.user_name}{kind}"


class AccountMenu:
    def __init__(
        self,
        *,
        on_profile: Handler,
        on_password: Handler,
        on_sign_out: Handler,
        on_sign_out_everywhere: Handler,
    ) -> None:
        self.initials = ft.Text(size=12)
        self.avatar = ft.CircleAvatar(content=self.initials, color=ft.Colors.WHITE, radius=14)
        self.name = ft.Text(no_wrap=True, overflow=ft.TextOverflow.ELLIPSIS, max_lines=1)
        self.guest_mark = ft.Text(GUEST_MARK, size=11, italic=True, color=NOTICE_COLOR)
        self.password_item = ft.PopupMenuItem(
            key=keys.ACCOUNT_PASSWORD, icon=ft.Icons.PASSWORD, on_click=on_password
        )
        self.everywhere_item = ft.PopupMenuItem(
            key=keys.ACCOUNT_SIGN_OUT_EVERYWHERE,
            content=SIGN_OUT_EVERYWHERE,
            icon=ft.Icons.DEVICES,
            on_click=on_sign_out_everywhere,
        )
        # The Semantics wrapper names the button for screen readers (and browser tests) once:
        # without it the name repeats the initials, the name and the mark.
        # The guest mark shows for a guest, "Sign out everywhere" for an account: each is in
        # the menu only while it applies (a control drawn costs every join its CPU).
        self._row = ft.Row([self.avatar, self.name], spacing=6, tight=True)
        self.label = ft.Semantics(exclude_semantics=True, content=self._row)
        self._items = [
            ft.PopupMenuItem(
                key=keys.ACCOUNT_PROFILE,
                content=PROFILE,
                icon=ft.Icons.PERSON_OUTLINE,
                on_click=on_profile,
            ),
            self.password_item,
            ft.PopupMenuItem(
                key=keys.ACCOUNT_SIGN_OUT,
                content=SIGN_OUT,
                icon=ft.Icons.LOGOUT,
                on_click=on_sign_out,
            ),
        ]
        self.button = ft.PopupMenuButton(
            key=keys.ACCOUNT_MENU,
            content=self.label,
            menu_position=ft.PopupMenuPosition.UNDER,
            items=list(self._items),
        )

    def show(self, account: Account) -> list[ft.Control]:
        """Show `account`; returns the controls to send."""
        name = account.profile.display_name or account.user_name
        self.initials.value = initials(name)
        self.avatar.bgcolor = avatar_color(account.user_name)
        self.name.value = name
        self.name.width = min(NAME_WIDTH, CHAR_WIDTH * len(name) + CHAR_WIDTH)
        guest = account.is_guest
        self._row.controls = [self.avatar, self.name, *([self.guest_mark] if guest else [])]
        self.label.label = menu_label(account)
        # A guest has no password to change, and one session: "everywhere" is just here.
        self.password_item.content = (
            CHOOSE_PASSWORD if not account.has_password else CHANGE_PASSWORD
        )
        self.button.items = [*self._items, *([] if guest else [self.everywhere_item])]
        return [self.button]
