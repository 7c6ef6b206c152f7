"""SqlStore: the MessageStore port on SQLAlchemy's async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flet_chat.core.errors import NO_SUCH_MESSAGE, ValidationError
from flet_chat.core.limits import MAX_MESSAGE_ID, MAX_REACTIONS_PER_MESSAGE
from flet_chat.core.models import (
    Attachment,
    AuthorKind,
    HistoryPage,
    Message,
    MessageKind,
    NewMessage,
    Reaction,
    SearchQuery,
)
from flet_chat.core.rooms import user_key
from flet_chat.storage.search_queries import (
    POSTGRES_WINDOW,
    SQLITE_WINDOW,
    search_postgres,
    search_sqlite,
)
from flet_chat.storage.tables import (
    ATTACHMENT_ID_LENGTH,
    attachments,
    mentions,
    messages,
    reactions,
)
from flet_chat.storage.write_queue import WriteQueue

TOO_MANY_REACTIONS = f"A message can carry at most {MAX_REACTIONS_PER_MESSAGE} different emoji."


class SqlStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        search_window: int | None = None,
        writer_engine: AsyncEngine | None = None,
    ) -> None:
        """`search_window`: the bound of the search's first step (search_queries.py's
        POSTGRES_WINDOW messages or SQLITE_WINDOW hits; tests make it small).
        `writer_engine`: SQLite's writer's own connection, apart from the pool the reads wait
        for (storage/engine.py: create_writer_engine); else `engine`."""
        self._engine = engine
        self._writer_engine = writer_engine or engine
        self._search_window = search_window
        # SQLite has one writer at a time. Queueing writes here, on the event loop, keeps them from
        # contending for the file lock; under load that contention ran into "database is locked".
        # A message goes ahead of the other writes waiting (write_queue.py).
        self._write_queue = WriteQueue() if engine.dialect.name == "sqlite" else None
        self._dialect_insert = (
            sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        )

    @asynccontextmanager
    async def writing(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction for a write (queued behind other writes on SQLite; `urgent`: a
        message's, ahead of the waiting writes that are not)."""
        if self._write_queue is None:
            async with self._writer_engine.begin() as conn:
                yield conn
            return
        async with self._write_queue.turn(urgent=urgent), self._writer_engine.begin() as conn:
            yield conn

    async def add(self, new: NewMessage) -> Message:
        async with self.writing(urgent=True) as conn:
            return await self._insert(conn, new)

    async def _insert(self, conn: AsyncConnection, new: NewMessage) -> Message:
        created_at = datetime.now(UTC)
        values = {
            "kind": new.kind.value,
            "user_name": new.user_name,
            "text": new.text,
            "created_at": created_at,
            "client_id": new.client_id,
            "author_kind": new.author_kind.value,
            "room": new.room,
        }
        if new.client_id is None:
            query = insert(messages).values(values).returning(messages.c.id)
            message_id = (await conn.execute(query)).scalar_one()
        else:
            # A retry of a send whose first attempt did commit (the answer was lost on the way)
            # finds the stored message instead of storing it twice. The key holds the room and
            # the author's kind and name: a client id can only ever find its author's own
            # message in the same room, never someone else's (say, a direct message).
            key = (
                messages.c.room,
                messages.c.author_kind,
                messages.c.user_name,
                messages.c.client_id,
            )
            upsert = self._dialect_insert(messages).values(values)
            query = upsert.on_conflict_do_nothing(index_elements=list(key)).returning(messages.c.id)
            message_id = (await conn.execute(query)).scalar_one_or_none()
            if message_id is None:
                same = (new.room, new.author_kind.value, new.user_name, new.client_id)
                stored = await conn.execute(
                    select(messages).where(
                        *(column == v for column, v in zip(key, same, strict=True))
                    )
                )
                return (await _with_reactions(conn, [stored.one()]))[0]
        await _store_mentions(conn, message_id, new.room, new.mentions)
        if new.attachments:
            await conn.execute(
                insert(attachments),
                [
                    {
                        "id": a.id,
                        "message_id": message_id,
                        "position": position,
                        "name": a.name,
                        "size": a.size,
                        "content_type": a.content_type,
                        "has_thumbnail": a.has_thumbnail,
                        "created_at": created_at,
                    }
                    for position, a in enumerate(new.attachments)
                ],
            )
        return Message(
            message_id,
            new.kind,
            new.user_name,
            new.text,
            created_at,
            new.author_kind,
            new.room,
            attachments=new.attachments,
        )

    async def latest(self, room: str, limit: int) -> HistoryPage:
        return await self._page(room, None, limit)

    async def before(self, room: str, message_id: int, limit: int) -> HistoryPage:
        return await self._page(room, message_id, limit)

    async def after(self, message_id: int, limit: int) -> list[Message]:
        """Up to `limit` messages with ids above `message_id`, oldest first (catch-up)."""
        query = (
            select(messages).where(messages.c.id > message_id).order_by(messages.c.id).limit(limit)
        )
        async with self._engine.connect() as conn:
            return await _with_reactions(conn, (await conn.execute(query)).all())

    async def around(self, room: str, message_id: int, limit: int) -> HistoryPage:
        """`message_id` and the older ones up to about half of `limit`, then newer ones."""
        older_n, newer_n = limit - limit // 2, limit // 2
        in_room = messages.c.room == room
        older = (
            select(messages)
            .where(in_room, messages.c.id <= message_id)
            .order_by(messages.c.id.desc())
            .limit(older_n + 1)
        )
        newer = (
            select(messages)
            .where(in_room, messages.c.id > message_id)
            .order_by(messages.c.id)
            .limit(newer_n + 1)
        )
        async with self._engine.connect() as conn:
            before = (await conn.execute(older)).all()
            after = (await conn.execute(newer)).all()
            rows = [*reversed(before[:older_n]), *after[:newer_n]]
            page = await _with_reactions(conn, rows)
        return HistoryPage(page, len(before) > older_n, has_newer=len(after) > newer_n)

    async def search(self, query: SearchQuery) -> list[Message]:
        # NUL ends a string in SQLite's query parser and is no character to PostgreSQL: the core
        # never sends one (terms are letters and digits), and it never reaches the database.
        terms = tuple(t for t in (term.replace("\x00", "") for term in query.terms) if t)
        if not terms or not query.rooms or query.limit <= 0:
            return []
        query = dataclasses.replace(query, terms=terms)
        async with self._engine.connect() as conn:
            window = self._search_window
            if self._engine.dialect.name == "sqlite":
                rows = await search_sqlite(conn, query, SQLITE_WINDOW if window is None else window)
            else:
                rows = await search_postgres(
                    conn, query, POSTGRES_WINDOW if window is None else window
                )
            return await _with_reactions(conn, rows)

    async def latest_id(self) -> int:
        """The newest message's id, or 0 for an empty store."""
        async with self._engine.connect() as conn:
            newest = (await conn.execute(select(func.max(messages.c.id)))).scalar_one()
        return int(newest or 0)

    async def last_of_kind(self, room: str, kind: MessageKind) -> Message | None:
        query = (
            select(messages)
            .where(
                messages.c.room == room,
                messages.c.kind == kind.value,
                messages.c.deleted_at.is_(None),
            )
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
            return None if row is None else (await _with_reactions(conn, [row]))[0]

    async def get(self, message_id: int) -> Message | None:
        if not _is_id(message_id):
            return None  # no such message; the database would refuse the comparison
        async with self._engine.connect() as conn:
            return await _get(conn, message_id)

    async def edit(self, message_id: int, text: str, mentioned: tuple[str, ...]) -> Message:
        async with self.writing(urgent=True) as conn:
            message = await _bump(conn, message_id, text=text, edited_at=datetime.now(UTC))
            await conn.execute(delete(mentions).where(mentions.c.message_id == message_id))
            await _store_mentions(conn, message_id, message.room, mentioned)
            return await _must_get(conn, message_id)

    async def delete(self, message_id: int, *, by_moderator: bool = False) -> Message:
        async with self.writing(urgent=True) as conn:
            await _bump(
                conn,
                message_id,
                text="",
                deleted_at=datetime.now(UTC),
                removed_by_moderator=by_moderator,
            )
            await conn.execute(delete(reactions).where(reactions.c.message_id == message_id))
            await conn.execute(delete(mentions).where(mentions.c.message_id == message_id))
            await conn.execute(delete(attachments).where(attachments.c.message_id == message_id))
            return await _must_get(conn, message_id)

    async def attachment(self, attachment_id: str) -> tuple[Attachment, Message] | None:
        if len(attachment_id) > ATTACHMENT_ID_LENGTH:
            return None  # no id is that long
        query = select(attachments.c.message_id).where(attachments.c.id == attachment_id)
        async with self._engine.connect() as conn:
            message_id = (await conn.execute(query)).scalar_one_or_none()
            message = None if message_id is None else await _get(conn, message_id)
        if message is None:
            return None
        found = next((a for a in message.attachments if a.id == attachment_id), None)
        return None if found is None else (found, message)

    async def toggle_reaction(self, message_id: int, user_name: str, emoji: str) -> Message:
        key = user_key(user_name)
        async with self.writing(urgent=True) as conn:
            await _bump(conn, message_id)  # locks the row: toggles of one message queue up
            mine = (
                reactions.c.message_id == message_id,
                reactions.c.emoji == emoji,
                reactions.c.user_key == key,
            )
            removed = await conn.execute(delete(reactions).where(*mine))
            if removed.rowcount == 0:
                await self._add_reaction(conn, message_id, key, user_name, emoji)
            return await _must_get(conn, message_id)

    async def _add_reaction(
        self, conn: AsyncConnection, message_id: int, key: str, user_name: str, emoji: str
    ) -> None:
        kinds = select(func.count(func.distinct(reactions.c.emoji))).where(
            reactions.c.message_id == message_id
        )
        used = (
            await conn.execute(
                select(reactions.c.emoji)
                .where(reactions.c.message_id == message_id, reactions.c.emoji == emoji)
                .limit(1)
            )
        ).first()
        if used is None and (await conn.execute(kinds)).scalar_one() >= MAX_REACTIONS_PER_MESSAGE:
            raise ValidationError(TOO_MANY_REACTIONS)  # rolls the revision bump back too
        await conn.execute(
            insert(reactions).values(
                message_id=message_id,
                emoji=emoji,
                user_key=key,
                user_name=user_name,
                created_at=datetime.now(UTC),
            )
        )

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(messages))).scalar_one()
            )

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _page(self, room: str, before_id: int | None, limit: int) -> HistoryPage:
        # One row more than asked tells whether older messages exist, without a COUNT.
        query = (
            select(messages)
            .where(messages.c.room == room)
            .order_by(messages.c.id.desc())
            .limit(limit + 1)
        )
        if before_id is not None and before_id <= 0:
            return HistoryPage([], False)  # nothing is older than the first message
        if before_id is not None and before_id <= MAX_MESSAGE_ID:
            # (Above the 64-bit range every message is older: the newest page.)
            query = query.where(messages.c.id < before_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            has_older = len(rows) > limit
            page = await _with_reactions(conn, list(reversed(rows[:limit])))
        return HistoryPage(page, has_older)


def _is_id(message_id: int) -> bool:
    """Whether a message could have this id: ids are positive 64-bit signed integers."""
    return 0 < message_id <= MAX_MESSAGE_ID


async def _bump(conn: AsyncConnection, message_id: int, **values: Any) -> Message:
    """Raise the message's revision (with any new values); NO_SUCH_MESSAGE if it is gone."""
    result = await conn.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(revision=messages.c.revision + 1, **values)
    )
    if result.rowcount == 0:
        raise ValidationError(NO_SUCH_MESSAGE)
    return await _must_get(conn, message_id)


