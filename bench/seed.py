"""Bulk-loads history into a Flet Chat data dir before its server starts.

`tests/support/seed.py` adds messages one at a time through the store, which is right for a
handful; for 100,000 this migrates the database, then inserts in one transaction with an
executemany through SQLAlchemy Core on a plain (sync) SQLite connection.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from flet_chat.core.models import MessageKind
from flet_chat.settings import Settings
from flet_chat.storage.migrate import upgrade_to_head
from flet_chat.storage.tables import messages

BATCH = 10_000


def seed_history(data_dir: Path, count: int, *, users: int = 50) -> float:
    """Store `count` chat messages from `users` people; returns the seconds it took."""
    began = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    upgrade_to_head(settings.resolved_database_url())
    engine = sa.create_engine(f"sqlite:///{(data_dir / 'chat.db').resolve()}")
    start = datetime.now(UTC) - timedelta(seconds=count)
    try:
        with engine.begin() as conn:
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
                conn.execute(sa.insert(messages), rows)
    finally:
        engine.dispose()
    return time.monotonic() - began
