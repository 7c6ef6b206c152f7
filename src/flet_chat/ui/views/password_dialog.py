"""Dialogs of the account menu: a new password (the current one first; or, for a guest or an
account from an identity provider, a first one) and a guest's "are you sure" before signing
out. Views only: ui/session/account.py acts on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import flet as ft

from flet_chat.core.accounts.service import WRONG_PASSWORD
from flet_chat.ui import keys
from flet_chat.ui.views.account_menu import SIGN_OUT
from flet_chat.ui.views.join_dialog import (
    ENTER_PASSWORD,
    PASSWORD_HELPER,
    PASSWORD_RULES,
    PASSWORDS_DIFFER,
)

Handler = Callable[[Any], Awaitable[None]]

CHANGE_TITLE = "Change password"
CHOOSE_TITLE = "Choose a password"
CHANGE_EXPLAINED = "Every other device signed in as you is signed out."
CHOOSE_EXPLAINED = "Keep your name, your rooms and your history, and sign in with it on any device."
CURRENT_LABEL = "Current password"
NEW_LABEL = "New password"
REPEAT_LABEL = "Repeat new password"
SAVE = "Save password"
CANCEL = "Cancel"


class Field(StrEnum):
    CURRENT = "current"
    NEW = "new"
    REPEAT = "repeat"


@dataclass(frozen=True, slots=True)
class PasswordForm:
    choose: bool  # a first password: no current one to type
    current: str
    new: str
    repeat: str

    def problem(self) -> tuple[Field, str] | None:
        """What the user can fix before the server is asked (it checks it all again)."""
        if not self.choose and not self.current:
            return Field.CURRENT, ENTER_PASSWORD
        if not self.new:
            return Field.NEW, ENTER_PASSWORD
        if self.new != self.repeat:
            return Field.REPEAT, PASSWORDS_DIFFER
        return None


class PasswordDialog:
    def __init__(self, *, choose: bool, on_save: Handler, on_cancel: Handler) -> None:
        self.choose = choose
        self.current_input = ft.TextField(
            key=keys.CURRENT_PASSWORD_INPUT,
            label=CURRENT_LABEL,
            password=True,
            can_reveal_password=True,
            autofocus=not choose,
            visible=not choose,
        )
        self.new_input = ft.TextField(
            key=keys.NEW_PASSWORD_INPUT,
            label=NEW_LABEL,
            password=True,
            can_reveal_password=True,
            autofocus=choose,
            helper=PASSWORD_HELPER,
        )
        self.repeat_input = ft.TextField(
            key=keys.NEW_PASSWORD_REPEAT_INPUT,
            label=REPEAT_LABEL,
            password=True,
            can_reveal_password=True,
            on_submit=on_save,
        )
        self.save_button = ft.Button(content=SAVE, key=keys.PASSWORD_SAVE, on_click=on_save)
        self.cancel_button = ft.TextButton(
            content=CANCEL, key=keys.PASSWORD_CANCEL, on_click=on_cancel
        )
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(CHOOSE_TITLE if choose else CHANGE_TITLE),
            semantics_label=CHOOSE_TITLE if choose else CHANGE_TITLE,
            content=ft.Column(
                [
                    ft.Text(CHOOSE_EXPLAINED if choose else CHANGE_EXPLAINED, size=12),
                    self.current_input,
                    self.new_input,
                    self.repeat_input,
                ],
                tight=True,
                width=340,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            actions=[self.cancel_button, self.save_button],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    def form(self) -> PasswordForm:
        return PasswordForm(
            self.choose,
            self.current_input.value or "",
            self.new_input.value or "",
            self.repeat_input.value or "",
        )

    def refuse(self, message: str, *, at: Field | None = None) -> list[ft.Control]:
        """Show `message` under the field it concerns; returns the controls to send."""
        fields = {
            Field.CURRENT: self.current_input,
            Field.NEW: self.new_input,
            Field.REPEAT: self.repeat_input,
        }
        for field in fields.values():
            field.error = None
        if at is None:
            if message == WRONG_PASSWORD and not self.choose:
                at = Field.CURRENT
            elif message in PASSWORD_RULES:
                at = Field.NEW
            else:  # a rate limit, the session gone, the server away: next to the button
                at = Field.REPEAT
        fields[at].error = message
        return [self.dialog]

    def clear_secrets(self) -> None:
        for field in (self.current_input, self.new_input, self.repeat_input):
            field.value = ""


class SignOutGuestDialog:
    """A guest has no password: once signed out, nobody can come back under their name."""

    def __init__(self, name: str, *, on_confirm: Handler, on_cancel: Handler) -> None:
        self.cancel_button = ft.TextButton(
            content=CANCEL, key=keys.SIGN_OUT_CANCEL, on_click=on_cancel
        )
        self.confirm_button = ft.Button(
            content=SIGN_OUT, key=keys.SIGN_OUT_CONFIRM, on_click=on_confirm
        )
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Sign out?"),
            semantics_label="Sign out?",
            content=ft.Text(
                f"You have no password, so once you sign out nobody can sign in as {name} "
                "again, you included. Choose a password first to keep your name.",
                width=340,
            ),
            actions=[self.cancel_button, self.confirm_button],
            actions_alignment=ft.MainAxisAlignment.END,
        )
