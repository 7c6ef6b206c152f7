"""Who is in a session, on fakes with the real AccountService and SessionWatch (accounts in
memory, PlainHasher): the dialog's three ways in (a guest, signing in, signing up), refusals
under the field they concern and nothing half-done after one, the restore from client storage,
and going back to the dialog when the account session ends anywhere.

Going online and offline: a close or a drop that arrives while the join is still in the
service is followed by exactly one leave, after the join, so nobody stays online as a ghost; a
tab nobody joined in is not joined by a restore that finishes after it closed."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import flet as ft
import pytest

from flet_chat.core.accounts.models import AccountKind, Role, SessionKind
from flet_chat.core.accounts.passwords import TOO_COMMON
from flet_chat.core.accounts.service import (
    BANNED,
    SIGNED_OUT,
    WRONG_CREDENTIALS,
    AccountService,
)
from flet_chat.core.errors import RateLimitedError
from flet_chat.core.models import Message
from flet_chat.core.names import ReservedNames, name_skeleton
from flet_chat.core.rate_limit import LocalRateLimiter, Origin, RateLimits
from flet_chat.live.session_watch import SessionWatch
from flet_chat.ui import keys
from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY, JOIN_FAILED, SessionIdentity
from flet_chat.ui.views.join_dialog import (
    ENTER_PASSWORD,
    OR_WITH_A_NAME,
    PASSWORDS_DIFFER,
    Form,
    JoinDialog,
    Mode,
)
from tests.support.waiting import wait_until
from tests.unit.fakes import MemoryAccountStore, MemoryRoomStore, PlainHasher, RecordingBus
from tests.unit.session_fakes import FakeScreen, nothing

PASSWORD = "correct horse battery"


class BlockingChat:
    """join waits for `gate`; the journal says what reached the service, in order."""

    def __init__(self) -> None:
        self.journal: list[str] = []
        self.gate = asyncio.Event()
        self.joining = asyncio.Event()
        self.left = asyncio.Event()
        self.origins: list[Origin | None] = []
        self.returning: list[bool] = []
        self.refusal: str | None = None
        self.broken = False

    async def join(
        self,
        user_name: str,
        session_key: str,
        *,
        origin: Origin | None = None,
        returning: bool = False,
    ) -> tuple[str, Message | None]:
        self.joining.set()
        self.origins.append(origin)
        self.returning.append(returning)
        await self.gate.wait()
        if self.broken:
            raise ConnectionError("database unreachable")
        if self.refusal is not None:
            raise RateLimitedError(self.refusal)
        self.journal.append(f"join {user_name}")
        return user_name, None

    async def leave(self, user_name: str, session_key: str) -> Message | None:
        self.journal.append(f"leave {user_name}")
        self.left.set()
        return None


class Legacy:
    """Signed names from before accounts: "token:Alice" proves Alice."""

    def verify(self, token: object) -> str | None:
        return token[6:] if isinstance(token, str) and token.startswith("token:") else None


class SlowStorage:
    """Client storage whose answer waits for `gate`."""

    def __init__(self, token: str | None = None, *, open_: bool = False) -> None:
        self.token = token
        self.gate = asyncio.Event()
        if open_:
            self.gate.set()
        self.asked = asyncio.Event()

    async def get(self, key: str) -> object:
        self.asked.set()
        await self.gate.wait()
        return self.token if key == IDENTITY_STORAGE_KEY else None

    async def set(self, key: str, value: str) -> bool:
        assert key == IDENTITY_STORAGE_KEY
        self.token = value
        return True


class GatedHasher(PlainHasher):
    """Checking a password waits for `gate` (argon2 takes a while, in a thread)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.checking = asyncio.Event()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.checking.set()
        await self.gate.wait()
        return await super().verify(password_hash, password)


