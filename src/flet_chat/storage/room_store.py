"""SqlRoomStore: the RoomStore port (rooms, members, read markers, unread counts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flet_chat.core.limits import DEFAULT_ROOM, MAX_ROOM_DIRECTORY, UNREAD_CAP
from flet_chat.core.models import Membership, MessageKind, Room, RoomKind, RoomRole, RoomState
from flet_chat.core.rooms import user_key
from flet_chat.storage.account_store import name_holder
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import mentions, messages, room_members, rooms

# What counts as unread: what people said, not who came and went.
_UNREAD_KINDS = (MessageKind.CHAT.value, MessageKind.ACTION.value)

# The statements every join runs are built once, their values passed as parameters: building
# and keying one cost about as much as SQLite running it (`python -m bench.join_store`).

# Messages someone else wrote. Names are one person whatever their case ("alice" joined
# yesterday is "Alice" today); lower() is what both databases offer for that.
_NOT_BY_READER = func.lower(messages.c.user_name) != bindparam("reader_lower", type_=String)

# A room and the user's member row in it, if any.
_STANDING = (
    select(
        rooms.c.kind,
        rooms.c.archived_at,
        rooms.c.slow_mode_seconds,
        room_members.c.user_name,
        room_members.c.role,
        room_members.c.muted_until,
    )
    .select_from(
        rooms.outerjoin(
            room_members,
            and_(
                room_members.c.room == rooms.c.key,
                room_members.c.user_key == bindparam("reader_key"),
            ),
        )
    )
    .where(rooms.c.key == bindparam("room_key"))
)

# The user's member rows with their rooms, and #general's own row with no member's values
# (its settings apply to a user who has no marker there yet: a new one, on every join). One
# statement: the member rows' last_read_id is never NULL, #general's own row's always is.
_ROOMS_OF = union_all(
    select(
        room_members.c.room,
        room_members.c.last_read_id,
        room_members.c.role,
        room_members.c.muted_until,
        rooms.c.kind,
        rooms.c.archived_at,
        rooms.c.slow_mode_seconds,
    )
    .join(rooms, rooms.c.key == room_members.c.room)
    .where(room_members.c.user_key == bindparam("reader_key")),
    select(
        rooms.c.key,
        cast(null(), room_members.c.last_read_id.type),
        cast(null(), room_members.c.role.type),
        cast(null(), room_members.c.muted_until.type),
        rooms.c.kind,
        rooms.c.archived_at,
        rooms.c.slow_mode_seconds,
    ).where(rooms.c.key == DEFAULT_ROOM),
)

# Unread messages after the reader's marker, counted up to UNREAD_CAP.
_UNREAD_COUNT = select(func.count()).select_from(
    select(messages.c.id)
    .where(
        messages.c.room == bindparam("room_key"),
        messages.c.id > bindparam("last_read"),
        messages.c.kind.in_(_UNREAD_KINDS),
        messages.c.deleted_at.is_(None),
        _NOT_BY_READER,
    )
    .limit(UNREAD_CAP)
    .subquery()
)

# Whether someone else named the reader after their marker.
_MENTIONED = select(
    exists().where(
        mentions.c.user_key == bindparam("reader_key"),
        mentions.c.room == bindparam("room_key"),
        mentions.c.message_id > bindparam("last_read"),
        messages.c.id == mentions.c.message_id,
        _NOT_BY_READER,  # naming yourself is no news
    )
)

# The reader's marker moves forward only (two tabs may mark read out of order).
_MARK_READ = (
    update(room_members)
    .where(
        room_members.c.room == bindparam("room_key"),
        room_members.c.user_key == bindparam("reader_key"),
        room_members.c.last_read_id < bindparam("read_up_to"),
    )
    .values(last_read_id=bindparam("read_up_to"))
)


class SqlRoomStore:
    def __init__(self, engine: AsyncEngine, messages_store: SqlStore) -> None:
        self._engine = engine
        self._writes = messages_store  # shares its write queue (one writer on SQLite)
        dialect_insert = sqlite.insert if engine.dialect.name == "sqlite" else pg.insert
        # A member row, or nothing if the user has one already.
        self._insert_if_new = dialect_insert(room_members).on_conflict_do_nothing(
            index_elements=[room_members.c.room, room_members.c.user_key]
        )

    async def name_holder(self, user_name: str, skeleton: str) -> str | None:
        async with self._engine.connect() as conn:
            return await name_holder(conn, user_name, skeleton)

    async def create_room(self, room: Room, created_by: str) -> bool:
        now = datetime.now(UTC)
        try:
            async with self._writes.writing() as conn:
                await conn.execute(
                    insert(rooms).values(
                        key=room.key, kind=room.kind.value, created_by=created_by, created_at=now
                    )
                )
                owner = room.kind is not RoomKind.DIRECT
                for name in room.members:
                    role = RoomRole.OWNER if owner and name == created_by else RoomRole.MEMBER
                    await _insert_member(conn, room.key, name, last_read_id=0, now=now, role=role)
        except IntegrityError:
            return False
        return True

    async def get_room(self, key: str) -> Room | None:
        query = select(rooms.c.kind, rooms.c.archived_at, rooms.c.slow_mode_seconds).where(
            rooms.c.key == key
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            kind = RoomKind(row.kind)
            members = await _member_names(conn, key) if kind is RoomKind.DIRECT else []
        return Room(
            key,
            kind,
            members=tuple(members),
            archived=row.archived_at is not None,
            slow_mode_seconds=int(row.slow_mode_seconds),
        )

    async def membership(self, key: str, user_name: str) -> Membership | None:
        query = select(
            room_members.c.user_name, room_members.c.role, room_members.c.muted_until
        ).where(room_members.c.room == key, room_members.c.user_key == user_key(user_name))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _membership(key, row)

    async def standing(self, key: str, user_name: str) -> tuple[Room | None, Membership | None]:
        async with self._engine.connect() as conn:
            found = await conn.execute(
                _STANDING, {"reader_key": user_key(user_name), "room_key": key}
            )
            row = found.first()
            if row is None:
                return None, None
            kind = RoomKind(row.kind)
            members = await _member_names(conn, key) if kind is RoomKind.DIRECT else []
        room = Room(
            key,
            kind,
            members=tuple(members),
            archived=row.archived_at is not None,
            slow_mode_seconds=int(row.slow_mode_seconds),
        )
        return room, None if row.role is None else _membership(key, row)

    async def memberships(self, key: str) -> list[Membership]:
        if key == DEFAULT_ROOM:
            return []
        query = (
            select(room_members.c.user_name, room_members.c.role, room_members.c.muted_until)
            .where(room_members.c.room == key)
            .order_by(room_members.c.user_key)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_membership(key, row) for row in rows]

    async def set_role(self, key: str, user_name: str, role: RoomRole) -> bool:
        async with self._writes.writing() as conn:
            done = await conn.execute(
                update(room_members).where(*_row_of(key, user_name)).values(role=role.value)
            )
        return done.rowcount > 0

    async def transfer_ownership(self, key: str, owner: str, new_owner: str) -> bool:
        async with self._writes.writing() as conn:
            if not await _has_row(conn, key, new_owner):
                return False
            # Only while `owner` still owns it: two transfers at once must not make two owners
            # (on PostgreSQL the second waits for the first's row lock, then matches nothing).
            demoted = await conn.execute(
                update(room_members)
                .where(*_row_of(key, owner), room_members.c.role == RoomRole.OWNER.value)
                .values(role=RoomRole.MODERATOR.value)
            )
            if demoted.rowcount == 0:
                return False
            await conn.execute(
                update(room_members)
                .where(*_row_of(key, new_owner))
                .values(role=RoomRole.OWNER.value)
            )
        return True

    async def set_muted(self, key: str, user_name: str, until: datetime | None) -> bool:
        async with self._writes.writing() as conn:
            if key == DEFAULT_ROOM:  # everyone is in it; a row keeps the mute
                # Read up to now if the row is new: without a row nothing counted as unread,
                # and a row at 0 would count the whole history (rooms_of).
                newest = select(func.coalesce(func.max(messages.c.id), 0)).where(
                    messages.c.room == DEFAULT_ROOM
                )
                last = int((await conn.execute(newest)).scalar_one())
                await conn.execute(self._insert_if_new, _member_values(key, user_name, last))
            done = await conn.execute(
                update(room_members).where(*_row_of(key, user_name)).values(muted_until=until)
            )
        return done.rowcount > 0

    async def set_archived(self, key: str, archived: bool) -> None:
        async with self._writes.writing() as conn:
            await conn.execute(
                update(rooms)
                .where(rooms.c.key == key)
                .values(archived_at=datetime.now(UTC) if archived else None)
            )

    async def set_slow_mode(self, key: str, seconds: int) -> None:
        async with self._writes.writing() as conn:
            await conn.execute(
                update(rooms).where(rooms.c.key == key).values(slow_mode_seconds=seconds)
            )

    async def public_rooms(self, limit: int = MAX_ROOM_DIRECTORY) -> list[Room]:
        # Newest message per room: one seek on ix_messages_room_id each. Rooms nobody talks in
        # fall behind, so a flood of empty rooms cannot push the living ones out.
        newest = (
            select(func.max(messages.c.id))
            .where(messages.c.room == rooms.c.key)
            .correlate(rooms)
            .scalar_subquery()
        )
        query = (
            select(rooms.c.key)
            .where(rooms.c.kind == RoomKind.PUBLIC.value, rooms.c.archived_at.is_(None))
            .order_by(func.coalesce(newest, 0).desc(), rooms.c.created_at.desc(), rooms.c.key)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            keys = (await conn.execute(query)).scalars().all()
        return [Room(key, RoomKind.PUBLIC) for key in sorted(keys)]

    async def rooms_created_since(self, user_name: str, since: datetime) -> int:
        # Compared by user key here, not with the database's lower() (SQLite's knows only
        # ASCII: "Émile" and "éMILE" would be two people). A day's new rooms are few: the caps
        # bound them.
        query = select(rooms.c.created_by).where(
            rooms.c.kind.in_((RoomKind.PUBLIC.value, RoomKind.PRIVATE.value)),
            rooms.c.created_at > since,
        )
        async with self._engine.connect() as conn:
            creators = (await conn.execute(query)).scalars().all()
        me = user_key(user_name)
        return sum(1 for name in creators if name is not None and user_key(name) == me)

    async def add_member(self, key: str, user_name: str) -> bool:
        if key == DEFAULT_ROOM:
            return False  # everyone is in it
        async with self._writes.writing() as conn:
            newest = await conn.execute(
                select(func.max(messages.c.id)).where(messages.c.room == key)
            )
            last_read = int(newest.scalar_one() or 0)
            # Two tabs joining at once on PostgreSQL: the second finds the row, not an error.
            added = await conn.execute(
                self._insert_if_new, _member_values(key, user_name, last_read)
            )
        return added.rowcount > 0

    async def remove_member(self, key: str, user_name: str) -> bool:
        mine = and_(room_members.c.room == key, room_members.c.user_key == user_key(user_name))
        async with self._writes.writing() as conn:
            removed = await conn.execute(room_members.delete().where(mine))
        return removed.rowcount > 0

    async def is_member(self, key: str, user_name: str) -> bool:
        async with self._engine.connect() as conn:
            return await _is_member(conn, key, user_name)

    async def members(self, key: str) -> list[str]:
        if key == DEFAULT_ROOM:
            return []  # everyone: #general keeps read markers only
        async with self._engine.connect() as conn:
            return await _member_names(conn, key)

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        key = user_key(user_name)
        async with self._engine.connect() as conn:
            found = await conn.execute(_ROOMS_OF, {"reader_key": key})
            rows, general_settings = {}, None
            for row in found.all():
                if row.last_read_id is None:
                    general_settings = row  # #general's own: for a user with no marker there
                else:
                    rows[row.room] = row
            general_row = rows.pop(DEFAULT_ROOM, None)
            # A user who never marked #general read has seen nothing: count nothing rather than
            # the whole history.
            states = [
                await self._state(
                    conn, DEFAULT_ROOM, general_row, key, user_name, settings=general_settings
                )
            ]
            for room, row in sorted(rows.items()):
                states.append(await self._state(conn, room, row, key, user_name))
        return states

    async def room_keys_of(self, user_name: str) -> list[str]:
        query = (
            select(room_members.c.room)
            .join(rooms, rooms.c.key == room_members.c.room)
            .where(room_members.c.user_key == user_key(user_name))
        )
        async with self._engine.connect() as conn:
            keys = (await conn.execute(query)).scalars().all()
        return [DEFAULT_ROOM, *sorted(k for k in keys if k != DEFAULT_ROOM)]

    async def _state(
        self,
        conn: AsyncConnection,
        room: str,
        row: Any,
        key: str,
        user_name: str,
        *,
        settings: Any = None,
    ) -> RoomState:
        """`row`: the user's member row joined with the room's; None for #general without one
        (then `settings` is #general's row)."""
        kind = RoomKind(row.kind) if row is not None else RoomKind.PUBLIC
        last_read = int(row.last_read_id) if row is not None else None
        members = await _member_names(conn, room) if kind is RoomKind.DIRECT else []
        shown = row if row is not None else settings
        described = Room(
            room,
            kind,
            members=tuple(members),
            archived=shown is not None and shown.archived_at is not None,
            slow_mode_seconds=int(shown.slow_mode_seconds) if shown is not None else 0,
        )
        ranked = room != DEFAULT_ROOM and kind is not RoomKind.DIRECT and row is not None
        role = RoomRole(row.role) if ranked and row is not None else None
        muted = _utc(row.muted_until) if row is not None and row.muted_until else None
        if last_read is None:
            return RoomState(described, 0, mentioned=False, role=role, muted_until=muted)
        reader = {
            "reader_key": key,
            "reader_lower": user_name.lower(),
            "room_key": room,
            "last_read": last_read,
        }
        count = (await conn.execute(_UNREAD_COUNT, reader)).scalar_one()
        flagged = (await conn.execute(_MENTIONED, reader)).scalar_one()
        return RoomState(
            described, int(count), mentioned=bool(flagged), role=role, muted_until=muted
        )

    async def mark_read(self, key: str, user_name: str, message_id: int) -> None:
        async with self._writes.writing() as conn:
            if key == DEFAULT_ROOM:
                # #general keeps no member rows but this marker (see tables.room_members). Made
                # with an insert that tolerates a concurrent one: two tabs mark read at once.
                await conn.execute(self._insert_if_new, _member_values(key, user_name, 0))
            await conn.execute(
                _MARK_READ,
                {"room_key": key, "reader_key": user_key(user_name), "read_up_to": message_id},
            )


def _member_values(room: str, user_name: str, last_read_id: int) -> dict[str, object]:
    """A member row's values, for `_insert_if_new`."""
    return {
        "room": room,
        "user_key": user_key(user_name),
        "user_name": user_name,
        "last_read_id": last_read_id,
        "joined_at": datetime.now(UTC),
    }


async def _insert_member(
    conn: AsyncConnection,
    room: str,
    user_name: str,
    last_read_id: int,
    now: datetime,
    role: RoomRole = RoomRole.MEMBER,
) -> None:
    await conn.execute(
        insert(room_members).values(
            room=room,
            user_key=user_key(user_name),
            user_name=user_name,
            last_read_id=last_read_id,
            joined_at=now,
            role=role.value,
        )
    )


def _row_of(key: str, user_name: str) -> tuple[ColumnElement[bool], ...]:
    return (room_members.c.room == key, room_members.c.user_key == user_key(user_name))


def _utc(moment: datetime) -> datetime:
    # SQLite drops the zone; everything is stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _membership(key: str, row: Any) -> Membership:
    until = None if row.muted_until is None else _utc(row.muted_until)
    return Membership(key, row.user_name, RoomRole(row.role), until)


async def _is_member(conn: AsyncConnection, key: str, user_name: str) -> bool:
    return key == DEFAULT_ROOM or await _has_row(conn, key, user_name)


async def _has_row(conn: AsyncConnection, key: str, user_name: str) -> bool:
    query = select(room_members.c.room).where(
        room_members.c.room == key, room_members.c.user_key == user_key(user_name)
    )
    return (await conn.execute(query)).first() is not None


async def _member_names(conn: AsyncConnection, key: str) -> list[str]:
    query = select(room_members.c.user_name).where(room_members.c.room == key)
    names = (await conn.execute(query.order_by(room_members.c.user_key))).scalars().all()
    return list(names)
