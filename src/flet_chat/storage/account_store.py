"""SqlAccountStore: the AccountStore port (accounts, sessions, avatars, identity links)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flet_chat.core.accounts.models import (
    Account,
    AccountKind,
    Profile,
    Role,
    SessionInfo,
    SessionKind,
)
from flet_chat.core.accounts.ports import Claim, Credentials, NewSession, StoredSession
from flet_chat.core.rooms import user_key
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import avatars, identities, sessions, users

_ACCOUNT_COLUMNS = (
    users.c.user_name,
    users.c.kind,
    users.c.role,
    users.c.password_hash,
    users.c.display_name,
    users.c.status,
    users.c.avatar_version,
    users.c.created_at,
    exists().where(avatars.c.user_key == users.c.user_key).label("has_avatar"),
)

# The statements of every guest's join are built once (see room_store).
_ACCOUNT_ROW = select(*_ACCOUNT_COLUMNS).where(users.c.user_key == bindparam("account_key"))
_PROFILES = select(users.c.user_key, *_ACCOUNT_COLUMNS).where(
    users.c.user_key.in_(bindparam("account_keys", expanding=True))
)
# Expired sessions of a user go when a new one comes: the table stays small.
_DROP_DEAD_SESSIONS = delete(sessions).where(
    sessions.c.user_key == bindparam("owner_key"),
    or_(sessions.c.expires_at < bindparam("now"), sessions.c.ended_at.is_not(None)),
)
_INSERT_SESSION = insert(sessions).returning(sessions.c.id)


class SqlAccountStore:
    def __init__(self, engine: AsyncEngine, messages_store: SqlStore) -> None:
        self._engine = engine
        self._writes = messages_store  # shares its write queue (one writer on SQLite)
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else pg.insert
        # No conflict target: either unique key (the name in any case, or its skeleton) makes
        # a claim a no-op, and the database decides which of two racing claims wins.
        self._claim_name = self._insert(users).on_conflict_do_nothing()

    # -- accounts -------------------------------------------------------------------------------

    async def create_account(
        self,
        user_name: str,
        skeleton: str,
        *,
        kind: AccountKind,
        password_hash: str | None,
        role: Role,
    ) -> str | None:
        claim = _claim_values(user_name, skeleton, kind, password_hash, role)
        async with self._writes.writing() as conn:
            return await self._claim(conn, claim)

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
        claim = _claim_values(user_name, skeleton, kind, password_hash, role)
        async with self._writes.writing() as conn:
            holder = await self._claim(conn, claim)
            if holder is not None:
                return Claim(holder)
            # A new account has no sessions to drop (forget_guest takes a guest's with it).
            session_id = await _insert_session(
                conn,
                claim["user_key"],
                session.token_hash,
                session.kind,
                session.label,
                session.expires_at,
            )
        # The row as written, with its columns' defaults: no profile yet, no avatar.
        account = Account(
            user_name=user_name,
            kind=kind,
            role=role,
            profile=Profile(),
            has_password=password_hash is not None,
            created_at=claim["created_at"],
        )
        return Claim(None, account, session_id)

    async def _claim(self, conn: AsyncConnection, claim: dict[str, Any]) -> str | None:
        for _ in range(3):
            if (await conn.execute(self._claim_name, claim)).rowcount > 0:
                return None
            holder = await name_holder(conn, claim["user_name"], claim["skeleton"])
            if holder is not None:
                return holder
            # The row in the way was given back in between: try again.
        return str(claim["user_name"])  # given back and taken again each time: call it taken

    async def credentials(self, user_name: str) -> Credentials | None:
        row = await self._account_row(user_name)
        return None if row is None else Credentials(_account(row), row.password_hash)

    async def account(self, user_name: str) -> Account | None:
        row = await self._account_row(user_name)
        return None if row is None else _account(row)

    async def _account_row(self, user_name: str) -> Any:
        async with self._engine.connect() as conn:
            found = await conn.execute(_ACCOUNT_ROW, {"account_key": user_key(user_name)})
            return found.first()

    async def set_password(
        self, user_name: str, password_hash: str, *, kind: AccountKind | None = None
    ) -> None:
        values: dict[str, object] = {"password_hash": password_hash}
        if kind is not None:
            values["kind"] = kind.value
        async with self._writes.writing() as conn:
            await conn.execute(
                update(users).where(users.c.user_key == user_key(user_name)).values(**values)
            )

    async def set_admins(self, user_names: Iterable[str]) -> None:
        keys = [user_key(name) for name in user_names]
        async with self._writes.writing() as conn:
            await conn.execute(
                update(users)
                .where(
                    users.c.role == Role.ADMIN.value,
                    or_(users.c.user_key.not_in(keys), users.c.kind == AccountKind.GUEST.value),
                )
                .values(role=Role.MEMBER.value)
            )
            if keys:
                # Never a guest: a name in FLET_CHAT_ADMINS taken by a guest (no password
                # needed) before its owner signed up must not make that guest the admin.
                await conn.execute(
                    update(users)
                    .where(
                        users.c.user_key.in_(keys),
                        users.c.role != Role.ADMIN.value,
                        users.c.kind != AccountKind.GUEST.value,
                    )
                    .values(role=Role.ADMIN.value)
                )

    async def first_member(self) -> str | None:
        # The admin stays the admin: a guest from before the first sign-up who chooses a
        # password later is older, but must not take the role over.
        query = (
            select(users.c.user_name)
            .where(users.c.kind == AccountKind.MEMBER.value)
            .order_by(
                case((users.c.role == Role.ADMIN.value, 0), else_=1),
                users.c.created_at,
                users.c.user_key,
            )
            .limit(1)
        )
        async with self._engine.connect() as conn:
            first: str | None = (await conn.execute(query)).scalar_one_or_none()
            return first

    async def forget_guest(self, user_name: str) -> None:
        key = user_key(user_name)
        async with self._writes.writing() as conn:
            gone = await conn.execute(
                delete(users).where(
                    users.c.user_key == key, users.c.kind == AccountKind.GUEST.value
                )
            )
            if gone.rowcount:
                await conn.execute(delete(sessions).where(sessions.c.user_key == key))

    # -- profiles -------------------------------------------------------------------------------

    async def set_profile(
        self, user_name: str, *, display_name: str | None, status: str | None
    ) -> Account:
        async with self._writes.writing() as conn:
            await conn.execute(
                update(users)
                .where(users.c.user_key == user_key(user_name))
                .values(display_name=display_name, status=status)
            )
        return await self._must(user_name)

    async def set_avatar(self, user_name: str, image: bytes | None) -> Account:
        key = user_key(user_name)
        async with self._writes.writing() as conn:
            await conn.execute(delete(avatars).where(avatars.c.user_key == key))
            if image is not None:
                await conn.execute(insert(avatars).values(user_key=key, image=image))
            # Up either way: an image cached under an old version is never shown again.
            await conn.execute(
                update(users)
                .where(users.c.user_key == key)
                .values(avatar_version=users.c.avatar_version + 1)
            )
        return await self._must(user_name)

    async def avatar(self, user_name: str) -> tuple[int, bytes] | None:
        query = (
            select(users.c.avatar_version, avatars.c.image)
            .join(avatars, avatars.c.user_key == users.c.user_key)
            .where(users.c.user_key == user_key(user_name))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (int(row.avatar_version), bytes(row.image))

    async def profiles(self, user_names: Iterable[str]) -> dict[str, Profile]:
        by_key = {user_key(name): name for name in user_names}
        if not by_key:
            return {}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_PROFILES, {"account_keys": list(by_key)})).all()
        return {by_key[row.user_key]: _profile(row) for row in rows}

    async def _must(self, user_name: str) -> Account:
        account = await self.account(user_name)
        if account is None:
            raise LookupError(user_name)
        return account

    # -- sessions -------------------------------------------------------------------------------

    async def add_session(
        self,
        user_name: str,
        token_hash: str,
        *,
        kind: SessionKind,
        label: str | None,
        expires_at: datetime | None,
    ) -> int:
        now = datetime.now(UTC)
        key = user_key(user_name)
        async with self._writes.writing() as conn:
            await conn.execute(_DROP_DEAD_SESSIONS, {"owner_key": key, "now": now})
            return await _insert_session(conn, key, token_hash, kind, label, expires_at)

    async def add_first_session(
        self, user_name: str, token_hash: str, *, kind: SessionKind, expires_at: datetime | None
    ) -> int | None:
        key = user_key(user_name)
        async with self._writes.writing() as conn:
            # A write first, before the read: it takes the account's row lock on PostgreSQL and
            # the database's write lock on SQLite (other processes share the file), so a second
            # request waits here and then sees the first one's session.
            locked = await conn.execute(
                update(users).where(users.c.user_key == key).values(user_key=users.c.user_key)
            )
            if locked.rowcount == 0:
                return None  # no such account
            had = await conn.execute(select(sessions.c.id).where(sessions.c.user_key == key))
            if had.first() is not None:
                return None
            return await _insert_session(conn, key, token_hash, kind, None, expires_at)

    async def session(self, token_hash: str, now: datetime) -> StoredSession | None:
        async with self._engine.connect() as conn:
            found = await conn.execute(_SESSION, {"hash": token_hash, "now": now})
            row = found.first()
        if row is None:
            return None
        return StoredSession(
            _account(row), int(row.id), SessionKind(row.session_kind), _utc(row.last_used_at)
        )

    async def touch_session(
        self, session_id: int, now: datetime, expires_at: datetime | None
    ) -> None:
        values: dict[str, object] = {"last_used_at": now}
        if expires_at is not None:
            values["expires_at"] = expires_at
        async with self._writes.writing() as conn:
            await conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))

    async def sessions_of(
        self, user_name: str, kinds: Iterable[SessionKind], now: datetime
    ) -> list[SessionInfo]:
        query = (
            select(
                sessions.c.id,
                sessions.c.kind,
                sessions.c.label,
                sessions.c.created_at,
                sessions.c.last_used_at,
            )
            .where(
                sessions.c.user_key == user_key(user_name),
                sessions.c.kind.in_([k.value for k in kinds]),
                _live(now),
            )
            .order_by(sessions.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SessionInfo(
                int(r.id),
                SessionKind(r.kind),
                r.label,
                _utc(r.created_at) or now,
                _utc(r.last_used_at),
            )
            for r in rows
        ]

    async def end_sessions(
        self,
        user_name: str,
        now: datetime,
        *,
        session_ids: Iterable[int] | None = None,
        kinds: Iterable[SessionKind] | None = None,
        keep: int | None = None,
    ) -> list[int]:
        conditions = [sessions.c.user_key == user_key(user_name), _live(now)]
        if session_ids is not None:
            conditions.append(sessions.c.id.in_(list(session_ids)))
        if kinds is not None:
            conditions.append(sessions.c.kind.in_([k.value for k in kinds]))
        if keep is not None:
            conditions.append(sessions.c.id != keep)
        async with self._writes.writing() as conn:
            result = await conn.execute(
                update(sessions)
                .where(and_(*conditions))
                .values(ended_at=now)
                .returning(sessions.c.id)
            )
            return sorted(int(i) for i in result.scalars())

    async def ended_among(self, session_ids: Iterable[int], now: datetime) -> set[int]:
        wanted = set(session_ids)
        if not wanted:
            return set()
        asked = {"session_ids": list(wanted), "now": now}
        async with self._engine.connect() as conn:
            live = {int(i) for i in (await conn.execute(_LIVE_AMONG, asked)).scalars()}
        return wanted - live

    # -- identity providers ---------------------------------------------------------------------

    async def linked_account(self, provider: str, subject: str) -> str | None:
        query = (
            select(users.c.user_name)
            .join(identities, identities.c.user_key == users.c.user_key)
            .where(identities.c.provider == provider, identities.c.subject == subject)
        )
        async with self._engine.connect() as conn:
            name: str | None = (await conn.execute(query)).scalar_one_or_none()
            return name

    async def link_identity(self, provider: str, subject: str, user_name: str) -> None:
        try:
            async with self._writes.writing() as conn:
                await conn.execute(
                    insert(identities).values(
                        provider=provider, subject=subject, user_key=user_key(user_name)
                    )
                )
        except IntegrityError:
            pass  # linked by a sign-in racing this one: the first link stands


def _claim_values(
    user_name: str, skeleton: str, kind: AccountKind, password_hash: str | None, role: Role
) -> dict[str, Any]:
    return {
        "user_key": user_key(user_name),
        "user_name": user_name,
        "skeleton": skeleton,
        "created_at": datetime.now(UTC),
        "kind": kind.value,
        "role": role.value,
        "password_hash": password_hash,
    }


async def _insert_session(
    conn: AsyncConnection,
    key: str,
    token_hash: str,
    kind: SessionKind,
    label: str | None,
    expires_at: datetime | None,
) -> int:
    now = datetime.now(UTC)
    session = {
        "user_key": key,
        "token_hash": token_hash,
        "kind": kind.value,
        "label": label,
        "created_at": now,
        "last_used_at": now,
        "expires_at": expires_at,
    }
    result = await conn.execute(_INSERT_SESSION, session)
    return int(result.scalar_one())


async def name_holder(conn: AsyncConnection, user_name: str, skeleton: str) -> str | None:
    """The claimed name that is `user_name` in any case, else one with its skeleton."""
    key = user_key(user_name)
    query = (
        select(users.c.user_name)
        .where(or_(users.c.user_key == key, users.c.skeleton == skeleton))
        .order_by(case((users.c.user_key == key, 0), else_=1))
        .limit(1)
    )
    holder: str | None = (await conn.execute(query)).scalar_one_or_none()
    return holder


def _live(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return and_(
        sessions.c.ended_at.is_(None),
        or_(sessions.c.expires_at.is_(None), sessions.c.expires_at > now),
    )


# Every restored tab and every reconnect asks for its session by the token's hash; the
# session watch asks which of its connections' sessions still live.
_SESSION = (
    select(
        sessions.c.id,
        # Both tables have a `kind`: the row's `kind` would be the account's.
        sessions.c.kind.label("session_kind"),
        sessions.c.last_used_at,
        *_ACCOUNT_COLUMNS,
    )
    .join(users, users.c.user_key == sessions.c.user_key)
    .where(sessions.c.token_hash == bindparam("hash"), _live(bindparam("now")))
)
_LIVE_AMONG = select(sessions.c.id).where(
    sessions.c.id.in_(bindparam("session_ids", expanding=True)), _live(bindparam("now"))
)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every one stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _profile(row: Any) -> Profile:
    return Profile(row.display_name, row.status, int(row.avatar_version) if row.has_avatar else 0)


def _account(row: Any) -> Account:
    return Account(
        user_name=row.user_name,
        kind=AccountKind(row.kind),
        role=Role(row.role),
        profile=_profile(row),
        has_password=row.password_hash is not None,
        created_at=_utc(row.created_at) or datetime.now(UTC),
    )
