"""Puts history and names straight into a data dir's database, faster than typing them (and as
no client of today's server could: names as they were claimed before accounts)."""

from __future__ import annotations

from pathlib import Path

from flet_chat.core.accounts.models import AccountKind, Role
from flet_chat.core.models import MessageKind, NewMessage
from flet_chat.core.names import name_skeleton
from flet_chat.settings import Settings
from flet_chat.storage.account_store import SqlAccountStore
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


async def seed_names_from_before_accounts(data_dir: Path, names: list[str]) -> None:
    """Names claimed before accounts, as migration 0008 leaves them: guest accounts that never
    had a session, so a browser's old signed token may open one (once)."""
    url = Settings(data_dir=data_dir).resolved_database_url()
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    accounts = SqlAccountStore(engine, SqlStore(engine))
    for name in names:
        taken = await accounts.create_account(
            name, name_skeleton(name), kind=AccountKind.GUEST, password_hash=None, role=Role.MEMBER
        )
        assert taken is None, f"{name} is taken by {taken}"
    await engine.dispose()
