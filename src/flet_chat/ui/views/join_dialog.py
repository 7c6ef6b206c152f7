"""The modal "Welcome!" dialog: nobody posts before they are someone. Three tabs over one form:
join as a guest (a name alone, when the chat allows guests), sign in (name and password) or sign
up (name, password and the password again). With sign-in providers configured, the Sign in and
Sign up tabs also offer "Sign in with <provider>" (ui/session/external_sign_in.py makes those
buttons; a provider's sign-in makes the account at its first use, so it is a way to sign up too).

The view does no I/O: SessionIdentity reads `form()` and shows a refusal under the field it
concerns (`refuse`, which returns the controls to send).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import flet as ft

from flet_chat.core.accounts.passwords import SAME_AS_NAME, TOO_COMMON, TOO_LONG, TOO_SHORT
from flet_chat.core.limits import MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH
from flet_chat.ui import keys
from flet_chat.ui.theme import NOTICE_COLOR

Handler = Callable[[Any], Awaitable[None]]
Focus = Callable[[ft.TextField], Awaitable[None]]


class Mode(StrEnum):
    GUEST = "guest"
    SIGN_IN = "sign_in"
    SIGN_UP = "sign_up"


class Field(StrEnum):
    NAME = "name"
    PASSWORD = "password"
    REPEAT = "repeat"


TITLE = "Welcome!"
TAB_LABELS = {Mode.GUEST: "Guest", Mode.SIGN_IN: "Sign in", Mode.SIGN_UP: "Sign up"}
ACTIONS = {Mode.GUEST: "Join chat", Mode.SIGN_IN: "Sign in", Mode.SIGN_UP: "Create account"}
HINTS = {
    Mode.GUEST: "Chat under a name, no password. Only this browser can come back as you.",
    Mode.SIGN_IN: "Welcome back.",
    Mode.SIGN_UP: "A name and a password: chat as yourself on any device.",
}
NAME_LABEL = "Name"
PASSWORD_LABEL = "Password"
REPEAT_LABEL = "Repeat password"
NAME_HELPER = f"1 to {MAX_NAME_LENGTH} characters"
PASSWORD_HELPER = f"At least {MIN_PASSWORD_LENGTH} characters"
ENTER_NAME = "Enter your name."
ENTER_PASSWORD = "Enter your password."
PASSWORDS_DIFFER = "The passwords do not match. Type the same password twice."
# What the password rules refuse: shown under the password, whichever form sent it.
PASSWORD_RULES = frozenset({TOO_SHORT, TOO_LONG, TOO_COMMON, SAME_AS_NAME})
# Between the provider buttons and the form.
OR_WITH_A_NAME = "or with a name and password"
# The tabs that show the provider buttons.
EXTERNAL_MODES = frozenset({Mode.SIGN_IN, Mode.SIGN_UP})


@dataclass(frozen=True, slots=True)
class Form:
    """What the dialog holds when the user asks to go in. The passwords stay here only until
    the dialog is cleared after a join (`clear_secrets`)."""

    mode: Mode
    name: str
    password: str
    repeat: str

    def problem(self) -> tuple[Field, str] | None:
        """What the user can fix before the server is asked (the server checks it all again)."""
        if self.mode is Mode.GUEST:
            return None
        if self.mode is Mode.SIGN_IN and not self.name.strip():
            return Field.NAME, ENTER_NAME
        if not self.password:
            return Field.PASSWORD, ENTER_PASSWORD
        if self.mode is Mode.SIGN_UP and self.password != self.repeat:
            return Field.REPEAT, PASSWORDS_DIFFER
        return None


class JoinDialog:
    def __init__(
        self,
        *,
        on_join: Handler,
        guests: bool = True,
        focus: Focus | None = None,
        external: Sequence[ft.Control] = (),
    ) -> None:
        """`guests`: whether the chat lets people in with a name alone (the Guest tab).
        `focus` moves the cursor on to the next field when Enter is pressed in one.
        `external`: the "Sign in with <provider>" buttons (none: no provider configured)."""
        self._on_join = on_join
        self._focus = focus
        self.modes = (
            [Mode.GUEST, Mode.SIGN_IN, Mode.SIGN_UP] if guests else [Mode.SIGN_IN, Mode.SIGN_UP]
        )
        self.mode = self.modes[0]
        self.tabs = ft.Tabs(
            key=keys.JOIN_TABS,
            length=len(self.modes),
            selected_index=0,
            animation_duration=0,
            content=ft.TabBar(
                scrollable=False,
                tabs=[ft.Tab(label=TAB_LABELS[m], key=keys.join_tab(m)) for m in self.modes],
            ),
            on_change=self._tab_changed,
        )
        self.hint = ft.Text(size=12, color=NOTICE_COLOR)
        self.name_input = ft.TextField(
            key=keys.NAME_INPUT,
            label=NAME_LABEL,
            autofocus=True,
            on_submit=self._name_entered,
        )
        self.join_button = ft.Button(key=keys.JOIN_BUTTON, on_click=on_join)
        # Made when first needed (the password fields on the first sign-in or sign-up tab, the
        # notice when the session ends), then kept and shown or hidden: a guest's join sends
        # neither, and each control a page draws costs its session's CPU at every join.
        self._notice: ft.Text | None = None
        self._password_input: ft.TextField | None = None
        self._repeat_input: ft.TextField | None = None
        # The provider buttons, with why a provider's sign-in did not work (cancelled, refused,
        # rate limited...): none without a provider.
        self.external: ft.Column | None = None
        self.external_error = ft.Text(
            key=keys.JOIN_EXTERNAL_ERROR, visible=False, color=ft.Colors.ERROR
        )
        if external:
            self.external = ft.Column(
                [
                    *external,
                    self.external_error,
                    ft.Text(
                        OR_WITH_A_NAME,
                        size=12,
                        color=NOTICE_COLOR,
                        text_align=ft.TextAlign.CENTER,
                    ),
                ],
                key=keys.JOIN_EXTERNAL,
                tight=True,
                spacing=8,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            )
        self._fields = ft.Column(
            tight=True,
            width=340,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(TITLE),
            # Screen readers name the dialog by this; without it Flutter says "Alert".
            semantics_label=TITLE,
            content=self._fields,
            actions=[self.join_button],
            actions_alignment=ft.MainAxisAlignment.END,
        )
        self._arrange()

    @property
    def notice(self) -> ft.Text:
        """ "You were signed out": why the dialog is back."""
        if self._notice is None:
            self._notice = ft.Text(key=keys.JOIN_NOTICE, visible=False, weight=ft.FontWeight.BOLD)
            self._place()
        return self._notice

    @property
    def password_input(self) -> ft.TextField:
        if self._password_input is None:
            self._password_input = ft.TextField(
                key=keys.PASSWORD_INPUT,
                label=PASSWORD_LABEL,
                password=True,
                can_reveal_password=True,
                visible=self.mode is not Mode.GUEST,
                on_submit=self._password_entered,
            )
            self._place()
        return self._password_input

    @property
    def repeat_input(self) -> ft.TextField:
        if self._repeat_input is None:
            self._repeat_input = ft.TextField(
                key=keys.PASSWORD_REPEAT_INPUT,
                label=REPEAT_LABEL,
                password=True,
                can_reveal_password=True,
                visible=self.mode is Mode.SIGN_UP,
                on_submit=self._on_join,
            )
            self._place()
        return self._repeat_input

    def _place(self) -> None:
        """The form's controls in their order, those made so far."""
        self._fields.controls = [
            c
            for c in (
                self.tabs,
                self._notice,
                self.hint,
                self.external,
                self.name_input,
                self._password_input,
                self._repeat_input,
            )
            if c is not None
        ]

    # -- the form -----------------------------------------------------------------------------

    def form(self) -> Form:
        password = self.password_input.value if self.mode is not Mode.GUEST else ""
        repeat = self.repeat_input.value if self.mode is Mode.SIGN_UP else ""
        return Form(self.mode, self.name_input.value or "", password or "", repeat or "")

    def field(self, which: Field) -> ft.TextField:
        """The field `which` (a password field is made by asking for it, the others are not)."""
        match which:
            case Field.NAME:
                return self.name_input
            case Field.PASSWORD:
                return self.password_input
            case Field.REPEAT:
                return self.repeat_input

    def set_mode(self, mode: Mode) -> list[ft.Control]:
        """Show the tab for `mode` (a mode the chat does not offer is ignored)."""
        if mode in self.modes:
            self.mode = mode
            self.tabs.selected_index = self.modes.index(mode)
            self._arrange()
        return [self.dialog]

    def _arrange(self) -> None:
        mode = self.mode
        self.hint.value = HINTS[mode]
        self.name_input.helper = None if mode is Mode.SIGN_IN else NAME_HELPER
        if mode is not Mode.GUEST or self._password_input is not None:
            self.password_input.visible = mode is not Mode.GUEST
            self.password_input.helper = PASSWORD_HELPER if mode is Mode.SIGN_UP else None
        if mode is Mode.SIGN_UP or self._repeat_input is not None:
            self.repeat_input.visible = mode is Mode.SIGN_UP
        self.join_button.content = ACTIONS[mode]
        if self.external is not None:
            self.external.visible = mode in EXTERNAL_MODES
        self._place()
        self._clear_errors()

    def _clear_errors(self) -> None:
        for field in (self.name_input, self._password_input, self._repeat_input):
            if field is not None:
                field.error = None
        self.external_error.value, self.external_error.visible = "", False

    # -- refusals and the way back --------------------------------------------------------------

    def refuse(
        self, message: str, *, at: Field | None = None, rate_limited: bool = False
    ) -> list[ft.Control]:
        """Show `message` under the field it concerns (`at`, or worked out from the message and
        the tab); returns the controls to send."""
        self._clear_errors()
        self.field(at or self._field_for(message, rate_limited=rate_limited)).error = message
        return [self.dialog]

    def refuse_external(self, message: str) -> list[ft.Control]:
        """Why a provider's sign-in did not work, under its buttons (on the Sign in tab if
        another tab is showing now); returns the controls to send."""
        if self.mode not in EXTERNAL_MODES:
            self.set_mode(Mode.SIGN_IN)
        self._clear_errors()
        self.external_error.value, self.external_error.visible = message, True
        return [self.dialog]

    def _field_for(self, message: str, *, rate_limited: bool) -> Field:
        if message == PASSWORDS_DIFFER:
            return Field.REPEAT
        if message in PASSWORD_RULES or self.mode is Mode.SIGN_IN:
            return Field.PASSWORD  # a sign-in's every refusal reads "wrong name or password"
        if rate_limited:  # about the whole form: under its last field, next to the button
            return Field.REPEAT if self.mode is Mode.SIGN_UP else Field.NAME
        return Field.NAME  # a name refused: blank, taken, a look-alike, reserved

    def clear_secrets(self) -> None:
        """No password stays in the page once it has been used."""
        for field in (self._password_input, self._repeat_input):
            if field is not None:
                field.value = ""

    def joined(self) -> None:
        """In: nothing of this attempt stays for the next time the dialog shows."""
        self.clear_secrets()
        self._clear_errors()
        if self._notice is not None:
            self._notice.visible = False

    def signed_out(self, notice: str, *, name: str | None, has_password: bool = True) -> None:
        """Back after the session ended: say why, and offer to sign in again (`name` filled in
        for an account, not a guest; `has_password`: it can sign in with one, not only through
        a provider, whose buttons are on the same tab)."""
        self.clear_secrets()
        self.notice.value, self.notice.visible = notice, True
        self.name_input.value = name or ""
        # The caret waits where there is something left to type (autofocus acts when the
        # dialog is drawn: a dialog made anew, as one is after every join).
        password_next = bool(name) and has_password
        self.name_input.autofocus = not password_next
        if password_next or self._password_input is not None:  # a guest's needs none
            self.password_input.autofocus = password_next
        self.set_mode(Mode.SIGN_IN if name else self.modes[0])

    # -- Enter moves on -------------------------------------------------------------------------

    async def _tab_changed(self, event: Any) -> None:
        index = _index(getattr(event, "data", None), self.tabs.selected_index)
        if 0 <= index < len(self.modes) and self.modes[index] is not self.mode:
            self.set_mode(self.modes[index])
            self.dialog.update()

    async def _name_entered(self, event: Any) -> None:
        if self.mode is Mode.GUEST or self._focus is None:
            await self._on_join(event)
        else:
            await self._focus(self.password_input)

    async def _password_entered(self, event: Any) -> None:
        if self.mode is Mode.SIGN_UP and self._focus is not None:
            await self._focus(self.repeat_input)
        else:
            await self._on_join(event)


def _index(data: object, fallback: int) -> int:
    """The tab a change event names (Flet sends it as a number or its text)."""
    if isinstance(data, int):
        return data
    if isinstance(data, str) and data.lstrip("-").isdigit():
        return int(data)
    return fallback
