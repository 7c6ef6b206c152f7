"""SQLAlchemy's aiosqlite cursor, made to run a statement in one trip to aiosqlite's thread.

aiosqlite runs each sqlite3 call on its connection's own thread: a trip through a queue to that
thread and back into the event loop, which is woken through its self-pipe for each answer.
SQLAlchemy 2.1's adapter makes four such trips for a statement that returns rows and three for
one that does not: it opens an aiosqlite cursor when it makes its own, then executes, fetches
all rows (if there are any to fetch) and closes the cursor. Measured
here (a ban check, `SqlModerationStore.is_banned`): four trips and about 650 us of the server's
CPU, against about 95 us for one trip of raw aiosqlite. A guest's join runs four or five
statements: a few tenths of a millisecond each, of the 5 ms issue 18 gives a whole join.

`OneTripCursor` does the same four sqlite3 calls in one function on aiosqlite's thread, keeps
what they answered (the rows, the description, the row count and the last row id) and gives
them to SQLAlchemy as its adapter's cursor did: the rows were fetched whole at execute there
too. The statement still waits its turn on the adapter's execute mutex, its errors are
sqlite3's own, raised into the same handler, and a closed connection fails with the same
error as before (aiosqlite's "no active connection"), at execute rather than when the cursor
is made. Server-side cursors (`stream()`, which the app does not
use) keep SQLAlchemy's own.

Written against SQLAlchemy 2.1.9 and aiosqlite 0.22.1 (both pinned): it uses the adapter's
`_execute_async`, `_executemany_async`, `_execute_mutex` and aiosqlite's `_execute` and
`_conn`. `tests/adapters/test_sqlite_cursor.py` checks the trips and what SQLAlchemy reads.
"""

from __future__ import annotations

import collections
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.sqlite import aiosqlite as sqlalchemy_aiosqlite
from sqlalchemy.util import EMPTY_DICT


@dataclass(slots=True)
class _Ran:
    """What a statement's sqlite3 cursor answered, read as SQLAlchemy reads its cursor's."""

    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    arraysize: int = 1

    def close(self) -> None:
        """Nothing to close: the sqlite3 cursor closed on aiosqlite's thread."""


def _run(
    connection: sqlite3.Connection, operation: Any, parameters: Any, *, many: bool
) -> tuple[_Ran, list[Any] | None]:
    """On aiosqlite's thread: the statement, its rows if it has any, and the cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if not many and cursor.description else None
        return _Ran(cursor.description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


class OneTripCursor(sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # there is no aiosqlite cursor to close (see _Ran.close)

    def __init__(self, adapt_connection: Any) -> None:
        # The adapter's own opens an aiosqlite cursor here: a trip of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Ran()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            ran, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many=many
            )
        ran.arraysize = self._cursor.arraysize
        self._cursor = ran
        if rows is not None:
            self._rows = collections.deque(rows)
        return self


def install_one_trip_cursors() -> None:
    """Give SQLAlchemy's aiosqlite connections `OneTripCursor` (idempotent)."""
    sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
