"""The account menu's actions on fakes, with the real AccountService (accounts in memory): signing
out here or everywhere, a guest asked first, a new password (refusals under their field, the
other devices signed out) and a guest's first password, which keeps their name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flet as ft

from flet_chat.core.accounts.models import Account, AccountKind, Authenticated, SessionKind
from flet_chat.core.accounts.passwords import TOO_COMMON
from flet_chat.core.accounts.service import WRONG_PASSWORD, AccountService
from flet_chat.core.names import ReservedNames
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from flet_chat.ui import keys
from flet_chat.ui.session.account import (
    PASSWORD_CHANGED,
    PASSWORD_CHOSEN,
    SIGN_OUT_FAILED,
    AccountSession,
)
from flet_chat.ui.views.account_menu import CHANGE_PASSWORD, CHOOSE_PASSWORD, AccountMenu
from flet_chat.ui.views.join_dialog import ENTER_PASSWORD, PASSWORDS_DIFFER
from flet_chat.ui.views.password_dialog import PasswordDialog, SignOutGuestDialog
from tests.unit.fakes import MemoryAccountStore, MemoryRoomStore, PlainHasher, RecordingBus
from tests.unit.session_fakes import FakeScreen, make_view

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and better password"


class Harness:
    def __init__(self) -> None:
        self.store = MemoryAccountStore(MemoryRoomStore())
        self.bus = RecordingBus([])
        self.accounts = AccountService(
            self.store, PlainHasher(), RateLimits(LocalRateLimiter()), self.bus, ReservedNames()
        )
        self.screen = FakeScreen()
        self.view = make_view()
        self.auth: Authenticated | None = None
        self.ended: list[int] = []
        self.changed: list[Account] = []
        self.session = AccountSession(
            accounts=self.accounts,
            view=self.view,
            screen=self.screen,
            auth=lambda: self.auth,
            ended=self.on_ended,
            account_changed=self.on_changed,
            origin=None,
            on_profile=self.on_profile,
        )
        self.profiles_opened = 0

    async def on_profile(self, _event: object) -> None:
        self.profiles_opened += 1

    async def on_ended(self, session_id: int) -> None:
        self.ended.append(session_id)

    def on_changed(self, account: Account) -> None:
        self.changed.append(account)
        assert self.auth is not None
        self.auth = Authenticated(account, self.auth.session_id, self.auth.kind)

    async def sign_up(self, name: str = "Alice") -> Authenticated:
        signed = await self.accounts.sign_up(name, PASSWORD)
        return await self.auth_of(signed.token)

    async def guest(self, name: str = "Bob") -> Authenticated:
        signed = await self.accounts.guest(name)
        return await self.auth_of(signed.token)

    async def auth_of(self, token: str) -> Authenticated:
        auth = await self.accounts.authenticate(token)
        assert auth is not None
        return auth

    async def live(self, name: str) -> set[int]:
        kinds = [SessionKind.BROWSER, SessionKind.API]
        now = datetime.now(UTC)
        return {s.session_id for s in await self.store.sessions_of(name, kinds, now)}

    def join(self, auth: Authenticated) -> None:
        self.auth = auth
        self.session.show()

    async def click(self, item: ft.PopupMenuItem) -> None:
        await self.press(item)

    @property
    def menu_items(self) -> dict[str, ft.PopupMenuItem]:
        assert self.session.menu is not None
        return {str(item.key): item for item in self.session.menu.button.items}

    def dialog(self) -> Any:
        return self.session.dialog

    async def press(self, button: ft.Control) -> None:
        handler: Any = getattr(button, "on_click", None)
        await handler(None)

    def snacks(self) -> list[str]:
        return [
            str(d.content.value)  # type: ignore[attr-defined]
            for d in self.screen.dialogs
            if isinstance(d, ft.SnackBar)
        ]


def shows_guest_mark(menu: AccountMenu) -> bool:
    """Whether the menu's button draws the guest mark (its label's row holds it)."""
    row = menu.label.content
    assert isinstance(row, ft.Row)
    return any(c is menu.guest_mark and c.visible is not False for c in row.controls)


def offers_everywhere(menu: AccountMenu) -> bool:
    return any(
        item is menu.everywhere_item and item.visible is not False for item in menu.button.items
    )


async def test_the_menu_shows_who_is_signed_in_and_a_guest_mark() -> None:
    harness = Harness()
    harness.join(await harness.guest("Bob"))
    menu = harness.session.menu
    assert menu is not None
    assert [c for c in harness.view.header.controls if c is menu.button]  # in the header, once
    assert menu.name.value == "Bob"
    assert shows_guest_mark(menu)
    assert menu.label.label == "Account: Bob (guest)"
    assert menu.password_item.content == CHOOSE_PASSWORD
    assert not offers_everywhere(menu)  # a guest has one session: "here" is everywhere
    harness.join(await harness.sign_up("Alice"))
    assert len([c for c in harness.view.header.controls if c is menu.button]) == 1
    assert menu.name.value == "Alice"
    assert not shows_guest_mark(menu)
    assert menu.password_item.content == CHANGE_PASSWORD
    assert offers_everywhere(menu)
    harness.session.hide()
    assert not menu.button.visible


async def test_the_menu_holds_only_what_applies_to_who_is_signed_in() -> None:
    """A hidden control still costs each join its CPU and each session its memory: a guest's
    menu has no "Sign out everywhere", an account's no guest mark."""
    harness = Harness()
    harness.join(await harness.guest("Bob"))
    menu = harness.session.menu
    assert menu is not None
    row = menu.label.content
    assert isinstance(row, ft.Row)
    assert not any(item is menu.everywhere_item for item in menu.button.items)
    harness.join(await harness.sign_up("Alice"))
    assert not any(c is menu.guest_mark for c in row.controls)
    assert any(item is menu.everywhere_item for item in menu.button.items)


