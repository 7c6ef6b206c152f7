"""Builds the async engine for a DATABASE_URL, with the pragmas SQLite needs, and keeps the
SQLite files private to the server's user (0600: they hold every direct message)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from flet_chat.storage.sqlite_cursor import install_one_trip_cursors

logger = logging.getLogger(__name__)

SqliteSync = Literal["NORMAL", "FULL"]
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
# SQLite's companions of a database file in WAL mode; it creates them with the database's mode.
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def create_engine(
    database_url: str, *, sqlite_synchronous: SqliteSync = "NORMAL", pool_size: int | None = None
) -> AsyncEngine:
    """The engine for `database_url`; `pool_size`: exactly that many connections (else
    SQLAlchemy's default, 5 and 10 more under load)."""
    # hide_parameters: a database error's text would otherwise quote the statement's values (a
    # message's text, a client id) into every traceback the log keeps.
    url = make_url(database_url)
    pool: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
    if url.get_backend_name() == "sqlite":
        install_one_trip_cursors()  # a statement is one trip to aiosqlite's thread, not four
        if url.database and url.database != ":memory:":
            _private_sqlite_files(Path(url.database))
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, hide_parameters=True, **pool
        )

        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, sqlite_synchronous)

        event.listen(engine.sync_engine, "connect", pragmas)
        _skip_idle_sqlite_rollbacks(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **pool)


def create_writer_engine(
    engine: AsyncEngine, database_url: str, *, sqlite_synchronous: SqliteSync = "NORMAL"
) -> AsyncEngine:
    """SQLite's one writer's own connection: its writes are queued one at a time
    (sql_store.py's WriteQueue), and a writer that then waited for a pooled connection held
    the queue meanwhile. While a crowd joins, the joins' reads take every pooled connection:
    a message waited 250-370 ms behind a writer waiting for one (bench/changes.md, "fifth
    session"). PostgreSQL writes concurrently, from the pool, and an in-memory SQLite database
    is one connection's own: `engine` itself there."""
    if engine.dialect.name != "sqlite" or not isinstance(engine.sync_engine.pool, QueuePool):
        return engine  # PostgreSQL; or SQLite in memory, which SQLAlchemy gives a static pool
    return create_engine(database_url, sqlite_synchronous=sqlite_synchronous, pool_size=1)


def private_dir(path: Path) -> None:
    """Make `path` (the data dir) if needed and keep others out of it (0700). A shared directory
    (sticky, like /tmp) or one owned by someone else is left as it is, with a warning."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_mode & 0o1000 or info.st_uid != os.getuid():
        logger.warning("data dir %s is shared or not ours: its mode is left as it is", path)
        return
    if info.st_mode & 0o777 != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)


def _private_sqlite_files(database: Path) -> None:
    database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    # Made here before SQLite makes it with the umask's mode (0644 by default), so that the
    # -wal and -shm files SQLite derives from it are private too.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for suffix in _SQLITE_SUFFIXES:
        file = database.with_name(database.name + suffix)
        try:
            if file.stat().st_mode & 0o777 != PRIVATE_FILE:
                file.chmod(PRIVATE_FILE)  # files of an older version, made 0644
        except FileNotFoundError:
            continue
        except PermissionError:
            logger.warning("cannot make %s private (not our file)", file)


def _sqlite_pragmas(dbapi_connection: Any, synchronous: SqliteSync) -> None:
    # WAL lets readers run while a writer commits. With synchronous=NORMAL a commit survives a
    # crash of this process (the WAL is in the OS's hands) but not a power loss or an OS crash,
    # which may take the last transactions back; FULL syncs the WAL on every commit and keeps
    # them through those too (FLET_CHAT_SQLITE_SYNCHRONOUS=FULL).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _skip_idle_sqlite_rollbacks(engine: AsyncEngine) -> None:
    """Give a connection back without a rollback when SQLite holds no transaction on it.

    SQLAlchemy rolls back every connection it closes or returns to the pool (a read too), and
    aiosqlite runs each rollback on its own thread: a round trip through a queue and back into
    the event loop, about seven per join. Python's sqlite3 does nothing for a rollback outside
    a transaction, and reads open none (it begins one before a write only), so the rollback
    is skipped exactly where it would have done nothing; a write's is still made. The check is
    SQLite's own flag, so a transaction begun any other way (BEGIN, a savepoint) counts too."""
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        if sqlite_in_transaction(dbapi_connection) is False:
            return
        rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def sqlite_in_transaction(dbapi_connection: Any) -> bool | None:
    """Whether SQLite holds a transaction on SQLAlchemy's aiosqlite connection (a pool's proxy
    of one too); None when that cannot be told (closed, or not aiosqlite's). Read from the
    event loop's thread while the connection is idle: sqlite3 answers it from SQLite's own
    autocommit flag (no lock, no statement)."""
    sqlite = getattr(getattr(dbapi_connection, "_connection", None), "_connection", None)
    try:
        in_transaction = getattr(sqlite, "in_transaction", None)
    except sqlite3.ProgrammingError:  # closed, before aiosqlite let go of it
        return None
    return in_transaction if isinstance(in_transaction, bool) else None


_POOL_LOGGERS = "sqlalchemy.pool"
_RESET_FAILED = "Exception during reset or similar"


class _CancelledResetsAreExpected(logging.Filter):
    """At shutdown, sessions still mid-query are cancelled as the loop winds down, and the
    pool's reset of each connection they give back fails with CancelledError; SQLAlchemy logs
    that at ERROR. The connection is discarded and nothing is lost: logged as a WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if (
            record.name.startswith(_POOL_LOGGERS)
            and record.msg == _RESET_FAILED
            and isinstance(error, asyncio.CancelledError | SystemExit | KeyboardInterrupt)
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def expect_cancelled_resets() -> None:
    """Call when the process starts shutting down (idempotent). On the root logger's handlers:
    the pool logs on loggers of its own below `sqlalchemy.pool`, and a logger's filters do not
    apply to its children's records."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _CancelledResetsAreExpected) for f in handler.filters):
            handler.addFilter(_CancelledResetsAreExpected())
