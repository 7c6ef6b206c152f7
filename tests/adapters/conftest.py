"""The adapter tier: the SQL stores, the Redis bus, presence and rate limits against real
SQLite files, the machine's PostgreSQL and Redis (scripts/ensure-services starts them). Every
test here is marked `adapters`; core logic is tested on fakes in tests/unit instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flet_chat.testing.services import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Every storage test runs on SQLite and on the machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'chat.db'}"
        return
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: mark only the ones collected from this folder.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.adapters)
