"""Bulk-loads history into a Flet Chat database before its server starts.

`tests/support/seed.py` adds messages one at a time through the store, which is right for a
handful; for 100,000 this migrates the database, then inserts in one transaction, 10,000 rows per
executemany through SQLAlchemy Core (which sends them as multi-row INSERTs). It goes through the
server's own async engine (flet_chat.storage.engine), so the same code seeds the single-process
server's SQLite file and the cluster's PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from flet_chat.core.models import MessageKind
from flet_chat.settings import Settings
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.tables import messages

BATCH = 10_000


def seed_history(
    data_dir: Path, count: int, *, users: int = 50, database_url: str | None = None
) -> float:
    """Store `count` chat messages from `users` people; returns the seconds it took.

    The database is `database_url` (a SQLAlchemy async URL, e.g. the cluster's PostgreSQL) or,
    without one, the SQLite file the server keeps in `data_dir`. Blocking: call it from a thread
    when an event loop runs in this one.
    """
    began = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or Settings(data_dir=data_dir).resolved_database_url()
    asyncio.run(_seed(url, count, users))
    return time.monotonic() - began


async def _seed(database_url: str, count: int, users: int) -> None:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    start = datetime.now(UTC) - timedelta(seconds=count)
    try:
        async with engine.begin() as conn:
            for first in range(0, count, BATCH):
                rows = [
                    {
                        "kind": MessageKind.CHAT.value,
                        "user_name": f"Seeder {i % users}",
                        "text": f"history {i}: an older message, seeded for the benchmark",
                        "created_at": start + timedelta(seconds=i),
                    }
                    for i in range(first, min(count, first + BATCH))
                ]
                await conn.execute(sa.insert(messages), rows)
    finally:
        await engine.dispose()