async def test_the_menu_s_profile_entry_opens_the_profile() -> None:
    harness = Harness()
    harness.join(await harness.sign_up("Alice"))
    menu = harness.session.menu
    assert menu is not None
    profile_item = next(i for i in menu.button.items if i.content == "Profile")
    await profile_item.on_click(None)  # type: ignore[misc]
    assert harness.profiles_opened == 1


async def test_signing_out_ends_this_session_only() -> None:
    harness = Harness()
    phone = await harness.sign_up()
    here = await harness.auth_of((await harness.accounts.sign_in("Alice", PASSWORD)).token)
    harness.join(here)
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT])
    assert harness.ended == [here.session_id]
    assert await harness.live("Alice") == {phone.session_id}
    assert harness.screen.dialogs == []  # a member is not asked first


async def test_signing_out_everywhere_ends_every_session() -> None:
    harness = Harness()
    await harness.sign_up()
    here = await harness.auth_of((await harness.accounts.sign_in("Alice", PASSWORD)).token)
    harness.join(here)
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT_EVERYWHERE])
    assert harness.ended == [here.session_id]
    assert await harness.live("Alice") == set()


async def test_a_guest_is_told_what_signing_out_costs_before_it_happens() -> None:
    harness = Harness()
    bob = await harness.guest()
    harness.join(bob)
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT])
    asked = harness.dialog()
    assert isinstance(asked, SignOutGuestDialog)
    assert "nobody can sign in as Bob again" in str(asked.dialog.content.value)  # type: ignore[union-attr]
    assert await harness.live("Bob") == {bob.session_id}
    await harness.press(asked.cancel_button)
    assert harness.screen.closed == [asked.dialog]
    assert await harness.live("Bob") == {bob.session_id}
    assert harness.ended == []
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT])
    await harness.press(harness.dialog().confirm_button)
    assert harness.ended == [bob.session_id]
    assert await harness.live("Bob") == set()


