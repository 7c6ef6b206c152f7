"""Puts history straight into a data dir's database, faster than typing it."""

from __future__ import annotations

from pathlib import Path

from flet_chat.core.models import MessageKind, NewMessage
from flet_chat.settings import Settings
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.sql_store import SqlStore


async def seed_messages(data_dir: Path, count: int, *, user: str = "Seeder") -> None:
    url = Settings(data_dir=data_dir).resolved_database_url()
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    store = SqlStore(engine)
    for i in range(count):
        await store.add(NewMessage(MessageKind.CHAT, user, f"history {i}"))
    await engine.dispose()
