"""One trip to SQLite's thread per statement, not four.

aiosqlite runs each call on the connection's own thread and hands the answer back to the event
loop, and SQLAlchemy's adapter drives it call by call: open a cursor, execute, fetch the rows,
close the cursor, each a trip there and back (a queue, a thread wake-up, a future resolved on
the loop), and a tab that joins or comes back after a restart reads a dozen times.
`install_one_trip_cursors()` gives the adapter a cursor that does all four in one call on
SQLite's thread (`tests/adapters/test_sqlite_trips.py`; `python -m bench.store_reads` times a
read both ways). The connection's own calls (commit, rollback) and server-side cursors
(`stream`) are as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

_Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, *, many: bool) -> _Outcome:
    """On SQLite's thread: what the adapter would have asked for in four trips."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripDriverCursor:
    """Stands in for aiosqlite's Cursor where SQLAlchemy's adapter uses one: `execute` runs
    the statement and reads its rows in one trip; `fetchall` and `close` need none."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: Any) -> None:
        self._connection = connection  # aiosqlite.Connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripDriverCursor:
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripDriverCursor:
        return await self._trip(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneTripDriverCursor:
        return await self._trip(sql, parameters, many=True)

    async def _trip(self, sql: str, parameters: Any, *, many: bool) -> OneTripDriverCursor:
        # Nothing of the statement before is left to read if this one fails.
        self.description, self.rowcount, self.lastrowid, self._rows = None, -1, None, []
        raw = self._connection._conn  # the sqlite3 connection; raises once it is closed
        outcome: _Outcome = await self._connection._execute(_run, raw, sql, parameters, many=many)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return OneTripDriverCursor(connection)


def install_one_trip_cursors() -> None:
    """Every SQLite engine's adapter makes `OneTripCursor`s from now on (idempotent). The
    private names it relies on are checked, so an upgrade that renames one fails here."""
    for owner, name in (
        (AsyncAdapt_aiosqlite_connection, "_cursor_cls"),
        (aiosqlite.Connection, "_execute"),
        (aiosqlite.Connection, "_conn"),
    ):
        if not hasattr(owner, name):
            raise RuntimeError(f"{owner.__name__}.{name} is gone: see storage/sqlite_trips.py")
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
