"""What the account rules need from storage (storage/account_store.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flet_chat.core.accounts.models import (
    Account,
    AccountKind,
    Profile,
    Role,
    SessionInfo,
    SessionKind,
)


@dataclass(frozen=True, slots=True)
class Credentials:
    account: Account
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session to store: its token's hash, never the token."""

    token_hash: str
    kind: SessionKind
    label: str | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Claim:
    """What claiming a name with a first session did: the new account as written and its
    session's id, or else `holder`, the claimed name in the way (and no session)."""

    holder: str | None
    account: Account | None = None
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredSession:
    account: Account
    session_id: int
    kind: SessionKind
    last_used_at: datetime | None


class AccountStore(Protocol):
    async def create_account(
        self,
        user_name: str,
        skeleton: str,
        *,
        kind: AccountKind,
        password_hash: str | None,
        role: Role,
    ) -> str | None:
        """Claim the name for a new account, in one step two processes cannot both win: None
        if it is now this account's, else the claimed name in the way (the same name in any
        case before a look-alike)."""
        ...

    async def create_account_with_session(
        self,
        user_name: str,
        skeleton: str,
        *,
        kind: AccountKind,
        password_hash: str | None,
        role: Role,
        session: NewSession,
    ) -> Claim:
        """`create_account`, and if the name is claimed, its first session, in one transaction:
        a guest's join writes once, not twice."""
        ...

    async def credentials(self, user_name: str) -> Credentials | None:
        """The account named `user_name` in any case, with its password hash."""
        ...

    async def account(self, user_name: str) -> Account | None: ...

    async def set_password(
        self, user_name: str, password_hash: str, *, kind: AccountKind | None = None
    ) -> None:
        """A new password hash (and, for a guest who signs up, the member kind)."""
        ...

    async def set_admins(self, user_names: Iterable[str]) -> None:
        """Exactly these accounts (by name in any case) are admins, unless they are guests; the
        others are members."""
        ...

    async def forget_guest(self, user_name: str) -> None:
        """Remove a guest account and its sessions (a join that failed gives the name back)."""
        ...

    async def first_member(self) -> str | None:
        """The admin when none is configured: an account that is admin already and not a guest,
        else the earliest account that is not a guest."""
        ...

    async def set_profile(
        self, user_name: str, *, display_name: str | None, status: str | None
    ) -> Account: ...

    async def set_avatar(self, user_name: str, image: bytes | None) -> Account:
        """Store the (already re-encoded) avatar, or remove it; bumps the avatar version."""
        ...

    async def avatar(self, user_name: str) -> tuple[int, bytes] | None:
        """The avatar's version and image, if the account has one."""
        ...

    async def profiles(self, user_names: Iterable[str]) -> dict[str, Profile]:
        """Profiles of the accounts among `user_names`, keyed by the names as given."""
        ...

    async def add_session(
        self,
        user_name: str,
        token_hash: str,
        *,
        kind: SessionKind,
        label: str | None,
        expires_at: datetime | None,
    ) -> int:
        """Store a new session; returns its id."""
        ...

    async def add_first_session(
        self, user_name: str, token_hash: str, *, kind: SessionKind, expires_at: datetime | None
    ) -> int | None:
        """Store the account's first session ever, in one step two requests cannot both win;
        None if it has had one (live or not)."""
        ...

    async def session(self, token_hash: str, now: datetime) -> StoredSession | None:
        """The live (not ended, not expired) session with this token hash, and its account."""
        ...

    async def touch_session(
        self, session_id: int, now: datetime, expires_at: datetime | None
    ) -> None:
        """Record a use (and push back the expiry of a browser session)."""
        ...

    async def sessions_of(
        self, user_name: str, kinds: Iterable[SessionKind], now: datetime
    ) -> list[SessionInfo]:
        """The user's live sessions of `kinds`, oldest first."""
        ...

    async def end_sessions(
        self,
        user_name: str,
        now: datetime,
        *,
        session_ids: Iterable[int] | None = None,
        kinds: Iterable[SessionKind] | None = None,
        keep: int | None = None,
    ) -> list[int]:
        """End the user's live sessions among `session_ids` (all if None) of `kinds` (all if
        None) but `keep`; returns the ids it ended."""
        ...

    async def ended_among(self, session_ids: Iterable[int], now: datetime) -> set[int]:
        """Which of these sessions have ended or expired (or never existed)."""
        ...

    async def linked_account(self, provider: str, subject: str) -> str | None:
        """The name of the account an identity provider's user is linked to."""
        ...

    async def link_identity(self, provider: str, subject: str, user_name: str) -> None: ...
