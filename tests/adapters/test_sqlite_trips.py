"""SQLite statements through the one-trip cursor (storage/sqlite_trips.py): the same answers as
the driver's own cursor (rows, inserted ids, counts, errors, transactions), in one trip to
SQLite's thread per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.storage.engine import create_engine
from flet_chat.storage.sqlite_trips import OneTripCursor

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String, nullable=False, unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made on SQLite's thread, by name."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_a_read_is_one_trip_and_the_connection_given_back_another(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as conn:  # the pool's first connection, made outside the count
        await conn.execute(select(1))
    trips.clear()
    async with engine.connect() as conn:
        assert (await conn.execute(select(notes.c.id))).all() == []
    # The driver's cursor took five: open a cursor, run, fetch, close it, then the rollback.
    assert trips == ["_run", "rollback"]
    assert AsyncAdapt_aiosqlite_connection._cursor_cls is OneTripCursor


async def test_rows_ids_counts_and_transactions_are_the_drivers(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(notes).values(body="one"))
        assert first.inserted_primary_key == (1,)
        many = await conn.execute(insert(notes), [{"body": "two"}, {"body": "three"}])
        assert many.rowcount == 2
        changed = await conn.execute(update(notes).where(notes.c.id > 1).values(body=notes.c.body))
        assert changed.rowcount == 2
        returned = await conn.execute(
            insert(notes).returning(notes.c.id, notes.c.body), [{"body": "x"}, {"body": "y"}]
        )
        assert sorted(tuple(r) for r in returned.all()) == [(4, "x"), (5, "y")]
        again = await conn.execute(insert(notes).values(body="z"))
        assert again.inserted_primary_key == (6,)
        gone = await conn.execute(notes.delete().where(notes.c.id > 3).returning(notes.c.id))
        assert sorted(r.id for r in gone.all()) == [4, 5, 6]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(notes.c.id, notes.c.body).order_by(notes.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "one"), (2, "two"), (3, "three")]
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    # Rolled back: nothing of it stays.
    async with engine.connect() as conn:
        await conn.execute(insert(notes).values(body="four"))
        await conn.rollback()
        assert (await conn.execute(select(notes.c.body).where(notes.c.id == 4))).first() is None


async def test_an_error_is_sqlalchemys_and_the_connection_still_serves(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(notes).values(body="one"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(notes).values(body="one"))
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM notes"))).scalar()
    assert count == 1


async def test_a_streamed_read_keeps_the_drivers_cursor(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(notes), [{"body": f"n{i}"} for i in range(5)])
    trips.clear()
    async with engine.connect() as conn:
        streamed = await conn.stream(select(notes.c.body).order_by(notes.c.id))
        assert [row.body async for row in streamed] == [f"n{i}" for i in range(5)]
    assert "_run" not in trips
    assert "fetchmany" in trips  # aiosqlite's cursor, read in batches as before
