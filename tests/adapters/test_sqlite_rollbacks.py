"""SQLite: a connection given back without a transaction skips the rollback's trip through
aiosqlite's thread; one that holds a transaction is still rolled back."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.storage.engine import create_engine, sqlite_in_transaction


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every rollback that reaches aiosqlite's thread (each still runs)."""
    made: list[bool] = []
    rollback = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        made.append(True)
        await rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    return made


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one())


async def test_reads_and_committed_writes_are_given_back_without_a_rollback(
    engine: AsyncEngine, rollbacks: list[bool]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO notes VALUES ('kept')"))
    for _ in range(3):
        assert await count(engine) == 1
    assert rollbacks == []


async def test_a_failed_write_is_rolled_back(engine: AsyncEngine, rollbacks: list[bool]) -> None:
    async def write_and_fail() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes VALUES ('half-written')"))
            raise RuntimeError("the request failed half-way")

    with pytest.raises(RuntimeError):
        await write_and_fail()
    assert rollbacks == [True]
    assert await count(engine) == 0


async def test_a_write_left_uncommitted_is_rolled_back_when_given_back(
    engine: AsyncEngine, rollbacks: list[bool]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO notes VALUES ('never committed')"))
        raw = await conn.get_raw_connection()
        assert sqlite_in_transaction(raw.dbapi_connection) is True
    assert rollbacks == [True]
    assert await count(engine) == 0
    # The pool's connection is clean for whoever takes it next: a write of theirs commits alone.
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert sqlite_in_transaction(raw.dbapi_connection) is False
        await conn.execute(text("INSERT INTO notes VALUES ('mine')"))
        await conn.commit()
    assert await count(engine) == 1


def test_a_closed_connection_cannot_tell_and_gets_the_real_rollback() -> None:
    closed = sqlite3.connect(":memory:")
    closed.close()  # as aiosqlite's thread does before it lets go of the connection
    adapted = SimpleNamespace(_connection=SimpleNamespace(_connection=closed))
    assert sqlite_in_transaction(adapted) is None
