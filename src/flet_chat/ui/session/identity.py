"""Who is in this session: the identity restored from client storage or the name typed in the
join dialog, and going online and offline.

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

from flet_chat.core.errors import ChatError
from flet_chat.core.models import Message
from flet_chat.core.rate_limit import Origin
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.join_dialog import JoinDialog

logger = logging.getLogger(__name__)

# Client storage (localStorage in a browser) holds a signed token naming the user, so a new
# session (a new tab, or a reconnect that reached another process or machine) is the same user.
IDENTITY_STORAGE_KEY = "flet_chat.identity"
CLIENT_STORAGE_TIMEOUT = 5.0


class Presence(Protocol):
    """The joins and leaves of ChatService."""

    async def join(
        self, raw_name: str, session_key: str, *, proven: bool = ..., origin: Origin | None = ...
    ) -> tuple[str, Message | None]: ...

    async def leave(self, user_name: str, session_key: str) -> Message | None: ...


class Tokens(Protocol):
    """IdentityService: signed tokens that name a user."""

    def issue(self, user_name: str) -> str: ...

    def verify(self, token: object) -> str | None: ...


class Storage(Protocol):
    """Client storage (ft.SharedPreferences)."""

    async def get(self, key: str) -> object: ...

    async def set(self, key: str, value: str) -> bool: ...


class SessionIdentity:
    def __init__(
        self,
        *,
        chat: Presence,
        tokens: Tokens,
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
        self._tokens = tokens
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
        self._storage: Storage | None = None
        self._restore_task: asyncio.Task[None] | None = None
        self._verified_name: str | None = None  # the name this browser's identity token proves
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
        name = None
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                storage = self._storage
                token = await storage.get(IDENTITY_STORAGE_KEY) if storage else None
            name = self._tokens.verify(token)
        except (TimeoutError, RuntimeError) as error:  # no answer, or the tab already closed
            logger.info("client storage unavailable, asking for a name: %r", error)
        if name is not None:
            self._verified_name = name
            # A returning browser with a valid token costs its connection's join budget, not
            # its address's: an office behind one address opening the chat at nine is no flood.
            origin = Origin(None, self._origin.connection) if self._origin else None
            try:
                await self._go_online(name, proven=True, origin=origin)
            except ChatError as error:  # refused (a rate limit, a name now a bot's): say why
                logger.warning("could not restore %s: %s; asking for a name", name, error)
                self._dialog.name_input.error = str(error)  # shown with the dialog, just below
            except Exception:
                logger.exception("could not restore %s; asking for a name", name)
            else:
                if self._online:
                    self._joined()
                    # A fresh token: the name stays this browser's as long as it keeps visiting.
                    self._background(self._remember(name))
                    return
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self._screen.show_dialog(self._dialog.dialog)

    async def _remember(self, name: str) -> None:
        if self._storage is None:
            return
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                await self._storage.set(IDENTITY_STORAGE_KEY, self._tokens.issue(name))
        except (TimeoutError, RuntimeError) as error:
            logger.info("could not keep the identity in client storage: %r", error)

    async def join(self, _event: object) -> None:
        """The join dialog's button."""
        if self.user_name is not None or self._joining:
            return
        typed = self._dialog.name_input.value or ""
        # This browser's token names this user (a restore that failed for a moment, say).
        verified = self._verified_name
        proven = verified is not None and typed.strip().casefold() == verified.casefold()
        try:
            await self._go_online(
                verified if proven and verified else typed, proven=proven, origin=self._origin
            )
        except ChatError as error:
            self._dialog.show_error(str(error))
            return
        except Exception:
            logger.exception("join failed")
            self._dialog.show_error("Could not join right now. Try again.")
            return
        if self.user_name is None or self._closed:
            return  # the tab closed before the join
        self._screen.pop_dialog()
        await self._focus_composer()
        if self._closed:
            return  # closed while the composer took the focus: go_offline has run
        self._joined()
        await self._remember(self.user_name)

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
                await self._go_online(self.user_name, proven=True)
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

    async def _go_online(self, name: str, *, proven: bool, origin: Origin | None = None) -> None:
        """The session's one way into presence. The join runs in a task of its own that nothing
        cancels (a closing session cancels the restore task awaiting it): stopped half-way it
        could leave the session online with nobody to take it back. A join the user asked for
        passes the `origin` whose join budgets it costs; coming back after a reconnect does not."""
        self._joining = True
        self._join_task = asyncio.create_task(self._join_and_settle(name, proven, origin))
        await asyncio.shield(self._join_task)

    async def _join_and_settle(self, name: str, proven: bool, origin: Origin | None) -> None:
        try:
            async with self._presence_lock:
                if self._closed:
                    return
                self.user_name, _ = await self._chat.join(
                    name, self._session_key, proven=proven, origin=origin
                )
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
