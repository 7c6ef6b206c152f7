"""Accounts, sessions and roles: who someone is, and what proves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AccountKind(StrEnum):
    GUEST = "guest"  # a name taken without a password: this browser's session is all it has
    MEMBER = "member"  # signs in anywhere with a password or an identity provider


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class SessionKind(StrEnum):
    BROWSER = "browser"  # a Flet session's sign-in, kept in the browser's storage
    API = "api"  # a Socket.IO client's sign-in
    ACCESS_TOKEN = "token"  # a personal access token: made in the profile, until revoked


@dataclass(frozen=True, slots=True)
class Profile:
    """What others see of an account beside its name."""

    display_name: str | None = None
    status: str | None = None
    avatar_version: int = 0  # 0: no avatar (initials are drawn); bumped by each new one


@dataclass(frozen=True, slots=True)
class Account:
    user_name: str
    kind: AccountKind
    role: Role
    profile: Profile
    has_password: bool
    created_at: datetime

    @property
    def is_guest(self) -> bool:
        return self.kind is AccountKind.GUEST

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session as its owner may see it (never its token, which only its client has)."""

    session_id: int
    kind: SessionKind
    label: str | None
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A token that checked out: whose it is, and which session it belongs to."""

    account: Account
    session_id: int
    kind: SessionKind


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: `token` goes to the client once and is never stored in clear."""

    account: Account
    session_id: int
    token: str
