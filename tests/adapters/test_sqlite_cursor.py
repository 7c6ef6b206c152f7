"""SQLite: a statement is one trip to aiosqlite's thread (storage/sqlite_cursor.py), and
SQLAlchemy reads from it what it read from its own adapter's cursor: rows, row counts, the
last row id, RETURNING, errors and a rolled-back transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.storage.engine import create_engine

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String, nullable=False, unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call aiosqlite runs on its thread (each still runs)."""
    made: list[Any] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(fn)
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_a_statement_is_one_trip_to_aiosqlites_thread(
    engine: AsyncEngine, trips: list[Any]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(notes))  # the pool's first connection: made and set up
        trips.clear()
        rows = (await conn.execute(select(notes.c.body))).all()
    assert rows == []
    assert len(trips) == 1  # SQLAlchemy's adapter: cursor, execute, fetchall, close


async def test_rows_counts_ids_and_returning_are_what_sqlalchemy_reads(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(notes).values(body="first"))
        assert first.inserted_primary_key == (1,)
        returned = await conn.execute(insert(notes).values(body="second").returning(notes.c.id))
        assert returned.scalar_one() == 2
        many = await conn.execute(insert(notes), [{"body": "third"}, {"body": "fourth"}])
        assert many.rowcount == 2
        changed = await conn.execute(
            update(notes).where(notes.c.id > 2).values(body=notes.c.body + "!")
        )
        assert changed.rowcount == 2
    async with engine.connect() as conn:
        result = await conn.execute(select(notes.c.id, notes.c.body).order_by(notes.c.id))
        assert list(result.keys()) == ["id", "body"]
        assert result.fetchone() == (1, "first")
        assert result.fetchmany(2) == [(2, "second"), (3, "third!")]
        assert result.fetchall() == [(4, "fourth!")]
        assert result.fetchone() is None
        partitions = await conn.execute(select(notes.c.id).order_by(notes.c.id))
        assert [list(p) for p in partitions.partitions(3)] == [[(1,), (2,), (3,)], [(4,)]]
        empty = await conn.execute(select(notes).where(notes.c.id > 10))
        assert list(empty.keys()) == ["id", "body"]
        assert empty.all() == []


async def test_an_error_is_sqlalchemys_and_its_transaction_is_rolled_back(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(notes).values(body="taken"))

    async def write_twice() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(notes).values(body="half-written"))
            await conn.execute(insert(notes).values(body="taken"))  # unique: refused

    with pytest.raises(IntegrityError):
        await write_twice()
    with pytest.raises(OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM nowhere"))
    async with engine.connect() as conn:
        bodies = (await conn.execute(select(notes.c.body))).scalars().all()
    assert bodies == ["taken"]


async def test_a_closed_connection_fails_as_sqlalchemy_says(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.close()  # type: ignore[union-attr]
        with pytest.raises(OperationalError, match="no active connection"):
            await conn.execute(select(notes))
        await conn.invalidate()
