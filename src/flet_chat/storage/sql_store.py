"""SqlStore: the MessageStore port on SQLAlchemy's async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.core.models import AuthorKind, HistoryPage, Message, MessageKind, NewMessage
from flet_chat.storage.tables import messages


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite has one writer at a time. Queueing writes here, on the event loop, keeps them from
        # contending for the file lock; under load that contention ran into "database is locked".
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._dialect_insert = (
            sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        )

    async def add(self, new: NewMessage) -> Message:
        if self._write_lock is None:
            return await self._insert(new)
        async with self._write_lock:
            return await self._insert(new)

    async def _insert(self, new: NewMessage) -> Message:
        created_at = datetime.now(UTC)
        values = {
            "kind": new.kind.value,
            "user_name": new.user_name,
            "text": new.text,
            "created_at": created_at,
            "client_id": new.client_id,
            "author_kind": new.author_kind.value,
        }
        async with self._engine.begin() as conn:
            if new.client_id is None:
                query = insert(messages).values(values).returning(messages.c.id)
                message_id = (await conn.execute(query)).scalar_one()
                return _new_message(message_id, new, created_at)
            # A retry of a send whose first attempt did commit (the answer was lost on the way)
            # finds the stored message instead of storing it twice.
            upsert = self._dialect_insert(messages).values(values)
            query = upsert.on_conflict_do_nothing(
                index_elements=[messages.c.user_name, messages.c.client_id]
            ).returning(messages.c.id)
            message_id = (await conn.execute(query)).scalar_one_or_none()
            if message_id is not None:
                return _new_message(message_id, new, created_at)
            stored = await conn.execute(
                select(messages).where(
                    messages.c.user_name == new.user_name, messages.c.client_id == new.client_id
                )
            )
            return _to_message(stored.one())

    async def latest(self, limit: int) -> HistoryPage:
        return await self._page(None, limit)

    async def before(self, message_id: int, limit: int) -> HistoryPage:
        return await self._page(message_id, limit)

    async def after(self, message_id: int, limit: int) -> list[Message]:
        """Up to `limit` messages with ids above `message_id`, oldest first (catch-up)."""
        query = (
            select(messages).where(messages.c.id > message_id).order_by(messages.c.id).limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_message(r) for r in rows]

    async def latest_id(self) -> int:
        """The newest message's id, or 0 for an empty store."""
        async with self._engine.connect() as conn:
            newest = (await conn.execute(select(func.max(messages.c.id)))).scalar_one()
        return int(newest or 0)

    async def last_of_kind(self, kind: MessageKind) -> Message | None:
        query = (
            select(messages)
            .where(messages.c.kind == kind.value)
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_message(row)

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(messages))).scalar_one()
            )

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _page(self, before_id: int | None, limit: int) -> HistoryPage:
        # One row more than asked tells whether older messages exist, without a COUNT.
        query = select(messages).order_by(messages.c.id.desc()).limit(limit + 1)
        if before_id is not None:
            query = query.where(messages.c.id < before_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        has_older = len(rows) > limit
        return HistoryPage([_to_message(r) for r in reversed(rows[:limit])], has_older)


def _to_message(row: Row[Any]) -> Message:
    created_at: datetime = row.created_at
    if created_at.tzinfo is None:  # SQLite drops the zone; everything is stored as UTC.
        created_at = created_at.replace(tzinfo=UTC)
    return Message(
        row.id,
        MessageKind(row.kind),
        row.user_name,
        row.text,
        created_at,
        AuthorKind(row.author_kind),
    )


def _new_message(message_id: int, new: NewMessage, created_at: datetime) -> Message:
    return Message(message_id, new.kind, new.user_name, new.text, created_at, new.author_kind)