async def test_an_account_from_a_provider_signs_out_without_being_asked() -> None:
    """No password, but no guest: it comes back through its provider, so nothing is lost."""
    harness = Harness()
    signed = await harness.accounts.sign_in_external("corp", "user-1", "Carol")
    carol = await harness.auth_of(signed.token)
    assert not carol.account.has_password
    harness.join(carol)
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT])
    assert harness.dialog() is None
    assert harness.ended == [carol.session_id]
    assert await harness.live("Carol") == set()


async def test_a_sign_out_the_store_refuses_says_so_and_stays_signed_in() -> None:
    harness = Harness()
    harness.join(await harness.sign_up())

    async def away(*_args: object, **_kwargs: object) -> list[int]:
        raise ConnectionError("database unreachable")

    harness.store.end_sessions = away  # type: ignore[method-assign]
    await harness.click(harness.menu_items[keys.ACCOUNT_SIGN_OUT])
    assert harness.ended == []
    assert harness.snacks() == [SIGN_OUT_FAILED]


async def test_changing_the_password_signs_out_the_other_devices() -> None:
    harness = Harness()
    phone = await harness.sign_up()
    here = await harness.auth_of((await harness.accounts.sign_in("Alice", PASSWORD)).token)
    harness.join(here)
    await harness.click(harness.menu_items[keys.ACCOUNT_PASSWORD])
    dialog = harness.dialog()
    assert isinstance(dialog, PasswordDialog)
    assert not dialog.choose
    assert dialog.current_input.visible

    def errors() -> dict[str, str]:
        fields = {
            "current": dialog.current_input,
            "new": dialog.new_input,
            "repeat": dialog.repeat_input,
        }
        return {which: f.error for which, f in fields.items() if f.error}

    cases = [
        (("", NEW_PASSWORD, NEW_PASSWORD), {"current": ENTER_PASSWORD}),
        ((PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!"), {"repeat": PASSWORDS_DIFFER}),
        (("not my password at all", NEW_PASSWORD, NEW_PASSWORD), {"current": WRONG_PASSWORD}),
        ((PASSWORD, "password123", "password123"), {"new": TOO_COMMON}),
    ]
    for (current, new, repeat), expected in cases:
        dialog.current_input.value, dialog.new_input.value = current, new
        dialog.repeat_input.value = repeat
        await harness.press(dialog.save_button)
        assert errors() == expected
        assert harness.dialog() is dialog  # still open
    assert await harness.live("Alice") == {phone.session_id, here.session_id}

    dialog.current_input.value = PASSWORD
    dialog.new_input.value = dialog.repeat_input.value = NEW_PASSWORD
    await harness.press(dialog.save_button)
    assert harness.screen.closed == [dialog.dialog]
    assert (dialog.current_input.value, dialog.new_input.value) == ("", "")
    assert harness.snacks() == [PASSWORD_CHANGED]
    assert await harness.live("Alice") == {here.session_id}  # the phone was signed out
    assert harness.ended == []  # this one was not
    assert await harness.accounts.sign_in("Alice", NEW_PASSWORD)


async def test_a_guest_chooses_a_password_and_keeps_the_name() -> None:
    harness = Harness()
    bob = await harness.guest()
    harness.join(bob)
    await harness.click(harness.menu_items[keys.ACCOUNT_PASSWORD])
    dialog = harness.dialog()
    assert isinstance(dialog, PasswordDialog)
    assert dialog.choose
    assert not dialog.current_input.visible
    dialog.new_input.value = dialog.repeat_input.value = NEW_PASSWORD
    await harness.press(dialog.save_button)
    assert [a.kind for a in harness.changed] == [AccountKind.MEMBER]
    assert harness.snacks() == [PASSWORD_CHOSEN]
    menu = harness.session.menu
    assert menu is not None
    assert not shows_guest_mark(menu)
    assert offers_everywhere(menu)
    assert menu.password_item.content == CHANGE_PASSWORD
    assert await harness.live("Bob") == {bob.session_id}  # still signed in here
    signed = await harness.accounts.sign_in("Bob", NEW_PASSWORD)  # and now anywhere
    assert signed.account.user_name == "Bob"
