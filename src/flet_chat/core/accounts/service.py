"""AccountService: who someone is (sign up, sign in, guests, identity providers), the sessions
that prove it, their profile and their role.

A client only ever holds a random session token; the store keeps its hash. Ending a session
(sign out, sign out everywhere, a new password, a revoked access token) is published as
`SessionsEnded`, so every process drops the connections that used it at once.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flet_chat.core.accounts.models import (
    Account,
    AccountKind,
    Authenticated,
    Profile,
    Role,
    SessionInfo,
    SessionKind,
    SignedIn,
)
from flet_chat.core.accounts.passwords import check_new_password, normalise_password
from flet_chat.core.accounts.ports import AccountStore, NewSession
from flet_chat.core.accounts.tickets import UploadTickets
from flet_chat.core.accounts.tokens import looks_like_token, new_token, token_hash
from flet_chat.core.errors import ChatError, NameTakenError, UnauthorizedError, ValidationError
from flet_chat.core.events import ProfileChanged, SessionsEnded
from flet_chat.core.limits import (
    MAX_ACCESS_TOKENS,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_STATUS_LENGTH,
    MAX_TOKEN_LABEL_LENGTH,
    SESSION_DAYS,
)
from flet_chat.core.names import ReservedNames, name_skeleton
from flet_chat.core.ports import EventBus
from flet_chat.core.rate_limit import Action, Origin, RateLimits
from flet_chat.core.rooms import user_key
from flet_chat.core.validation import clean_line, clean_user_name

logger = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Wrong name or password."
SIGNED_OUT = "You were signed out. Sign in again."
GUESTS_OFF = "Guests cannot join this chat. Sign up or sign in."
NAME_TAKEN = "{name} is taken. Choose another name, or sign in if it is yours."
LOOKS_LIKE = "{name} looks too much like {other}, who is already in this chat. Choose another name."
WRONG_PASSWORD = "Your current password is wrong."
BANNED = "This account is banned from the chat."
MEMBERS_ONLY = "Sign up (choose a password) first."
# A session's last use is written at most this often: a busy client costs no write per request.
TOUCH_EVERY = timedelta(minutes=10)
# Ended by "sign out everywhere" and a new password; access tokens are revoked one by one.
SIGN_IN_KINDS = (SessionKind.BROWSER, SessionKind.API)


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a None hash, after as long as a real check takes."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class LegacyTokens(Protocol):
    """The signed-name tokens browsers kept before accounts (core/identity.py)."""

    def verify(self, token: object) -> str | None: ...


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        hasher: PasswordHasher,
        limits: RateLimits,
        bus: EventBus,
        reserved: ReservedNames,
        *,
        guests: bool = True,
        admins: Sequence[str] | None = None,
        legacy_tokens: LegacyTokens | None = None,
        upload_tickets: UploadTickets | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        is_banned: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self._is_banned = is_banned  # banned from the whole chat (core/moderation.py)
        self._store = store
        self._hasher = hasher
        self._limits = limits
        self._bus = bus
        self._reserved = reserved
        self.guests = guests
        self._admins = tuple(admins) if admins is not None else None
        self._legacy = legacy_tokens
        self._tickets = upload_tickets
        self._now = clock

    # -- becoming someone -----------------------------------------------------------------------

    async def sign_up(
        self,
        raw_name: str,
        password: object,
        *,
        origin: Origin | None = None,
        kind: SessionKind = SessionKind.BROWSER,
    ) -> SignedIn:
        """A new account with a password, signed in."""
        name = clean_user_name(raw_name)
        await self._limits.spend(Action.SIGN_UP, None, origin)
        self._reserved.refuse(name)
        checked = check_new_password(password, name)
        password_hash = await self._hasher.hash(checked)
        # Claimed, roles settled, then the session: a sign-up that fails between leaves no
        # session behind (a guest's join writes both at once: `_new_guest`).
        await self._claim(name, AccountKind.MEMBER, password_hash)
        await self._settle_roles()
        return await self._open(name, kind, label=None)

    async def sign_in(
        self,
        raw_name: object,
        password: object,
        *,
        origin: Origin | None = None,
        kind: SessionKind = SessionKind.BROWSER,
    ) -> SignedIn:
        """A new session for the account, if the password is its own. Every failure says the
        same, after the same work: nothing tells whether the name exists."""
        try:
            name = clean_user_name(raw_name if isinstance(raw_name, str) else "")
        except ValidationError:
            name = ""
        # Per account whoever tries it (a name that does not exist too), per connection and IP.
        await self._limits.spend(Action.SIGN_IN, name or None, origin)
        found = await self._store.credentials(name) if name else None
        typed = normalise_password(password) if isinstance(password, str) else ""
        password_hash = found.password_hash if found else None
        if not await self._hasher.verify(password_hash, typed) or found is None:
            raise UnauthorizedError(WRONG_CREDENTIALS)
        account = found.account
        if password_hash and self._hasher.needs_rehash(password_hash):
            await self._store.set_password(account.user_name, await self._hasher.hash(typed))
        return await self._open(account.user_name, kind, label=None)

    async def guest(
        self,
        raw_name: str,
        *,
        origin: Origin | None = None,
        kind: SessionKind = SessionKind.BROWSER,
    ) -> SignedIn:
        """A name without a password: the first to take it keeps it, through this session."""
        if not self.guests:
            raise ChatError(GUESTS_OFF)
        name = clean_user_name(raw_name)
        if origin is not None:
            await self._limits.spend(Action.JOIN, None, origin)
        self._reserved.refuse(name)
        return await self._new_guest(name, kind)

    async def undo_guest(self, signed: SignedIn) -> None:
        """A guest whose join failed right after taking the name gives it back."""
        if signed.account.is_guest:
            await self._store.forget_guest(signed.account.user_name)

    async def sign_in_external(
        self,
        provider: str,
        subject: str,
        preferred_name: str | None,
        *,
        origin: Origin | None = None,
    ) -> SignedIn:
        """Sign in with an identity provider's user: their linked account, or a new one under
        the name they prefer (with a number added while it is taken)."""
        await self._limits.spend(Action.SIGN_IN, None, origin)
        linked = await self._store.linked_account(provider, subject)
        if linked is None:
            linked = await self._new_linked_account(provider, subject, preferred_name, origin)
        return await self._open(linked, SessionKind.BROWSER, label=None)

    async def _new_linked_account(
        self, provider: str, subject: str, preferred_name: str | None, origin: Origin | None
    ) -> str:
        # A new account costs the address's sign-up budget, as a sign-up with a password does:
        # identities at a provider can be made by the hundred too.
        await self._limits.spend(Action.SIGN_UP, None, origin)
        base = _name_from(preferred_name) or "user"
        for attempt in range(50):
            suffix = "" if attempt == 0 else str(attempt + 1)
            candidate = base[: 32 - len(suffix)] + suffix
            try:
                name = clean_user_name(candidate)
                self._reserved.refuse(name)
                await self._claim(name, AccountKind.MEMBER, None)
            except ChatError:
                continue
            await self._store.link_identity(provider, subject, name)
            await self._settle_roles()
            return name
        raise ChatError("Could not find a free name for you. Sign up with a name instead.")

    async def _claim(self, name: str, kind: AccountKind, password_hash: str | None) -> None:
        holder = await self._store.create_account(
            name, name_skeleton(name), kind=kind, password_hash=password_hash, role=Role.MEMBER
        )
        if holder is not None:
            raise _taken(name, holder)

    async def _new_guest(self, name: str, session_kind: SessionKind) -> SignedIn:
        """A guest account with its first session, written in one transaction (a join writes
        once), and signed in with it. If that fails after the write, nobody will ever hold the
        session, and a guest has no password to come back with: the name is given back."""
        token = new_token(session_kind)
        expires = None if session_kind is SessionKind.ACCESS_TOKEN else self._expiry()
        session = NewSession(token_hash(token), session_kind, None, expires)
        claim = await self._store.create_account_with_session(
            name,
            name_skeleton(name),
            kind=AccountKind.GUEST,
            password_hash=None,
            role=Role.MEMBER,
            session=session,
        )
        if claim.account is None or claim.session_id is None:
            raise _taken(name, claim.holder or name)
        try:
            return await self._signed_in(name, token, claim.session_id, written=claim.account)
        except BaseException:
            try:
                await self._store.forget_guest(name)
            except Exception as error:  # the store is away: the name stays taken
                logger.warning("could not give a guest's name back: %r", error)
            raise

    async def is_banned(self, name: str) -> bool:
        """Banned from the whole chat (core/moderation.py): no session opens for it."""
        return self._is_banned is not None and await self._is_banned(name)

    async def _banned(self, name: str) -> bool:
        return await self.is_banned(name)

    async def ended_reason(self, name: str) -> str:
        """What to tell a connection whose session ended: signed out, or banned."""
        return BANNED if await self.is_banned(name) else SIGNED_OUT

    async def _open(self, name: str, kind: SessionKind, *, label: str | None) -> SignedIn:
        token = new_token(kind)
        expires = None if kind is SessionKind.ACCESS_TOKEN else self._expiry()
        session_id = await self._store.add_session(
            name, token_hash(token), kind=kind, label=label, expires_at=expires
        )
        return await self._signed_in(name, token, session_id)

    async def _signed_in(
        self, name: str, token: str, session_id: int, *, written: Account | None = None
    ) -> SignedIn:
        """The session is stored: refused if the account is banned, else its account (read,
        or `written`: an account made in the session's own transaction, nobody else's yet)."""
        # Every new session comes through here: a banned account keeps none. Checked once,
        # after the session exists: a ban from before ends it here, and a ban landing later
        # finds it and ends it (one store call less per join than checking before as well).
        if await self._banned(name):
            await self._end(name, session_ids=[session_id])
            raise UnauthorizedError(BANNED)
        account = written if written is not None else await self._store.account(name)
        if account is None:  # no such account (any more)
            raise UnauthorizedError(SIGNED_OUT)
        return SignedIn(account, session_id, token)

    def _expiry(self) -> datetime:
        return self._now() + timedelta(days=SESSION_DAYS)

    # -- proving it again -----------------------------------------------------------------------

    async def authenticate(self, token: object) -> Authenticated | None:
        """The account and session a token stands for, or None (ended, expired, forged)."""
        if not looks_like_token(token):
            return None
        assert isinstance(token, str)
        now = self._now()
        found = await self._store.session(token_hash(token), now)
        if found is None:
            return None
        # Its sessions ended with the ban; this closes a sign-in racing with it.
        if await self._banned(found.account.user_name):
            return None
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            expires = None if found.kind is SessionKind.ACCESS_TOKEN else self._expiry()
            await self._store.touch_session(found.session_id, now, expires)
        return Authenticated(found.account, found.session_id, found.kind)

    async def redeem_legacy_token(self, token: object, kind: SessionKind) -> SignedIn | None:
        """A signed name from before accounts opens the first session of that guest name, once:
        the client keeps the session token from then on, so a copy of the old token (valid for
        30 days, and never revocable) opens nothing later. Once the name has a password, only
        the password does."""
        name = self._legacy.verify(token) if self._legacy else None
        if name is None:
            return None
        account = await self._store.account(name)
        if account is None or not account.is_guest or await self._banned(name):
            return None
        session_token = new_token(kind)
        session_id = await self._store.add_first_session(
            account.user_name, token_hash(session_token), kind=kind, expires_at=self._expiry()
        )
        if session_id is None:
            return None
        return SignedIn(account, session_id, session_token)

    async def still_signed_in(self, session_ids: Sequence[int]) -> set[int]:
        """Which of these sessions are still live (the rest ended while a process was not
        listening)."""
        ended = await self._store.ended_among(session_ids, self._now())
        return set(session_ids) - ended

    async def _live(self, auth: Authenticated) -> Account:
        """The account as it is now, if the session still is."""
        if await self._store.ended_among([auth.session_id], self._now()):
            raise UnauthorizedError(SIGNED_OUT)
        account = await self._store.account(auth.account.user_name)
        if account is None:
            raise UnauthorizedError(SIGNED_OUT)
        return account

    # -- ending sessions ------------------------------------------------------------------------

    async def sign_out(self, auth: Authenticated) -> None:
        await self._end(auth.account.user_name, session_ids=[auth.session_id])

    async def sign_out_everywhere(self, auth: Authenticated) -> None:
        """Every browser and API session of the account, this one too."""
        await self._end(auth.account.user_name, kinds=SIGN_IN_KINDS)

    async def _end(
        self,
        name: str,
        *,
        session_ids: Sequence[int] | None = None,
        kinds: Sequence[SessionKind] | None = None,
        keep: int | None = None,
    ) -> list[int]:
        ended = await self._store.end_sessions(
            name, self._now(), session_ids=session_ids, kinds=kinds, keep=keep
        )
        if ended:
            await self._bus.publish(SessionsEnded(name, tuple(ended)))
        return ended

    async def end_every_session(self, user_name: str) -> None:
        """Every session of the account (browser, API, access tokens) ends on every process:
        what a ban from the whole chat does (core/moderation.py)."""
        await self._end(user_name)

    # -- passwords ------------------------------------------------------------------------------

    async def change_password(
        self,
        auth: Authenticated,
        current: object,
        new: object,
        *,
        origin: Origin | None = None,
    ) -> None:
        """A new password (the current one first): every other sign-in of the account ends."""
        account = await self._live(auth)
        await self._limits.spend(Action.SIGN_IN, account.user_name, origin)
        credentials = await self._store.credentials(account.user_name)
        typed = normalise_password(current) if isinstance(current, str) else ""
        if credentials is None or not await self._hasher.verify(credentials.password_hash, typed):
            raise ChatError(WRONG_PASSWORD)
        checked = check_new_password(new, account.user_name)
        await self._store.set_password(account.user_name, await self._hasher.hash(checked))
        await self._end(account.user_name, kinds=SIGN_IN_KINDS, keep=auth.session_id)

    async def become_member(
        self, auth: Authenticated, password: object, *, origin: Origin | None = None
    ) -> Account:
        """A guest (or an account from an identity provider) chooses a password: the name, its
        rooms and history stay theirs, and it can now sign in anywhere."""
        account = await self._live(auth)
        await self._limits.spend(Action.PROFILE, account.user_name, origin)
        if account.has_password:
            raise ValidationError("You already have a password: change it instead.")
        checked = check_new_password(password, account.user_name)
        await self._store.set_password(
            account.user_name, await self._hasher.hash(checked), kind=AccountKind.MEMBER
        )
        await self._settle_roles()
        return await self._live(auth)

    # -- profile --------------------------------------------------------------------------------

    async def update_profile(
        self,
        auth: Authenticated,
        *,
        display_name: str | None,
        status: str | None,
        origin: Origin | None = None,
    ) -> Account:
        account = await self._live(auth)
        await self._limits.spend(Action.PROFILE, account.user_name, origin)
        updated = await self._store.set_profile(
            account.user_name,
            display_name=_clean_display_name(display_name),
            status=_clean_line(status, MAX_STATUS_LENGTH, "status"),
        )
        await self._bus.publish(ProfileChanged(updated.user_name, updated.profile))
        return updated

    async def set_avatar(
        self, auth: Authenticated, image: bytes | None, *, origin: Origin | None = None
    ) -> Account:
        """Keep an avatar that media/avatars.py re-encoded (never raw upload bytes), or None to
        go back to initials."""
        account = await self._live(auth)
        await self._limits.spend(Action.PROFILE, account.user_name, origin)
        return await self._keep_avatar(account.user_name, image)

    async def set_avatar_from(
        self,
        auth: Authenticated,
        reencoded: Callable[[], Awaitable[bytes]],
        *,
        origin: Origin | None = None,
    ) -> Account:
        """Keep the avatar `reencoded()` makes from an upload (it reads and re-encodes it). The
        session and the budget are checked first: decoding a picture costs real CPU, so a flood
        of uploads is refused before any of it is spent."""
        account = await self._live(auth)
        await self._limits.spend(Action.PROFILE, account.user_name, origin)
        return await self._keep_avatar(account.user_name, await reencoded())

    async def _keep_avatar(self, user_name: str, image: bytes | None) -> Account:
        updated = await self._store.set_avatar(user_name, image)
        await self._bus.publish(ProfileChanged(updated.user_name, updated.profile))
        return updated

    def upload_ticket(self, auth: Authenticated) -> str:
        """A short-lived ticket an upload (the avatar's `PUT`) carries instead of a session
        token: see tickets.py."""
        if self._tickets is None:
            raise ChatError("Uploads are not enabled on this server.")
        return self._tickets.issue(auth.account.user_name, auth.session_id, auth.kind)

    async def redeem_upload_ticket(self, ticket: object) -> Authenticated | None:
        """The session an upload ticket was issued for, if the ticket is genuine and recent and
        the session still live; None otherwise."""
        found = self._tickets.verify(ticket) if self._tickets is not None else None
        if found is None:
            return None
        name, session_id, kind = found
        if await self._store.ended_among([session_id], self._now()):
            return None
        account = await self._store.account(name)
        if account is None:
            return None
        return Authenticated(account, session_id, kind)

    async def avatar(self, user_name: str) -> tuple[int, bytes] | None:
        return await self._store.avatar(user_name)

    async def profiles(self, user_names: Sequence[str]) -> dict[str, Profile]:
        return await self._store.profiles(user_names)

    async def account(self, user_name: str) -> Account | None:
        return await self._store.account(user_name)

    # -- personal access tokens -----------------------------------------------------------------

    async def create_access_token(
        self, auth: Authenticated, label: str, *, origin: Origin | None = None
    ) -> SignedIn:
        """A token a console or a bot signs in with as this account, until it is revoked. Its
        secret is in the answer only."""
        account = await self._live(auth)
        await self._limits.spend(Action.PROFILE, account.user_name, origin)
        if account.is_guest:
            raise ValidationError(MEMBERS_ONLY)
        if auth.kind is SessionKind.ACCESS_TOKEN:
            raise ValidationError("An access token cannot make more tokens.")
        clean_label = _clean_line(label, MAX_TOKEN_LABEL_LENGTH, "label")
        if clean_label is None:
            raise ValidationError("Give the token a name, such as the machine it is for.")
        existing = await self.access_tokens(auth)
        if len(existing) >= MAX_ACCESS_TOKENS:
            raise ValidationError(
                f"You have {MAX_ACCESS_TOKENS} tokens already. Revoke one you no longer use."
            )
        return await self._open(account.user_name, SessionKind.ACCESS_TOKEN, label=clean_label)

    async def access_tokens(self, auth: Authenticated) -> list[SessionInfo]:
        account = await self._live(auth)
        return await self._store.sessions_of(
            account.user_name, [SessionKind.ACCESS_TOKEN], self._now()
        )

    async def revoke_access_token(self, auth: Authenticated, session_id: int) -> bool:
        """False if the account has no such live token."""
        account = await self._live(auth)
        ended = await self._end(
            account.user_name, session_ids=[session_id], kinds=[SessionKind.ACCESS_TOKEN]
        )
        return bool(ended)

    # -- roles ----------------------------------------------------------------------------------

    async def settle_roles(self) -> None:
        """At start: the configured admins, or the first account when none are."""
        await self._settle_roles()

    async def _settle_roles(self) -> None:
        if self._admins is not None:
            await self._store.set_admins(self._admins)
            return
        first = await self._store.first_member()
        await self._store.set_admins([first] if first else [])

    async def is_admin(self, user_name: str) -> bool:
        account = await self._store.account(user_name)
        return account is not None and account.role is Role.ADMIN


def _name_from(preferred: str | None) -> str | None:
    if not preferred:
        return None
    kept = "".join(ch for ch in preferred if ch.isalnum() or ch in "._- ")
    return kept.strip()[:32] or None


def _clean_line(text: str | None, limit: int, what: str) -> str | None:
    return None if text is None else clean_line(text, limit=limit, what=what)


def _clean_display_name(text: str | None) -> str | None:
    cleaned = _clean_line(text, MAX_DISPLAY_NAME_LENGTH, "display name")
    # The name rules too: a display name is shown where a name is.
    return None if cleaned is None else clean_user_name(cleaned, max_length=MAX_DISPLAY_NAME_LENGTH)


def _taken(name: str, holder: str) -> NameTakenError:
    """`name` cannot be claimed: `holder` has it, in any case, or a name too much like it."""
    if user_key(unicodedata.normalize("NFKC", holder)) == user_key(name):
        return NameTakenError(NAME_TAKEN.format(name=name))
    return NameTakenError(LOOKS_LIKE.format(name=name, other=holder))
