"""A server's accounts, reached from the test's own process: what the profile UI does (personal
access tokens) without driving a browser, members for the browser to be signed in as, and what
an expiry does. Nothing here publishes to the
server's bus, so the server learns of a session ended here from its own check of the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flet_chat.bootstrap import bootstrap, dispose_engines
from flet_chat.bus.fanout import Fanout
from flet_chat.core.accounts.models import Authenticated, SessionKind
from flet_chat.core.accounts.service import AccountService
from flet_chat.settings import Settings
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
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
        await dispose_engines(services)


async def end_sessions_in_store(data_dir: Path, user_name: str) -> list[int]:
    """End every session of an account in the store alone, as an expiry would: no event."""
    engine = create_engine(_settings(data_dir, None).resolved_database_url())
    try:
        store = SqlAccountStore(engine, SqlStore(engine))
        return await store.end_sessions(user_name, datetime.now(UTC))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Member:
    name: str
    token: str  # the browser session's token, as client storage keeps it
    upload_ticket: str  # what the profile dialog puts in its upload URL


async def sign_up(data_dir: Path, name: str, password: str = "correct horse battery") -> Member:
    """A member with a browser session, as the sign-up dialog would make, and an upload ticket
    for it (signed with the server's key, kept in the data dir, so the server accepts it)."""
    await upgrade_to_head_async(_settings(data_dir, None).resolved_database_url())
    async with account_service(data_dir) as accounts:
        signed = await accounts.sign_up(name, password)
        auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
        return Member(name, signed.token, accounts.upload_ticket(auth))
