"""Who is in this session: the account whose session token client storage holds, or the one
the join dialog signed in, signed up or made for a guest, or a provider's sign-in opened
(`join_signed_in`); going online and offline; and going back to the dialog when that account
session ends.

Presence: every way in (a form, a restored identity, a return after being announced gone)
goes through `_go_online` and every way out through `go_offline`; they take turns on one lock,
and a join that ends after the tab dropped or closed is followed by the leave that drop or close
would have made (see `_join_and_settle`). That ordering is what keeps ghost users out
(tests/integration/test_ghosts.py).

The account session is watched (`services.session_watch`) from the moment this session holds
it: signed out here, in another tab or device, everywhere, or by a new password elsewhere, the
session goes offline, forgets the stored token and shows the dialog again (`session_ended`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from flet_chat.core.accounts.models import Account, Authenticated, SessionKind, SignedIn
from flet_chat.core.accounts.service import SIGNED_OUT
from flet_chat.core.errors import ChatError, RateLimitedError
from flet_chat.core.models import Message
from flet_chat.core.rate_limit import Origin
from flet_chat.retry import with_backoff
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.join_dialog import Form, JoinDialog, Mode

logger = logging.getLogger(__name__)

# Client storage (localStorage in a browser) holds the account's session token, so a new Flet
# session (a new tab, or a reconnect that reached another process or machine) is the same user.
# (Before accounts it held a signed name; such a token is redeemed once for a session.)
IDENTITY_STORAGE_KEY = "flet_chat.identity"
CLIENT_STORAGE_TIMEOUT = 5.0
# A stored session the store could not check is checked again after these waits (about a
# minute in all: a restarted server's crowd of returning tabs can keep the store busy that long).
CHECK_AGAIN_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class _MovedOn(Exception):
    """The user joined another way, or closed the tab, while their stored session waited."""


JOIN_FAILED = "Could not join right now. Try again."


class Presence(Protocol):
    """The joins and leaves of ChatService."""

    async def join(
        self,
        user_name: str,
        session_key: str,
        *,
        origin: Origin | None = ...,
        returning: bool = ...,
    ) -> tuple[str, Message | None]: ...

    async def leave(self, user_name: str, session_key: str) -> Message | None: ...


class Accounts(Protocol):
    """What a session asks of AccountService."""

    async def guest(
        self, raw_name: str, *, origin: Origin | None = ..., kind: SessionKind = ...
    ) -> SignedIn: ...

    async def sign_in(
        self,
        raw_name: object,
        password: object,
        *,
        origin: Origin | None = ...,
        kind: SessionKind = ...,
    ) -> SignedIn: ...

    async def sign_up(
        self,
        raw_name: str,
        password: object,
        *,
        origin: Origin | None = ...,
        kind: SessionKind = ...,
    ) -> SignedIn: ...

    async def undo_guest(self, signed: SignedIn) -> None: ...

    async def sign_out(self, auth: Authenticated) -> None: ...

    async def authenticate(self, token: object) -> Authenticated | None: ...

    async def redeem_legacy_token(self, token: object, kind: SessionKind) -> SignedIn | None: ...

    async def still_signed_in(self, session_ids: Sequence[int]) -> set[int]: ...

    async def ended_reason(self, name: str) -> str: ...


class Watch(Protocol):
    """SessionWatch.watch: `ended` is awaited once when the session ends; returns a stop."""

    def __call__(
        self, session_id: int, ended: Callable[[], Awaitable[None]]
    ) -> Callable[[], None]: ...


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
        watch: Watch,
        session_key: str,
        origin: Origin | None,
        leave_grace_seconds: float,
        join_dialog: Callable[[], JoinDialog],
        screen: Screen,
        focus_composer: Callable[[], Awaitable[None]],
        connection_changed: Callable[[bool], Awaitable[None]],
        joined: Callable[[], None],
        signed_out: Callable[[], Awaitable[None]],
        background: Callable[[Awaitable[None]], None],
        adopted: Callable[[Account], None] | None = None,
        came_back: bool = False,
        check_delays: Sequence[float] = CHECK_AGAIN_DELAYS,
    ) -> None:
        """`joined` is called once the user is known (to hear their rooms, show the account
        menu); `signed_out` once their account session ended (to forget what the screen shows
        of them); `connection_changed` tells the member list a joined tab dropped or came
        back; `adopted` hears the account of each session this tab holds from then on (what
        the process learns of it without asking the store again)."""
        self._chat = chat
        self._accounts = accounts
        self._watch = watch
        self._session_key = session_key
        self._origin = origin
        self._leave_grace_seconds = leave_grace_seconds
        # The dialog is made when it is shown and let go once the user is in: its controls
        # are about 10 KB a session, for nothing while the session is joined.
        self._make_dialog = join_dialog
        self._made_dialog: JoinDialog | None = None
        self._screen = screen
        self._focus_composer = focus_composer
        self._connection_changed = connection_changed
        self._joined = joined
        self._signed_out = signed_out
        self._background = background
        self._adopted = adopted
        # The tab reloaded after its connection dropped (web_client/connection_banner.py): its
        # restore is a return, not an arrival (no join notice right after a restart).
        self._came_back = came_back
        self.user_name: str | None = None
        # The account session this browser is signed in with (its token is in client storage).
        self.auth: Authenticated | None = None
        self._stop_watching: Callable[[], None] | None = None
        # A new account's token whose join failed: kept for the retry (`_abandon`).
        self._unsaved_token: str | None = None
        self._storage: Storage | None = None
        self._restore_task: asyncio.Task[None] | None = None
        # A stored token the store could not check (away, or too busy: a crowd reconnecting
        # after a restart): checked again behind the dialog (`_check_again`).
        self._unchecked_token: object = None
        self._check_delays = check_delays
        self._check_task: asyncio.Task[None] | None = None
        self._presence_lock = asyncio.Lock()
        self._signing = False  # the dialog's form is with the account service
        self._joining = False  # a join is in flight
        self._join_task: asyncio.Task[None] | None = None
        self._online = False  # joined and not (yet) announced gone
        self._connected = True
        self._closed = False
        self._leave_task: asyncio.Task[None] | None = None

    @property
    def _dialog(self) -> JoinDialog:
        if self._made_dialog is None:
            self._made_dialog = self._make_dialog()
        return self._made_dialog

    # -- who: restored or from the dialog -------------------------------------------------------

    def start(self, storage: Storage | None) -> None:
        """Read the stored identity in the background (or show the dialog)."""
        self._storage = storage
        self._restore_task = asyncio.create_task(self._restore_or_ask())

    async def restored(self) -> None:
        """Wait (a little) for a stored identity still being read."""
        restoring = self._restore_task
        if self.user_name is None and restoring is not None and not restoring.done():
            await asyncio.wait([restoring], timeout=CLIENT_STORAGE_TIMEOUT + 5)

    async def _restore_or_ask(self) -> None:
        try:
            joined = await self._restore()
        finally:
            self._signing = False
        if joined:
            self._joined()
        elif not self._closed:
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                self._screen.show_dialog(self._dialog.dialog)
            token, self._unchecked_token = self._unchecked_token, None
            if token is not None:  # a task of its own: `restored()` waits for the first look only
                self._check_task = asyncio.create_task(self._check_again(token))

    async def _check_again(self, token: object) -> None:
        """The store could not check this browser's stored session: the dialog is up (never a
        tab with neither), and the session is checked again meanwhile. If it is still good
        before the user joins another way, they are let in as if nothing had happened: a
        restart's crowd of returning tabs must not lose who they are to a busy store."""

        def moved_on() -> bool:
            return self.user_name is not None or self._closed or self._signing or self._joining

        async def attempt(_number: int) -> Authenticated | None:
            if moved_on():
                raise _MovedOn
            return await self._signed_in_with(token)

        try:
            auth = await with_backoff(attempt, steps=self._check_delays, fatal=(_MovedOn,))
        except Exception as error:  # still away after the retries, or the user moved on
            logger.info("gave up checking the stored session again: %r", error)
            return
        if auth is None or moved_on():
            return  # the token is no good (the dialog is the answer), or the user went on
        self._signing = True
        try:
            self._adopt(auth)
            origin = Origin(None, self._origin.connection) if self._origin else None
            await self._go_online(auth.account.user_name, origin=origin, returning=self._came_back)
        except Exception as error:  # the dialog stays: the user can still join from it
            logger.warning("could not restore a session checked again: %r", error)
            return
        finally:
            self._signing = False
        if self.user_name is not None and not self._closed:
            await self._enter()

    async def _restore(self) -> bool:
        """Join as the session the stored token proves; False: show the dialog instead."""
        auth = token = None
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                storage = self._storage
                token = await storage.get(IDENTITY_STORAGE_KEY) if storage else None
        except (TimeoutError, RuntimeError) as error:  # no answer, or the tab already closed
            logger.info("client storage unavailable, showing the join dialog: %r", error)
            return False
        if token and not self._closed:
            # Someone is coming back: from here a drop leaves the restore in flight, as a
            # join (see `disconnected`); a tab with no token is freed at once.
            self._signing = True
        try:
            auth = await self._signed_in_with(token)
        except Exception:  # the store away: the dialog, never a tab left with neither
            logger.exception("could not check the stored session; showing the join dialog")
            self._unchecked_token = token
        if auth is None or self._closed:
            return False
        self._adopt(auth)
        name = auth.account.user_name
        # A returning browser with a valid token costs its connection's join budget, not its
        # address's: an office behind one address opening the chat at nine is no flood.
        origin = Origin(None, self._origin.connection) if self._origin else None
        try:
            await self._go_online(name, origin=origin, returning=self._came_back)
        except ChatError as error:  # refused (a rate limit): say why
            logger.warning("could not restore a session: %s; showing the dialog", error)
            self._dialog.name_input.value = name
            self._dialog.refuse(str(error), rate_limited=True)  # shown with the dialog
            return False
        except Exception:
            logger.exception("could not restore a session; showing the dialog")
            return False
        # Joined, even if the tab has dropped since (a reconnect within the grace resumes it).
        return self.user_name is not None and not self._closed

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
        """The dialog's button (or Enter): join as a guest, sign in or sign up, by its tab."""
        if self.user_name is not None or self._joining or self._signing:
            return  # joined already, or a click while the first one is on its way
        form = self._dialog.form()
        problem = form.problem()
        if problem is not None:
            field, message = problem
            return self._screen.refresh(*self._dialog.refuse(message, at=field))
        self._signing = True
        try:
            await self._sign_and_join(form)
        finally:
            self._signing = False

    async def join_signed_in(self, signed: SignedIn) -> None:
        """A session a provider's sign-in opened (ExternalSignIn): online with it, as after a
        password sign-in. One that comes back after this tab joined another way, or closed, is
        signed out again: nobody would ever hold its token."""
        if self.user_name is not None or self._joining or self._signing or self._closed:
            await self._abandon(signed, None)
            return
        self._signing = True
        try:
            await self._sign_and_join(signed)
        finally:
            self._signing = False

    async def external_failed(self, message: str) -> None:
        """A provider's sign-in did not work: say why under the provider buttons."""
        if self.user_name is not None or self._closed:
            return  # in already (another way), or gone: nobody is looking at the dialog
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self._screen.refresh(*self._dialog.refuse_external(message))

    async def _sign_and_join(self, source: Form | SignedIn) -> None:
        """Join with the dialog's form (a guest, signing in or up) or with a session opened
        already (a provider's sign-in)."""
        form = source if isinstance(source, Form) else None
        signed: SignedIn | None = source if isinstance(source, SignedIn) else None
        try:
            auth = await self._reusable(form) if form is not None else None
            if auth is None:
                if form is not None:
                    signed = await self._open_session(form)
                auth = self._adopt_new(signed)
            # A new session paid for this attempt at the account service; a reused one pays
            # for its join here.
            await self._go_online(auth.account.user_name, origin=None if signed else self._origin)
        except ChatError as error:
            await self._abandon(signed, form)
            rate_limited = isinstance(error, RateLimitedError)
            return self._refuse(form, str(error), rate_limited=rate_limited)
        except Exception:
            await self._abandon(signed, form)
            logger.exception("join failed")
            return self._refuse(form, JOIN_FAILED, rate_limited=True)
        if self.user_name is None or self._closed:
            if self._closed:  # nobody will ever hold this token: a guest's name is free again
                await self._abandon(signed, None)
            return  # the tab closed before the join, or the session ended meanwhile
        token = signed.token if signed is not None else self._unsaved_token
        self._unsaved_token = None
        if token is not None:
            await self._remember(token)
        await self._enter()

    async def _enter(self) -> None:
        """Joined from the dialog: close it and take the user to the composer."""
        self._dialog.joined()
        self._screen.pop_dialog()
        self._made_dialog = None  # the page lets it go once the client says it is dismissed
        await self._focus_composer()
        if self._closed:
            return  # closed while the composer took the focus: go_offline has run
        self._joined()

    def _refuse(self, form: Form | None, message: str, *, rate_limited: bool) -> None:
        """Say why a join failed: under the form's field, or under the provider buttons."""
        if form is None:
            return self._screen.refresh(*self._dialog.refuse_external(message))
        return self._screen.refresh(*self._dialog.refuse(message, rate_limited=rate_limited))

    async def _reusable(self, form: Form) -> Authenticated | None:
        """This browser's session, when a restore (or a sign-up) made it but could not go
        online (a rate limit, the store away) and the same name is typed again: no new
        session, no password needed."""
        auth = self.auth
        if auth is None or form.name.strip().casefold() != auth.account.user_name.casefold():
            return None
        if auth.session_id not in await self._accounts.still_signed_in([auth.session_id]):
            return None
        return auth

    async def _open_session(self, form: Form) -> SignedIn:
        accounts, origin = self._accounts, self._origin
        if form.mode is Mode.SIGN_IN:
            return await accounts.sign_in(form.name, form.password, origin=origin)
        if form.mode is Mode.SIGN_UP:
            return await accounts.sign_up(form.name, form.password, origin=origin)
        return await accounts.guest(form.name, origin=origin)

    async def _abandon(self, signed: SignedIn | None, form: Form | None) -> None:
        """A session opened for a join that then failed: a guest gives the name back, a
        sign-in's new session ends. Nothing is left half-joined. A new account stays, and so
        does its session while the dialog is open: "Create account" again (the name is taken
        now, by them) joins with it (`_reusable`)."""
        if signed is None:
            return
        if form is not None and form.mode is Mode.SIGN_UP and not self._closed:
            self._unsaved_token = signed.token  # stored once a retry joins with it
            return
        self._forget_auth(signed.session_id)
        try:
            if signed.account.is_guest:
                await self._accounts.undo_guest(signed)
            else:
                auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
                await self._accounts.sign_out(auth)
        except Exception:
            logger.exception("could not undo a session opened for a failed join")

    # -- the account session ------------------------------------------------------------------

    def _adopt(self, auth: Authenticated) -> None:
        """This session holds `auth` from now on: hear when it ends."""
        self._forget_auth(None)
        self.auth = auth
        if self._adopted is not None:
            self._adopted(auth.account)
        session_id = auth.session_id

        async def ended() -> None:
            await self.session_ended(session_id)

        self._stop_watching = self._watch(session_id, ended)

    def _adopt_new(self, signed: SignedIn | None) -> Authenticated:
        if signed is None:  # _sign_and_join opens a session or is given one
            raise RuntimeError("no session to join with")
        auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
        self._adopt(auth)
        return auth

    def _forget_auth(self, session_id: int | None) -> None:
        """Stop watching (the session `session_id`, or any)."""
        if session_id is not None and (self.auth is None or self.auth.session_id != session_id):
            return
        stop, self._stop_watching = self._stop_watching, None
        if stop is not None:
            stop()
        self.auth = None
        self._unsaved_token = None

    def account_changed(self, account: Account) -> None:
        """The same session, a new state of its account (a guest chose a password)."""
        auth = self.auth
        if auth is not None and auth.account.user_name == account.user_name:
            self.auth = Authenticated(account, auth.session_id, auth.kind)

    async def session_ended(self, session_id: int) -> None:
        """The account session `session_id` ended (here or anywhere): offline, the stored token
        forgotten, the screen cleared of the user, and the dialog again. Once per session."""
        auth = self.auth
        if auth is None or auth.session_id != session_id:
            return
        self._forget_auth(session_id)
        if self._closed:
            return  # go_offline follows the close
        self._cancel_leave_timer()
        await self.go_offline()
        self.user_name = None
        if self._closed:
            return
        await self._signed_out()
        account = auth.account
        reason = await self._ended_reason(account.user_name)
        dialog = self._dialog
        dialog.signed_out(
            reason,
            name=None if account.is_guest else account.user_name,
            has_password=account.has_password,
        )
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            if dialog.dialog.open:  # still up, holding a session it made: its new state
                self._screen.refresh(dialog.dialog)
            else:
                self._screen.show_dialog(dialog.dialog)
        # Last: two round trips to the browser. A token left behind by a tab that closed
        # meanwhile proves nothing any more; the next visit finds that out and asks.
        await self._forget_stored_token()

    async def _ended_reason(self, name: str) -> str:
        """Why the session ended as the dialog says it: signed out, or banned from the chat."""
        try:
            return await self._accounts.ended_reason(name)
        except Exception as error:  # the store is away: the usual text will do
            logger.warning("could not read why a session ended: %r", error)
            return SIGNED_OUT

    async def _forget_stored_token(self) -> None:
        """Forget the stored token unless it is a live one: another tab of this browser may
        have signed in again since."""
        if self._storage is None:
            return
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                token = await self._storage.get(IDENTITY_STORAGE_KEY)
        except (TimeoutError, RuntimeError) as error:
            logger.info("could not read client storage: %r", error)
            return
        if token and await self._accounts.authenticate(token) is not None:
            return
        await self._remember(None)

    # -- the page's lifecycle -------------------------------------------------------------------

    async def disconnected(self) -> bool:
        """The tab dropped; returns whether the session is worth keeping for a reconnect."""
        self._connected = False
        if self.user_name is None and not self._joining and not self._signing:
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
        """The session closes: no restore, no pending leave timer, no watch of the account
        session (`go_offline` follows)."""
        self._closed = True
        self._cancel_leave_timer()
        stop, self._stop_watching = self._stop_watching, None
        if stop is not None:
            stop()
        for task in (self._restore_task, self._check_task):
            if task is not None:
                task.cancel()

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

    async def _go_online(
        self, name: str, *, origin: Origin | None = None, returning: bool = False
    ) -> None:
        """The session's one way into presence. The join runs in a task of its own that nothing
        cancels (a closing session cancels the restore task awaiting it): stopped half-way it
        could leave the session online with nobody to take it back. A join the user asked for
        passes the `origin` whose join budgets it costs; coming back after a reconnect does not."""
        self._joining = True
        self._join_task = asyncio.create_task(self._join_and_settle(name, origin, returning))
        await asyncio.shield(self._join_task)

    async def _join_and_settle(self, name: str, origin: Origin | None, returning: bool) -> None:
        try:
            async with self._presence_lock:
                if self._closed:
                    return
                self.user_name, _ = await self._chat.join(
                    name, self._session_key, origin=origin, returning=returning
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
