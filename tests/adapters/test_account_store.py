"""SqlAccountStore on SQLite and PostgreSQL: what a token's lookup reads back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from flet_chat.core.accounts.models import AccountKind, Role, SessionKind
from flet_chat.core.names import name_skeleton
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.sql_store import SqlStore


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlAccountStore]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield SqlAccountStore(engine, SqlStore(engine))
    await engine.dispose()


@pytest.mark.parametrize("account_kind", list(AccountKind))
async def test_a_sessions_kind_and_its_accounts_kind_are_told_apart(
    store: SqlAccountStore, account_kind: AccountKind
) -> None:
    # Both tables have a `kind` column: a lookup once read the session's as the account's.
    now = datetime.now(UTC)
    await store.create_account(
        "Dora", name_skeleton("Dora"), kind=account_kind, password_hash=None, role=Role.MEMBER
    )
    for session_kind, token_hash in [
        (SessionKind.API, "a" * 64),
        (SessionKind.BROWSER, "b" * 64),
        (SessionKind.ACCESS_TOKEN, "c" * 64),
    ]:
        expires = None if session_kind is SessionKind.ACCESS_TOKEN else now + timedelta(days=1)
        session_id = await store.add_session(
            "Dora", token_hash, kind=session_kind, label=None, expires_at=expires
        )
        found = await store.session(token_hash, now)
        assert found is not None
        assert (found.session_id, found.kind) == (session_id, session_kind)
        assert (found.account.user_name, found.account.kind) == ("Dora", account_kind)