class Harness:
    def __init__(
        self,
        grace: float = 0.0,
        origin: Origin | None = None,
        *,
        guests: bool = True,
        store: MemoryAccountStore | None = None,
        bus: RecordingBus | None = None,
        hasher: PlainHasher | None = None,
        fresh_dialogs: bool = False,
        banned: set[str] | None = None,
        check_delays: tuple[float, ...] = (0.0, 0.0),
        came_back: bool = False,
    ) -> None:
        self.chat = BlockingChat()
        self.banned = banned if banned is not None else set()

        async def is_banned(name: str) -> bool:
            return name in self.banned

        self.store = store or MemoryAccountStore(MemoryRoomStore())
        self.bus = bus or RecordingBus([])
        self.accounts = AccountService(
            self.store,
            hasher or PlainHasher(),
            RateLimits(LocalRateLimiter()),
            self.bus,
            ReservedNames(),
            guests=guests,
            legacy_tokens=Legacy(),
            is_banned=is_banned,
        )
        self.watch = SessionWatch(self.accounts)
        self.bus.add_listener(self.watch.on_event)
        self.watching: set[int] = set()  # the sessions this identity watches now
        self.screen = FakeScreen()
        self.dialog = JoinDialog(on_join=nothing, guests=guests)
        self.guests = guests
        self.fresh_dialogs = fresh_dialogs  # a new dialog each time, as the app makes them
        self.dialogs_made = 0
        self.connections: list[bool] = []
        self.joined = 0
        self.signed_out = 0
        self.focusing = asyncio.Event()
        self.focus_gate: asyncio.Event | None = None  # when set, taking the focus waits for it
        self.tasks: list[asyncio.Future[None]] = []
        self.identity = SessionIdentity(
            chat=self.chat,
            accounts=self.accounts,
            watch=self.watched,
            session_key="k",
            origin=origin,
            leave_grace_seconds=grace,
            join_dialog=self.make_dialog,
            screen=self.screen,
            focus_composer=self.focus,
            connection_changed=self.connection_changed,
            joined=self.on_joined,
            signed_out=self.on_signed_out,
            background=self.background,
            came_back=came_back,
            check_delays=check_delays,
        )

    def make_dialog(self) -> JoinDialog:
        if self.fresh_dialogs:
            self.dialog = JoinDialog(on_join=nothing, guests=self.guests)
        self.dialogs_made += 1
        return self.dialog

    def watched(self, session_id: int, ended: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        stop = self.watch.watch(session_id, ended)
        self.watching.add(session_id)

        def stopped() -> None:
            self.watching.discard(session_id)
            stop()

        return stopped

    async def focus(self) -> None:
        self.focusing.set()
        if self.focus_gate is not None:
            await self.focus_gate.wait()

    async def connection_changed(self, connected: bool) -> None:
        self.connections.append(connected)

    def on_joined(self) -> None:
        self.joined += 1

    async def on_signed_out(self) -> None:
        self.signed_out += 1

    def background(self, work: Awaitable[None]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    def fill(self, mode: Mode, name: str, password: str = "", repeat: str | None = None) -> None:
        """Type into the fields `mode`'s tab shows (a guest's has no password fields)."""
        self.dialog.set_mode(mode)
        self.dialog.name_input.value = name
        if mode is not Mode.GUEST:
            self.dialog.password_input.value = password
        if mode is Mode.SIGN_UP:
            self.dialog.repeat_input.value = password if repeat is None else repeat

    def type_name(self, name: str) -> asyncio.Task[None]:
        """The guest tab (the first one while guests are allowed), as the old dialog was."""
        self.fill(Mode.GUEST, name)
        return asyncio.create_task(self.identity.join(None))

    def errors(self) -> dict[str, str]:
        """The errors under the fields the dialog has made (reading makes none)."""
        fields = {
            "name": self.dialog.name_input,
            "password": self.dialog._password_input,
            "repeat": self.dialog._repeat_input,
        }
        return {which: f.error for which, f in fields.items() if f is not None and f.error}

    async def live_sessions(self, name: str) -> list[int]:
        kinds = [SessionKind.BROWSER, SessionKind.API]
        return [s.session_id for s in await self.store.sessions_of(name, kinds, now())]


def now() -> datetime:
    return datetime.now(UTC)


async def member(harness: Harness, name: str = "Alice") -> str:
    """An account with a password, signed up elsewhere; returns that sign-up's token."""
    signed = await harness.accounts.sign_up(name, PASSWORD)
    return signed.token


# -- going online and offline (the guest tab) -----------------------------------------------------


async def test_a_close_during_the_join_leaves_once_after_it() -> None:
    harness = Harness()
    joining = harness.type_name("Alice")
    await harness.chat.joining.wait()
    harness.identity.closing()  # Flet closes the session while the service is joining
    closing = asyncio.create_task(harness.identity.go_offline())
    harness.chat.gate.set()
    await asyncio.gather(joining, closing)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.screen.popped == 0  # nothing is shown to a closed tab
    assert harness.joined == 0


async def test_a_drop_during_the_join_leaves_after_the_grace() -> None:
    harness = Harness(grace=0.0)
    joining = harness.type_name("Alice")
    await harness.chat.joining.wait()
    assert await harness.identity.disconnected()  # a join in flight: worth keeping
    assert harness.chat.journal == []  # nobody to leave yet
    harness.chat.gate.set()
    await joining
    await asyncio.wait_for(harness.chat.left.wait(), timeout=5)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.connections == [False]  # the member list dropped the tab at once


async def test_a_reconnect_within_the_grace_is_not_a_leave() -> None:
    harness = Harness(grace=60.0)
    harness.chat.gate.set()
    await harness.type_name("Alice")
    assert harness.identity.user_name == "Alice"
    assert harness.screen.popped == 1
    assert harness.joined == 1
    assert await harness.identity.disconnected()
    await harness.identity.reconnected()
    harness.identity.closing()
    await harness.identity.go_offline()
    await harness.identity.go_offline()  # at most once per join
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.connections == [False, True]


async def test_a_close_while_the_composer_takes_the_focus_starts_nothing_after_it() -> None:
    """The join is done and the dialog gone; the tab closes while the composer takes the focus:
    nothing may start after the close (it would subscribe a closed session for good)."""
    harness = Harness()
    harness.chat.gate.set()
    harness.focus_gate = asyncio.Event()
    joining = harness.type_name("Alice")
    await harness.focusing.wait()
    harness.identity.closing()
    await harness.identity.go_offline()
    harness.focus_gate.set()
    await joining
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.joined == 0


async def test_a_guest_is_remembered_and_a_blank_name_is_refused_under_it() -> None:
    harness = Harness()
    harness.chat.gate.set()
    storage = SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    assert harness.screen.dialogs == [harness.dialog.dialog]  # nothing stored: the dialog
    await harness.type_name("   ")
    assert harness.errors() == {"name": "Name cannot be blank."}
    assert harness.chat.journal == []
    await harness.type_name("Bob")
    assert harness.chat.journal == ["join Bob"]
    auth = await harness.accounts.authenticate(storage.token)
    assert auth is not None
    assert auth.account.kind is AccountKind.GUEST
    assert auth.account.user_name == "Bob"


async def test_a_guest_whose_join_fails_gives_the_name_back() -> None:
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.broken = True
    await harness.type_name("Bob")
    assert harness.errors() == {"name": JOIN_FAILED}
    assert await harness.accounts.account("Bob") is None  # free for anyone, them included
    assert harness.identity.auth is None
    harness.chat.broken = False
    await harness.type_name("Bob")
    assert harness.identity.user_name == "Bob"


async def test_a_guest_refused_by_the_chat_gives_the_name_back() -> None:
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.refusal = "Too many joins. Wait a minute and try again."
    await harness.type_name("Bob")
    assert harness.errors() == {"name": "Too many joins. Wait a minute and try again."}
    assert await harness.accounts.account("Bob") is None


async def test_without_guests_the_dialog_has_no_guest_tab() -> None:
    harness = Harness(guests=False)
    assert harness.dialog.modes == [Mode.SIGN_IN, Mode.SIGN_UP]
    assert harness.dialog.mode is Mode.SIGN_IN
    assert harness.dialog.password_input.visible
    harness.dialog.set_mode(Mode.GUEST)  # not offered: stays where it was
    assert harness.dialog.mode is Mode.SIGN_IN


# -- signing up and in ------------------------------------------------------------------------


async def test_signing_up_makes_a_member_who_joins_and_is_remembered() -> None:
    harness = Harness()
    harness.chat.gate.set()
    storage = SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    harness.fill(Mode.SIGN_UP, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.chat.journal == ["join Alice"]
    assert harness.screen.popped == 1
    assert harness.joined == 1
    auth = await harness.accounts.authenticate(storage.token)
    assert auth is not None
    assert auth.account.kind is AccountKind.MEMBER
    assert harness.identity.auth == auth
    # No password stays in the page after it was used.
    assert harness.dialog.password_input.value == harness.dialog.repeat_input.value == ""


async def test_sign_up_refusals_show_under_their_field_and_claim_nothing() -> None:
    harness = Harness()
    harness.chat.gate.set()
    await member(harness, "Carol")
    cases = [
        (("Alice", PASSWORD, "correct horse battery!"), {"repeat": PASSWORDS_DIFFER}),
        (("Alice", "password123", None), {"password": TOO_COMMON}),
        (("Alice", "", None), {"password": ENTER_PASSWORD}),
        (
            ("carol", PASSWORD, None),
            {"name": "carol is taken. Choose another name, or sign in if it is yours."},
        ),
    ]
    for (name, password, repeat), expected in cases:
        harness.fill(Mode.SIGN_UP, name, password, repeat)
        await harness.identity.join(None)
        assert harness.errors() == expected
    assert await harness.accounts.account("Alice") is None
    assert harness.chat.journal == []
    assert harness.joined == 0
    assert harness.screen.refreshed  # each refusal was sent to the browser


async def test_a_sign_up_whose_join_fails_keeps_the_account_and_a_retry_joins_it() -> None:
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.broken = True
    storage = SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    harness.fill(Mode.SIGN_UP, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.errors() == {"repeat": JOIN_FAILED}
    assert storage.token is None
    account = await harness.accounts.account("Alice")
    assert account is not None
    assert account.kind is AccountKind.MEMBER
    sessions = await harness.live_sessions("Alice")
    harness.chat.broken = False
    harness.fill(Mode.SIGN_UP, "Alice", PASSWORD)  # "Create account" again
    await harness.identity.join(None)
    assert harness.identity.user_name == "Alice"
    assert await harness.live_sessions("Alice") == sessions  # the same session, no new one
    auth = await harness.accounts.authenticate(storage.token)  # and the browser keeps it
    assert auth is not None
    assert auth.session_id in sessions


async def test_the_session_a_failed_sign_up_kept_ended_elsewhere_updates_the_dialog_shown() -> None:
    """The dialog is still up, holding the session its sign-up made: it says why, on screen
    (showing it again would send nothing, it is open)."""
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.broken = True
    harness.identity.start(SlowStorage(open_=True))
    await harness.identity.restored()
    harness.fill(Mode.SIGN_UP, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.errors() == {"repeat": JOIN_FAILED}
    harness.dialog.dialog.open = True  # showing, as the page has it
    harness.screen.refreshed.clear()
    harness.screen.dialogs.clear()
    elsewhere = await harness.accounts.authenticate(
        (await harness.accounts.sign_in("Alice", PASSWORD)).token  # on a phone
    )
    assert elsewhere is not None
    await harness.accounts.sign_out_everywhere(elsewhere)
    await wait_until(lambda: harness.dialog.notice.visible, timeout=5)
    assert harness.screen.refreshed == [harness.dialog.dialog]
    assert harness.screen.dialogs == []
    assert harness.dialog.notice.value == SIGNED_OUT
    assert harness.dialog.mode is Mode.SIGN_IN
    assert harness.dialog.name_input.value == "Alice"
    assert harness.dialog.password_input.value == ""
    assert harness.errors() == {}  # the failed join's error gave way to the notice


async def test_signing_in_with_the_wrong_password_is_refused_under_the_password() -> None:
    harness = Harness()
    harness.chat.gate.set()
    await member(harness)
    harness.fill(Mode.SIGN_IN, "Alice", "not my password at all")
    await harness.identity.join(None)
    assert harness.errors() == {"password": WRONG_CREDENTIALS}
    harness.fill(Mode.SIGN_IN, "Nobody", PASSWORD)  # a name that does not exist reads the same
    await harness.identity.join(None)
    assert harness.errors() == {"password": WRONG_CREDENTIALS}
    assert harness.chat.journal == []
    harness.fill(Mode.SIGN_IN, "alice", PASSWORD)  # any case: the account's own name
    await harness.identity.join(None)
    assert harness.chat.journal == ["join Alice"]
    assert harness.identity.user_name == "Alice"


async def test_a_sign_in_whose_join_fails_leaves_no_session_behind() -> None:
    """Never half-joined: the session opened for the join ends with it, nothing is stored."""
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.broken = True
    await member(harness)
    before = await harness.live_sessions("Alice")
    storage = SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    harness.fill(Mode.SIGN_IN, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.errors() == {"password": JOIN_FAILED}
    assert await harness.live_sessions("Alice") == before
    assert storage.token is None
    assert harness.identity.auth is None
    assert harness.identity.user_name is None


async def test_too_many_sign_ins_are_refused_under_the_password() -> None:
    harness = Harness(origin=Origin("203.0.113.7", "tab-1"))
    harness.chat.gate.set()
    await member(harness)
    refusals = set()
    for _ in range(12):
        harness.fill(Mode.SIGN_IN, "Alice", "a wrong password, again")
        await harness.identity.join(None)
        refusals.add(harness.errors()["password"])
    assert refusals == {
        WRONG_CREDENTIALS,
        "Too many sign-in attempts. Wait a few minutes and try again.",
    }


@pytest.mark.parametrize("while_", ["checking the password", "joining"])
async def test_a_double_click_signs_in_once(while_: str) -> None:
    hasher = GatedHasher()
    harness = Harness(hasher=hasher)
    hasher.gate.set()
    await member(harness)
    hasher.gate.clear()
    before = len(await harness.live_sessions("Alice"))
    harness.fill(Mode.SIGN_IN, "Alice", PASSWORD)
    first = asyncio.create_task(harness.identity.join(None))
    if while_ == "joining":
        hasher.gate.set()
        await harness.chat.joining.wait()
    else:
        await hasher.checking.wait()
    # The second click while the first is on its way.
    second = asyncio.create_task(harness.identity.join(None))
    hasher.gate.set()
    harness.chat.gate.set()
    await asyncio.gather(first, second)
    assert harness.chat.journal == ["join Alice"]
    assert len(await harness.live_sessions("Alice")) == before + 1


# -- restoring from client storage ------------------------------------------------------------


async def test_a_restore_that_ends_after_an_anonymous_tab_closed_does_not_join() -> None:
    harness = Harness()
    harness.chat.gate.set()
    storage = SlowStorage(await member(harness))
    harness.identity.start(storage)
    await storage.asked.wait()
    assert not await harness.identity.disconnected()  # nobody joined: free it
    storage.gate.set()
    await harness.identity.restored()
    assert harness.chat.journal == []
    assert harness.identity.user_name is None
    assert harness.screen.dialogs == []


async def test_a_drop_while_a_stored_session_is_checked_leaves_after_the_grace() -> None:
    """A token was read: someone is coming back, so the check and the join go on and the drop
    is then handled as any drop mid-join (a tab with no token is freed at once instead)."""
    harness = Harness(grace=0.0)
    harness.chat.gate.set()
    token = await member(harness)
    checking, go_on = asyncio.Event(), asyncio.Event()
    look_up = harness.store.session

    async def slow_session(*args: Any) -> Any:
        checking.set()
        await go_on.wait()
        return await look_up(*args)

    harness.store.session = slow_session  # type: ignore[method-assign]
    harness.identity.start(SlowStorage(token, open_=True))
    await checking.wait()
    assert await harness.identity.disconnected()  # worth keeping: a restore in flight
    go_on.set()
    await harness.identity.restored()
    await asyncio.wait_for(harness.chat.left.wait(), timeout=5)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.screen.dialogs == []


@pytest.mark.parametrize("came_back", [False, True])
async def test_a_stored_session_joins_without_the_dialog(came_back: bool) -> None:
    harness = Harness(came_back=came_back)
    harness.chat.gate.set()
    token = await member(harness)
    storage = SlowStorage(token, open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    assert harness.chat.journal == ["join Alice"]
    # A tab reloaded after a drop joins as returning (no notice right after a restart); a new
    # tab of a signed-in browser is an arrival.
    assert harness.chat.returning == [came_back]
    assert harness.joined == 1
    assert storage.token == token
    assert harness.screen.dialogs == []


async def test_a_signed_name_from_before_accounts_is_swapped_for_a_session() -> None:
    harness = Harness()
    harness.chat.gate.set()
    # The name as migration 0008 left it: a guest account that never had a session.
    await harness.store.create_account(
        "Alice",
        name_skeleton("Alice"),
        kind=AccountKind.GUEST,
        password_hash=None,
        role=Role.MEMBER,
    )
    storage = SlowStorage("token:Alice", open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    assert harness.chat.journal == ["join Alice"]
    auth = await harness.accounts.authenticate(storage.token)
    assert auth is not None
    assert auth.account.user_name == "Alice"


async def test_a_stored_session_that_cannot_be_checked_shows_the_dialog(
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = Harness()
    token = await member(harness)

    async def away(*_args: object) -> None:
        raise ConnectionError("database unreachable")

    harness.store.session = away  # type: ignore[assignment,method-assign]
    harness.identity.start(SlowStorage(token, open_=True))
    await harness.identity.restored()
    assert harness.screen.dialogs == [harness.dialog.dialog]
    assert harness.identity.user_name is None
    assert "could not check the stored session" in caplog.text


async def test_a_stored_session_the_busy_store_could_not_check_is_let_in_behind_the_dialog() -> (
    None
):
    """A restarted server's crowd of returning tabs keeps the store busy: a tab whose token could
    not be checked gets the dialog, and is let in once a check again proves the session."""
    harness = Harness()
    harness.chat.gate.set()
    token = await member(harness)
    session = harness.store.session
    calls = 0

    async def busy_once(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TimeoutError("QueuePool limit reached, connection timed out")
        return await session(*args)  # type: ignore[arg-type]

    harness.store.session = busy_once  # type: ignore[assignment,method-assign]
    harness.identity.start(SlowStorage(token, open_=True))
    await harness.identity.restored()
    assert harness.screen.dialogs == [harness.dialog.dialog]  # never a tab with neither
    await asyncio.wait_for(harness.focusing.wait(), timeout=5)
    assert harness.identity.user_name == "Alice"
    assert harness.chat.journal == ["join Alice"]
    assert harness.screen.popped == 1  # the dialog went
    assert harness.joined == 1


@pytest.mark.parametrize("moved_on", [False, True])
async def test_a_session_checked_again_is_not_let_in_once_it_ended_or_the_user_moved_on(
    moved_on: bool,
) -> None:
    harness = Harness()
    harness.chat.gate.set()
    token = await member(harness)
    auth = await harness.accounts.authenticate(token)
    assert auth is not None
    session = harness.store.session
    calls = 0
    go_on = asyncio.Event()  # the check again waits here, while the user does something else

    async def busy_then_slow(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TimeoutError("QueuePool limit reached")
        await go_on.wait()
        return await session(*args)  # type: ignore[arg-type]

    harness.store.session = busy_then_slow  # type: ignore[assignment,method-assign]
    harness.identity.start(SlowStorage(token, open_=True))
    await harness.identity.restored()
    check = harness.identity._check_task
    assert check is not None
    if moved_on:  # the user joins as a guest from the dialog meanwhile
        harness.dialog.name_input.value = "Bob"
        await harness.identity.join(None)
        assert harness.identity.user_name == "Bob"
    else:  # signed out elsewhere meanwhile: the token proves nothing any more
        await harness.accounts.sign_out(auth)
    go_on.set()
    await asyncio.wait_for(check, timeout=5)
    assert calls == 2  # the check again did ask, and then let nobody in
    assert harness.chat.journal == (["join Bob"] if moved_on else [])
    assert harness.identity.user_name == ("Bob" if moved_on else None)


async def test_a_restore_costs_the_connection_not_the_address_and_a_refusal_is_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An office behind one address reopening the chat must not spend the address's join
    budget; if a restore is refused all the same, the dialog says why, with no traceback, and
    joining again under that name reuses the stored session."""
    harness = Harness(origin=Origin("203.0.113.7", "tab-1"))
    harness.chat.gate.set()
    harness.chat.refusal = "Too many joins. Wait a minute and try again."
    token = await harness.accounts.guest("Alice")
    storage = SlowStorage(token.token, open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    assert harness.chat.origins == [Origin(None, "tab-1")]
    assert harness.errors() == {"name": "Too many joins. Wait a minute and try again."}
    assert harness.dialog.name_input.value == "Alice"
    assert harness.screen.dialogs  # the dialog instead
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    harness.chat.refusal = None
    await harness.identity.join(None)  # "Join chat" again: the same guest, no new account
    assert harness.identity.user_name == "Alice"
    assert harness.identity.auth is not None
    assert harness.identity.auth.session_id == token.session_id


# -- the account session ends ---------------------------------------------------------------


async def signed_in(harness: Harness, storage: SlowStorage | None = None) -> SlowStorage:
    harness.chat.gate.set()
    storage = storage or SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    harness.fill(Mode.SIGN_IN, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.identity.user_name == "Alice"
    return storage


async def test_signed_out_everywhere_elsewhere_returns_to_the_dialog() -> None:
    harness = Harness()
    elsewhere = await harness.accounts.authenticate(await member(harness))
    assert elsewhere is not None
    storage = await signed_in(harness)
    harness.screen.dialogs.clear()
    await harness.accounts.sign_out_everywhere(elsewhere)  # on a phone
    await wait_until(lambda: harness.screen.dialogs == [harness.dialog.dialog], timeout=5)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.identity.user_name is None
    assert harness.identity.auth is None
    assert storage.token == ""  # forgotten
    assert harness.signed_out == 1
    # The dialog says why and offers to sign in again as Alice, with no password kept.
    assert harness.dialog.notice.visible
    assert harness.dialog.notice.value == SIGNED_OUT
    assert harness.dialog.mode is Mode.SIGN_IN
    assert harness.dialog.name_input.value == "Alice"
    assert harness.dialog.password_input.value == ""
    # Only the password is left to type: the caret waits there.
    assert harness.dialog.password_input.autofocus
    assert not harness.dialog.name_input.autofocus
    # And signing in again works, with a new session.
    harness.fill(Mode.SIGN_IN, "Alice", PASSWORD)
    await harness.identity.join(None)
    assert harness.identity.user_name == "Alice"
    assert not harness.dialog.notice.visible


async def test_the_dialog_is_let_go_once_joined_and_made_anew_when_the_session_ends() -> None:
    """A joined session keeps no dialog (its controls cost memory in every session); the
    end of its account session shows a new one."""
    harness = Harness(fresh_dialogs=True)
    elsewhere = await harness.accounts.authenticate(await member(harness))
    assert elsewhere is not None
    await signed_in(harness)
    used = weakref.ref(harness.dialog)
    harness.screen.dialogs.clear()
    del harness.dialog
    gc.collect()
    assert used() is None
    await harness.accounts.sign_out_everywhere(elsewhere)
    await wait_until(lambda: harness.dialogs_made == 2 and bool(harness.screen.dialogs), timeout=5)
    assert harness.screen.dialogs == [harness.dialog.dialog]
    assert harness.dialog.notice.value == SIGNED_OUT
    assert harness.dialog.name_input.value == "Alice"


async def test_a_new_password_elsewhere_ends_this_session() -> None:
    harness = Harness()
    elsewhere = await harness.accounts.authenticate(await member(harness))
    assert elsewhere is not None
    await signed_in(harness)
    await harness.accounts.change_password(elsewhere, PASSWORD, "a new and better password")
    await wait_until(lambda: harness.identity.user_name is None, timeout=5)
    assert harness.chat.journal == ["join Alice", "leave Alice"]


async def test_an_end_the_bus_missed_is_found_by_the_store_check() -> None:
    """Redis pub/sub keeps nothing: the watch's check of the store is the backstop."""
    harness = Harness()
    await member(harness)
    await signed_in(harness)
    auth = harness.identity.auth
    assert auth is not None
    await harness.store.end_sessions("Alice", now(), session_ids=[auth.session_id])  # no event
    assert harness.identity.user_name == "Alice"
    await harness.watch.check()
    await wait_until(lambda: harness.identity.user_name is None, timeout=5)
    assert harness.signed_out == 1


async def test_a_guest_signed_out_is_offered_the_dialog_without_their_name() -> None:
    harness = Harness()
    harness.chat.gate.set()
    await harness.type_name("Bob")
    auth = harness.identity.auth
    assert auth is not None
    await harness.accounts.sign_out(auth)
    await wait_until(lambda: harness.identity.user_name is None, timeout=5)
    assert harness.dialog.mode is Mode.GUEST
    assert harness.dialog.name_input.value == ""
    assert harness.dialog.name_input.autofocus
    assert not harness.dialog.password_input.autofocus


def test_the_dialog_after_a_sign_out_puts_the_caret_where_there_is_something_to_type() -> None:
    dialog = JoinDialog(on_join=nothing)
    dialog.signed_out(SIGNED_OUT, name="Alice")  # an account with a password
    assert dialog.password_input.autofocus
    assert not dialog.name_input.autofocus
    dialog.signed_out(SIGNED_OUT, name="Carol", has_password=False)  # a provider's account
    assert dialog.mode is Mode.SIGN_IN  # where the provider buttons are
    assert dialog.name_input.value == "Carol"
    assert dialog.name_input.autofocus
    assert not dialog.password_input.autofocus
    dialog.signed_out(SIGNED_OUT, name="Alice")
    dialog.signed_out(SIGNED_OUT, name=None)  # then a guest, on the same dialog
    assert dialog.name_input.autofocus
    assert not dialog.password_input.autofocus


async def test_another_tab_s_new_sign_in_is_not_forgotten() -> None:
    """Two tabs of one browser share its storage: the tab that hears of the end late must not
    forget the token the other tab signed in with since."""
    harness = Harness()
    await member(harness)
    storage = await signed_in(harness)
    old = harness.identity.auth
    assert old is not None
    fresh = await harness.accounts.sign_in("Alice", PASSWORD)
    storage.token = fresh.token  # the other tab signed in again meanwhile
    await harness.identity.session_ended(old.session_id)
    assert storage.token == fresh.token


async def test_a_closed_session_stops_watching() -> None:
    harness = Harness()
    elsewhere = await harness.accounts.authenticate(await member(harness))
    assert elsewhere is not None
    await signed_in(harness)
    assert harness.watching
    harness.identity.closing()
    assert harness.watching == set()
    await harness.identity.go_offline()
    harness.screen.dialogs.clear()
    await harness.accounts.sign_out_everywhere(elsewhere)
    await harness.watch.check()
    await harness.identity.session_ended(elsewhere.session_id)  # a late call changes nothing
    assert harness.screen.dialogs == []
    assert harness.signed_out == 0
    assert harness.chat.journal == ["join Alice", "leave Alice"]


# -- signing in through a provider (ExternalSignIn hands the account service's answer over) --------


async def test_a_provider_s_sign_in_goes_online_like_a_password_sign_in() -> None:
    harness = Harness(origin=Origin("203.0.113.7", "tab-1"))
    harness.chat.gate.set()
    storage = SlowStorage(open_=True)
    harness.identity.start(storage)
    await harness.identity.restored()
    signed = await harness.accounts.sign_in_external("corp", "user-1", "Carol")
    await harness.identity.join_signed_in(signed)
    assert harness.identity.user_name == "Carol"
    assert harness.chat.journal == ["join Carol"]
    # The account service charged the sign-in; the join after it is not charged again.
    assert harness.chat.origins == [None]
    assert harness.screen.popped == 1
    assert harness.joined == 1
    assert harness.watching == {signed.session_id}
    auth = await harness.accounts.authenticate(storage.token)  # the browser keeps it
    assert auth is not None
    assert auth.session_id == signed.session_id
    # Signed out anywhere: the dialog again, on the Sign in tab.
    await harness.accounts.sign_out(auth)
    await wait_until(lambda: harness.signed_out == 1)
    assert harness.identity.user_name is None
    assert harness.dialog.mode is Mode.SIGN_IN


async def test_a_provider_s_sign_in_after_joining_another_way_is_signed_out() -> None:
    """A popup finished after the tab joined with a password: its session is nobody's."""
    harness = Harness()
    harness.chat.gate.set()
    await member(harness)
    harness.fill(Mode.SIGN_IN, "Alice", PASSWORD)
    await harness.identity.join(None)
    signed = await harness.accounts.sign_in_external("corp", "user-1", "Carol")
    await harness.identity.join_signed_in(signed)
    assert harness.identity.user_name == "Alice"
    assert await harness.live_sessions("Carol") == []
    assert harness.chat.journal == ["join Alice"]


async def test_a_provider_s_sign_in_whose_join_fails_is_said_under_the_buttons() -> None:
    harness = Harness()
    harness.chat.gate.set()
    harness.chat.refusal = "Too many joins. Wait a minute."
    signed = await harness.accounts.sign_in_external("corp", "user-1", "Carol")
    await harness.identity.join_signed_in(signed)
    assert harness.dialog.external_error.visible
    assert harness.dialog.external_error.value == "Too many joins. Wait a minute."
    assert harness.dialog.mode is Mode.SIGN_IN  # where the buttons are
    assert harness.errors() == {}
    assert await harness.live_sessions("Carol") == []  # nothing half-joined
    assert harness.identity.auth is None
    assert harness.identity.user_name is None


async def test_a_provider_s_failure_shows_under_the_buttons_until_the_next_try() -> None:
    harness = Harness()
    await harness.identity.external_failed("Signing in with Corp was cancelled.")
    assert harness.dialog.mode is Mode.SIGN_IN  # from the Guest tab, where no button shows
    assert harness.dialog.external_error.value == "Signing in with Corp was cancelled."
    assert harness.dialog.dialog in harness.screen.refreshed
    harness.dialog.set_mode(Mode.SIGN_UP)
    assert not harness.dialog.external_error.visible


def test_the_provider_buttons_show_on_the_sign_in_and_sign_up_tabs() -> None:
    button = ft.Button(content="Sign in with Corp", key="sign-in-corp")
    dialog = JoinDialog(on_join=nothing, external=[button])
    assert dialog.external is not None
    assert button in dialog.external.controls
    shown = {}
    for mode in Mode:
        dialog.set_mode(mode)
        shown[mode] = dialog.external.visible
    assert shown == {Mode.GUEST: False, Mode.SIGN_IN: True, Mode.SIGN_UP: True}
    texts = [getattr(c, "value", None) for c in dialog.external.controls]
    assert OR_WITH_A_NAME in texts


def test_without_providers_the_dialog_has_no_provider_section() -> None:
    dialog = JoinDialog(on_join=nothing)
    for mode in Mode:
        dialog.set_mode(mode)
        assert dialog.external is None
        assert not any(c is dialog.external_error for c in _in_dialog(dialog))


async def test_a_ban_from_the_chat_ends_the_session_and_the_dialog_says_so() -> None:
    harness = Harness()
    elsewhere = await harness.accounts.authenticate(await member(harness))
    assert elsewhere is not None
    await signed_in(harness)
    harness.screen.dialogs.clear()
    harness.banned.add("Alice")  # as Moderation.ban does, then it ends her sessions
    await harness.accounts.sign_out_everywhere(elsewhere)
    await wait_until(lambda: harness.screen.dialogs == [harness.dialog.dialog], timeout=5)
    assert harness.identity.user_name is None
    assert harness.dialog.notice.value == BANNED == "This account is banned from the chat."


def _in_dialog(dialog: JoinDialog) -> list[ft.Control]:
    """Every control the dialog's page would draw (its form's column, walked down)."""
    found: list[ft.Control] = []
    todo: list[Any] = [dialog.dialog]
    while todo:
        control = todo.pop()
        found.append(control)
        for child in (getattr(control, "content", None), getattr(control, "title", None)):
            if isinstance(child, ft.Control):
                todo.append(child)
        todo += [c for c in getattr(control, "controls", None) or () if isinstance(c, ft.Control)]
        todo += [c for c in getattr(control, "actions", None) or () if isinstance(c, ft.Control)]
    return found


def _keys_drawn(dialog: JoinDialog) -> set[str]:
    return {str(c.key) for c in _in_dialog(dialog) if c.key is not None and c.visible}


def test_a_guest_s_dialog_draws_no_password_field_until_a_tab_needs_one() -> None:
    dialog = JoinDialog(on_join=nothing)
    drawn = {str(c.key) for c in _in_dialog(dialog) if c.key is not None}
    assert keys.NAME_INPUT in drawn
    assert not drawn & {keys.PASSWORD_INPUT, keys.PASSWORD_REPEAT_INPUT, keys.JOIN_NOTICE}
    dialog.set_mode(Mode.SIGN_UP)
    assert {keys.PASSWORD_INPUT, keys.PASSWORD_REPEAT_INPUT} <= _keys_drawn(dialog)
    dialog.name_input.value = "Alice"
    dialog.password_input.value = dialog.repeat_input.value = PASSWORD
    dialog.set_mode(Mode.GUEST)  # kept, hidden, with what was typed
    assert not _keys_drawn(dialog) & {keys.PASSWORD_INPUT, keys.PASSWORD_REPEAT_INPUT}
    assert dialog.form() == Form(Mode.GUEST, "Alice", "", "")
    dialog.set_mode(Mode.SIGN_IN)
    assert keys.PASSWORD_INPUT in _keys_drawn(dialog)
    assert keys.PASSWORD_REPEAT_INPUT not in _keys_drawn(dialog)
    assert dialog.form() == Form(Mode.SIGN_IN, "Alice", PASSWORD, "")
    # The order on screen is the form's: the name, then the password, then the repeat.
    dialog.set_mode(Mode.SIGN_UP)
    column = dialog.dialog.content
    assert isinstance(column, ft.Column)
    placed = [c.key for c in column.controls]
    assert placed.index(keys.NAME_INPUT) < placed.index(keys.PASSWORD_INPUT)
    assert placed.index(keys.PASSWORD_INPUT) < placed.index(keys.PASSWORD_REPEAT_INPUT)


def test_the_sign_in_tab_first_draws_the_password_field() -> None:
    dialog = JoinDialog(on_join=nothing, guests=False)
    assert keys.PASSWORD_INPUT in _keys_drawn(dialog)
    assert keys.PASSWORD_REPEAT_INPUT not in {
        str(c.key) for c in _in_dialog(dialog) if c.key is not None
    }


def test_the_notice_is_drawn_above_the_form_once_the_session_ends() -> None:
    dialog = JoinDialog(on_join=nothing)
    assert keys.JOIN_NOTICE not in {str(c.key) for c in _in_dialog(dialog) if c.key is not None}
    dialog.signed_out(SIGNED_OUT, name=None)
    column = dialog.dialog.content
    assert isinstance(column, ft.Column)
    placed = [c.key for c in column.controls]
    assert placed.index(keys.JOIN_TABS) < placed.index(keys.JOIN_NOTICE)
    assert placed.index(keys.JOIN_NOTICE) < placed.index(keys.NAME_INPUT)
    assert dialog.notice.visible
    assert dialog.notice.value == SIGNED_OUT
    dialog.joined()
    assert keys.JOIN_NOTICE not in _keys_drawn(dialog)


def test_a_guest_s_refusal_and_sign_out_draw_no_password_field() -> None:
    dialog = JoinDialog(on_join=nothing)
    dialog.refuse("That name is taken.")
    dialog.refuse("Too many joins. Wait a minute.", rate_limited=True)
    assert dialog.name_input.error == "Too many joins. Wait a minute."
    dialog.signed_out(SIGNED_OUT, name=None)  # a guest's session ended: the Guest tab again
    drawn = {str(c.key) for c in _in_dialog(dialog) if c.key is not None}
    assert not drawn & {keys.PASSWORD_INPUT, keys.PASSWORD_REPEAT_INPUT}
    assert dialog.name_input.autofocus


async def test_a_forged_enter_in_a_hidden_password_field_sends_only_what_the_tab_shows() -> None:
    """A client can fire events at a hidden field it was sent: the Guest tab's join still
    carries no password (a guest account is made, never a sign-in or sign-up)."""
    forms: list[Form] = []
    dialog: JoinDialog | None = None

    async def on_join(_event: Any) -> None:
        assert dialog is not None
        forms.append(dialog.form())

    dialog = JoinDialog(on_join=on_join)
    dialog.set_mode(Mode.SIGN_UP)
    dialog.name_input.value = "Alice"
    dialog.password_input.value = dialog.repeat_input.value = PASSWORD
    dialog.set_mode(Mode.GUEST)
    for field in (dialog.password_input, dialog.repeat_input):
        assert not field.visible
        assert field.on_submit is not None
        await field.on_submit(None)  # type: ignore[call-arg,arg-type]  # as Flet calls it
    assert forms == [Form(Mode.GUEST, "Alice", "", "")] * 2
