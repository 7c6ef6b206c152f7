"""SQLite's writer has a connection of its own: with every pooled connection taken by reads (a
crowd joining), a message and the other writes are still stored at once, instead of a writer
waiting for a pooled connection while it holds the write queue and everyone behind it waits
too. PostgreSQL writes from its pool, concurrently, as before."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import MessageKind, NewMessage, Room, RoomKind
from flet_chat.storage.engine import create_engine, create_writer_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore

# Long enough for a busy machine, far shorter than the pool's own 30 s wait for a connection.
PROMPTLY = 10.0


@contextlib.asynccontextmanager
async def every_connection_taken(engine: AsyncEngine, count: int) -> AsyncIterator[None]:
    """Hold `count` connections of `engine` (all it has): what a crowd's reads do."""
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(count):
            await stack.enter_async_context(engine.connect())
        yield


async def test_writes_are_stored_while_every_pooled_connection_is_reading(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/chat.db"
    await upgrade_to_head_async(url)
    engine = create_engine(url, pool_size=2)
    writer = create_writer_engine(engine, url)
    assert writer is not engine
    messages = SqlStore(engine, writer_engine=writer)
    rooms = SqlRoomStore(engine, messages)
    try:
        async with every_connection_taken(engine, 2):
            # Without a connection of its own, each would wait for one of those two.
            new = NewMessage(MessageKind.CHAT, "Ann", "still here", None)
            stored = await asyncio.wait_for(messages.add(new), PROMPTLY)
            room = Room("dev", RoomKind.PUBLIC, members=("Ann",))
            made = await asyncio.wait_for(rooms.create_room(room, created_by="Ann"), PROMPTLY)
            assert made
        # What the writer stored is what the pool's connections read.
        page = await messages.latest(DEFAULT_ROOM, 5)
        assert [m.text for m in page.messages] == [stored.text]
        assert await rooms.members("dev") == ["Ann"]
    finally:
        await writer.dispose()
        await engine.dispose()


def test_postgresql_and_an_in_memory_database_keep_their_one_engine() -> None:
    for url in (
        "sqlite+aiosqlite:///:memory:",
        "postgresql+asyncpg://x@127.0.0.1/none",
    ):
        engine = create_engine(url)
        assert create_writer_engine(engine, url) is engine
