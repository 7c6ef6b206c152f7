"""Who is in this session: the account whose session token client storage holds, or the name
typed in the join dialog (a guest), and going online and offline.

Presence: every way in (a typed name, a restored identity, a return after being announced gone)
goes through `_go_online` and every way out through `go_offline`; they take turns on one lock,
and a join that ends after the tab dropped or closed is followed by the leave that drop or close
would have made (see `_join_and_settle`). That ordering is what keeps ghost users out
(tests/integration/test_ghosts.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from flet_chat.core.accounts.models import Authenticated, SessionKind, SignedIn
from flet_chat.core.errors import ChatError
from flet_chat.core.models import Message
from flet_chat.core.rate_limit import Origin
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.join_dialog import JoinDialog

logger = logging.getLogger(__name__)

# Client storage (localStorage in a browser) holds the account's session token, so a new Flet
# session (a new tab, or a reconnect that reached another process or machine) is the same user.
# (Before accounts it held a signed name; such a token is redeemed once for a session.)
IDENTITY_STORAGE_KEY = "flet_chat.identity"
CLIENT_STORAGE_TIMEOUT = 5.0


class Presence(Protocol):
    """The joins and leaves of ChatService."""

    async def join(
        self, user_name: str, session_key: str, *, origin: Origin | None = ...
    ) -> tuple[str, Message | None]: ...

    async def leave(self, user_name: str, session_key: str) -> Message | None: ...


class Accounts(Protocol):
    """What a session asks of AccountService."""

    async def guest(
        self, raw_name: str, *, origin: Origin | None = ..., kind: SessionKind = ...
    ) -> SignedIn: ...

    async def undo_guest(self, signed: SignedIn) -> None: ...

    async def authenticate(self, token: object) -> Authenticated | None: ...

    async def redeem_legacy_token(self, token: object, kind: SessionKind) -> SignedIn | None: ...


class Storage(Protocol):
    """Client storage (ft.SharedPreferences)."""

    async def get(self, key: str) -> object: ...

    async def set(self, key: str, value: str) -> bool: ...


class SessionIdentity:
    def __init__(
        self,
        *,
        chat: Presence,
        accounts: Accounts,
        session_key: str,
        origin: Origin | None,
        leave_grace_seconds: float,
        join_dialog: JoinDialog,
        screen: Screen,
        focus_composer: Callable[[], Awaitable[None]],
        connection_changed: Callable[[bool], Awaitable[None]],
        joined: Callable[[], None],
        background: Callable[[Awaitable[None]], None],
    ) -> None:
        """`joined` is called once the user is known (to hear their rooms); `connection_changed`
        tells the member list a joined tab dropped or came back."""
        self._chat = chat
        self._accounts = accounts
        self._session_key = session_key
        self._origin = origin
        self._leave_grace_seconds = leave_grace_seconds
        self._dialog = join_dialog
        self._screen = screen
        self._focus_composer = focus_composer
        self._connection_changed = connection_changed
        self._joined = joined
        self._background = background
        self.user_name: str | None = None
        # The account session this browser is signed in with (its token is in client storage).
        self.auth: Authenticated | None = None
        self._storage: Storage | None = None
        self._restore_task: asyncio.Task[None] | None = None
        self._presence_lock = asyncio.Lock()
        self._joining = False  # a join is in flight
        self._join_task: asyncio.Task[None] | None = None
        self._online = False  # joined and not (yet) announced gone
        self._connected = True
        self._closed = False
        self._leave_task: asyncio.Task[None] | None = None

    # -- who: restored or typed -----------------------------------------------------------------

    def start(self, storage: Storage | None) -> None:
        """Read the stored identity in the background (or ask for a name)."""
        self._storage = storage
        self._restore_task = asyncio.create_task(self._restore_or_ask_name())

    async def restored(self) -> None:
        """Wait (a little) for a stored identity still being read."""
        restoring = self._restore_task
        if self.user_name is None and restoring is not None and not restoring.done():
            await asyncio.wait([restoring], timeout=CLIENT_STORAGE_TIMEOUT + 5)

    async def _restore_or_ask_name(self) -> None:
        auth = None
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                storage = self._storage
                token = await storage.get(IDENTITY_STORAGE_KEY) if storage else None
            auth = await self._signed_in_with(token)
        except (TimeoutError, RuntimeError) as error:  # no answer, or the tab already closed
            logger.info("client storage unavailable, asking for a name: %r", error)
        if auth is not None:
            self.auth = auth
            name = auth.account.user_name
            # A returning browser with a valid token costs its connection's join budget, not
            # its address's: an office behind one address opening the chat at nine is no flood.
            origin = Origin(None, self._origin.connection) if self._origin else None
            try:
                await self._go_online(name, origin=origin)
            except ChatError as error:  # refused (a rate limit): say why
                logger.warning("could not restore a session: %s; asking for a name", error)
                self._dialog.name_input.error = str(error)  # shown with the dialog, just below
            except Exception:
                logger.exception("could not restore a session; asking for a name")
            else:
                if self._online:
                    self._joined()
                    return
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self._screen.show_dialog(self._dialog.dialog)

    async def _signed_in_with(self, token: object) -> Authenticated | None:
        """The session a stored token proves; a signed name from before accounts is swapped
        for a session token of its own."""
        auth = await self._accounts.authenticate(token)
        if auth is not None:
            return auth
        legacy = await self._accounts.redeem_legacy_token(token, SessionKind.BROWSER)
        if legacy is None:
            return None
        await self._remember(legacy.token)
        return Authenticated(legacy.account, legacy.session_id, SessionKind.BROWSER)

    async def _remember(self, token: str | None) -> None:
        """Keep the session token in client storage (None: forget it, signed out)."""
        if self._storage is None:
            return
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                await self._storage.set(IDENTITY_STORAGE_KEY, token or "")
        except (TimeoutError, RuntimeError) as error:
            logger.info("could not keep the session in client storage: %r", error)

    async def join(self, _event: object) -> None:
        """The join dialog's button: join as a guest under the typed name (or, if this browser
        is signed in already but its restore failed a moment ago, as that account)."""
        if self.user_name is not None or self._joining:
            return
        typed = self._dialog.name_input.value or ""
        auth = self.auth
        new_guest: SignedIn | None = None
        try:
            if auth is None or typed.strip().casefold() != auth.account.user_name.casefold():
                new_guest = await self._accounts.guest(typed, origin=self._origin)
                auth = Authenticated(new_guest.account, new_guest.session_id, SessionKind.BROWSER)
            await self._go_online(
                auth.account.user_name, origin=None if new_guest else self._origin
            )
        except ChatError as error:
            if new_guest is not None:
                await self._accounts.undo_guest(new_guest)
            self._dialog.show_error(str(error))
            return
        except Exception:
            if new_guest is not None:
                await self._accounts.undo_guest(new_guest)
            logger.exception("join failed")
            self._dialog.show_error("Could not join right now. Try again.")
            return
        if self.user_name is None or self._closed:
            return  # the tab closed before the join
        self.auth = auth
        if new_guest is not None:
            await self._remember(new_guest.token)
        self._screen.pop_dialog()
        await self._focus_composer()
        if self._closed:
            return  # closed while the composer took the focus: go_offline has run
        self._joined()

    # -- the page's lifecycle -------------------------------------------------------------------

    async def disconnected(self) -> bool:
        """The tab dropped; returns whether the session is worth keeping for a reconnect."""
        self._connected = False
        if self.user_name is None and not self._joining:
            # Nobody joined here: nothing worth resuming, so the caller frees it now.
            self._closed = True  # a restore that read its token just now must not join
            return False
        # A join in flight sees the drop when it ends (_join_and_settle) and does what follows.
        if self._online:
            await self._went_away()
        return True

    async def reconnected(self) -> None:
        self._connected = True
        self._cancel_leave_timer()
        if self.user_name is not None and not self._online and not self._joining:
            try:  # announced gone (or being announced): back again
                await self._go_online(self.user_name)
            except Exception as error:
                logger.warning("could not rejoin %s: %r", self.user_name, error)
        else:
            await self._connection_changed(True)

    def closing(self) -> None:
        """The session closes: no restore, no pending leave timer (`go_offline` follows)."""
        self._closed = True
        self._cancel_leave_timer()
        if self._restore_task is not None:
            self._restore_task.cancel()

    async def _went_away(self) -> None:
        """The tab of a joined session dropped. A reload reconnects to the same session within a
        second or two: only a user who stays away for the grace period is announced as gone,
        but the member list drops them at once."""
        if self._leave_task is None:
            self._leave_task = asyncio.create_task(self._leave_after_grace())
        await self._connection_changed(False)

    async def _leave_after_grace(self) -> None:
        await asyncio.sleep(self._leave_grace_seconds)
        self._leave_task = None  # from here on a reconnect waits for the leave, then rejoins
        await self.go_offline()

    def _cancel_leave_timer(self) -> None:
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None

    # -- presence: one way in, one way out ------------------------------------------------------

    async def _go_online(self, name: str, *, origin: Origin | None = None) -> None:
        """The session's one way into presence. The join runs in a task of its own that nothing
        cancels (a closing session cancels the restore task awaiting it): stopped half-way it
        could leave the session online with nobody to take it back. A join the user asked for
        passes the `origin` whose join budgets it costs; coming back after a reconnect does not."""
        self._joining = True
        self._join_task = asyncio.create_task(self._join_and_settle(name, origin))
        await asyncio.shield(self._join_task)

    async def _join_and_settle(self, name: str, origin: Origin | None) -> None:
        try:
            async with self._presence_lock:
                if self._closed:
                    return
                self.user_name, _ = await self._chat.join(name, self._session_key, origin=origin)
                self._online = True
        finally:
            self._joining = False
        # The tab may have gone while the join ran; its disconnect or close found no one joined.
        if self._closed:
            await self.go_offline()
        elif not self._connected:
            await self._went_away()

    async def go_offline(self) -> None:
        """The session's one way out of presence: after any join in flight, at most once per
        join."""
        async with self._presence_lock:
            name = self.user_name
            if name is None or not self._online:
                return
            self._online = False
            try:
                await self._chat.leave(name, self._session_key)
            except Exception:
                logger.exception("could not record that %s left", name)
