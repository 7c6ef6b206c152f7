"""A server's accounts, reached from the test's own process: what the profile UI does (personal
access tokens) without driving a browser, and what an expiry does. Nothing here publishes to the
server's bus, so the server learns of a session ended here from its own check of the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flet_chat.bootstrap import bootstrap
from flet_chat.bus.fanout import Fanout
from flet_chat.core.accounts.service import AccountService
from flet_chat.settings import Settings
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.sql_store import SqlStore


def _settings(data_dir: Path, database_url: str | None) -> Settings:
    # By alias: Settings reads DATABASE_URL and REDIS_URL under those names.
    options: dict[str, Any] = {"DATABASE_URL": database_url, "REDIS_URL": None}
    return Settings(data_dir=data_dir, **options)


@asynccontextmanager
async def account_service(
    data_dir: Path, database_url: str | None = None
) -> AsyncIterator[AccountService]:
    """The AccountService of the server whose data dir (or database) this is; a local bus."""
    services = bootstrap(_settings(data_dir, database_url), Fanout())
    try:
        yield services.accounts
    finally:
        if services.engine is not None:
            await services.engine.dispose()


async def end_sessions_in_store(data_dir: Path, user_name: str) -> list[int]:
    """End every session of an account in the store alone, as an expiry would: no event."""
    engine = create_engine(_settings(data_dir, None).resolved_database_url())
    try:
        store = SqlAccountStore(engine, SqlStore(engine))
        return await store.end_sessions(user_name, datetime.now(UTC))
    finally:
        await engine.dispose()
