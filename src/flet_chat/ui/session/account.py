"""The account menu's actions: sign out here or everywhere, a new password (or a guest's first
one, which makes them a member under the same name), and the profile.

Signing out does not wait for the bus: the session that asked goes back to the dialog at once
(`ended`), and every other connection of the ended sessions hears it from SessionWatch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import flet as ft

from flet_chat.core.accounts.models import Account, Authenticated
from flet_chat.core.errors import ChatError
from flet_chat.core.rate_limit import Origin
from flet_chat.ui import keys
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.account_menu import AccountMenu
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.password_dialog import PasswordDialog, SignOutGuestDialog

logger = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]

SIGN_OUT_FAILED = "Could not sign out right now. Try again."
SAVE_FAILED = "Could not save the password right now. Try again."
PASSWORD_CHANGED = "Password changed. Your other devices were signed out."
PASSWORD_CHOSEN = "Password saved: sign in with it on any device."


class AccountActions(Protocol):
    """What the menu asks of AccountService."""

    async def sign_out(self, auth: Authenticated) -> None: ...

    async def sign_out_everywhere(self, auth: Authenticated) -> None: ...

    async def change_password(
        self, auth: Authenticated, current: object, new: object, *, origin: Origin | None = ...
    ) -> None: ...

    async def become_member(
        self, auth: Authenticated, password: object, *, origin: Origin | None = ...
    ) -> Account: ...


class AccountSession:
    def __init__(
        self,
        *,
        accounts: AccountActions,
        view: ChatView,
        screen: Screen,
        auth: Callable[[], Authenticated | None],
        ended: Callable[[int], Awaitable[None]],
        account_changed: Callable[[Account], None],
        origin: Origin | None,
        on_profile: Handler,
    ) -> None:
        """`auth` is the session's account session now; `ended(session_id)` takes the session
        back to the dialog; `account_changed` hears a guest become a member."""
        self._accounts = accounts
        self._view = view
        self._screen = screen
        self._auth = auth
        self._ended = ended
        self._account_changed = account_changed
        self._origin = origin
        self.on_profile = on_profile
        self.menu: AccountMenu | None = None  # made when someone first joins here
        self._dialog: PasswordDialog | SignOutGuestDialog | None = None
        self._busy = False  # a click while the first one is with the server

    @property
    def dialog(self) -> PasswordDialog | SignOutGuestDialog | None:
        """The menu's dialog open now, if any."""
        return self._dialog

    # -- the menu -------------------------------------------------------------------------------

    def show(self) -> None:
        """Someone joined (or their account changed): show them in the header."""
        auth = self._auth()
        if auth is None:
            return
        if self.menu is None:
            self.menu = AccountMenu(
                on_profile=self._profile,
                on_password=self._open_password,
                on_sign_out=self._sign_out,
                on_sign_out_everywhere=self._sign_out_everywhere,
            )
        self.menu.show(auth.account)
        self._screen.refresh(*self._view.show_account_menu(self.menu.button))

    def hide(self) -> None:
        """Signed out: no menu, and no dialog of it left open."""
        self._close_dialog()
        self._screen.refresh(*self._view.hide_account_menu())

    async def _profile(self, event: Any) -> None:
        await self.on_profile(event)

    # -- signing out ----------------------------------------------------------------------------

    async def _sign_out(self, _event: Any) -> None:
        auth = self._auth()
        if auth is None:
            return
        # A guest: say what they would lose first. (An account from a provider has no
        # password either, but comes back through the provider.)
        if auth.account.is_guest:
            dialog = SignOutGuestDialog(
                auth.account.user_name, on_confirm=self._confirmed, on_cancel=self._cancel
            )
            self._open(dialog)
            return
        await self._end(self._accounts.sign_out)

    async def _confirmed(self, _event: Any) -> None:
        self._close_dialog()
        await self._end(self._accounts.sign_out)

    async def _sign_out_everywhere(self, _event: Any) -> None:
        await self._end(self._accounts.sign_out_everywhere)

    async def _end(self, end: Callable[[Authenticated], Awaitable[None]]) -> None:
        auth = self._auth()
        if auth is None or self._busy:
            return
        self._busy = True
        try:
            await end(auth)
        except Exception as error:
            logger.warning("could not sign out: %r", error)
            self.notify(SIGN_OUT_FAILED)
            return
        finally:
            self._busy = False
        await self._ended(auth.session_id)

    # -- passwords ------------------------------------------------------------------------------

    async def _open_password(self, _event: Any) -> None:
        auth = self._auth()
        if auth is None:
            return
        choose = not auth.account.has_password
        self._open(PasswordDialog(choose=choose, on_save=self._save, on_cancel=self._cancel))

    async def _save(self, _event: Any) -> None:
        dialog, auth = self._dialog, self._auth()
        if not isinstance(dialog, PasswordDialog) or auth is None or self._busy:
            return
        form = dialog.form()
        problem = form.problem()
        if problem is not None:
            field, message = problem
            return self._screen.refresh(*dialog.refuse(message, at=field))
        self._busy = True
        account: Account | None = None
        try:
            if form.choose:
                account = await self._accounts.become_member(auth, form.new, origin=self._origin)
            else:
                await self._accounts.change_password(
                    auth, form.current, form.new, origin=self._origin
                )
        except ChatError as error:
            return self._screen.refresh(*dialog.refuse(str(error)))
        except Exception:
            logger.exception("could not save a password")
            return self._screen.refresh(*dialog.refuse(SAVE_FAILED))
        finally:
            self._busy = False
        dialog.clear_secrets()
        self._close_dialog()
        if account is not None:
            self._account_changed(account)
            self.show()  # no "guest" mark any more
        self.notify(PASSWORD_CHOSEN if form.choose else PASSWORD_CHANGED)

    async def _cancel(self, _event: Any) -> None:
        self._close_dialog()

    # -- dialogs --------------------------------------------------------------------------------

    def _open(self, dialog: PasswordDialog | SignOutGuestDialog) -> None:
        self._close_dialog()
        self._dialog = dialog
        self._screen.show_dialog(dialog.dialog)

    def _close_dialog(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is None:
            return
        if isinstance(dialog, PasswordDialog):
            dialog.clear_secrets()
        self._screen.close_dialog(dialog.dialog)

    def notify(self, text: str) -> None:
        self._screen.show_dialog(ft.SnackBar(ft.Text(text, key=keys.ACCOUNT_SNACK)))