async def _get(conn: AsyncConnection, message_id: int) -> Message | None:
    row = (await conn.execute(select(messages).where(messages.c.id == message_id))).first()
    return None if row is None else (await _with_reactions(conn, [row]))[0]


async def _must_get(conn: AsyncConnection, message_id: int) -> Message:
    message = await _get(conn, message_id)
    if message is None:
        raise ValidationError(NO_SUCH_MESSAGE)
    return message


async def _store_mentions(
    conn: AsyncConnection, message_id: int, room: str, mentioned: Sequence[str]
) -> None:
    if mentioned:
        await conn.execute(
            insert(mentions),
            [{"message_id": message_id, "room": room, "user_key": key} for key in mentioned],
        )


async def _with_reactions(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[Message]:
    """Messages from rows, each with its reactions and attachments (one query each for the
    whole page)."""
    ids = [row.id for row in rows]
    by_message: dict[int, dict[str, list[str]]] = defaultdict(dict)
    files: dict[int, list[Attachment]] = defaultdict(list)
    if ids:
        listed = (
            select(attachments)
            .where(attachments.c.message_id.in_(ids))
            .order_by(attachments.c.message_id, attachments.c.position)
        )
        for file in (await conn.execute(listed)).all():
            files[file.message_id].append(
                Attachment(
                    file.id, file.name, file.size, file.content_type, bool(file.has_thumbnail)
                )
            )
        query = (
            select(reactions.c.message_id, reactions.c.emoji, reactions.c.user_name)
            .where(reactions.c.message_id.in_(ids))
            .order_by(reactions.c.created_at, reactions.c.user_key)
        )
        for message_id, emoji, name in (await conn.execute(query)).all():
            by_message[message_id].setdefault(emoji, []).append(name)
    return [
        _to_message(row, by_message.get(row.id, {}), tuple(files.get(row.id, ()))) for row in rows
    ]


def _utc(moment: datetime) -> datetime:
    # SQLite drops the zone; everything is stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _to_message(
    row: Row[Any], reacted: dict[str, list[str]], files: tuple[Attachment, ...] = ()
) -> Message:
    return Message(
        row.id,
        MessageKind(row.kind),
        row.user_name,
        row.text,
        _utc(row.created_at),
        AuthorKind(row.author_kind),
        row.room,
        row.revision,
        edited=row.edited_at is not None,
        deleted=row.deleted_at is not None,
        reactions=tuple(Reaction(emoji, tuple(users)) for emoji, users in reacted.items()),
        attachments=files,
        removed_by_moderator=bool(row.removed_by_moderator),
    )
