"""Security round, item 8: the SQLite files hold every direct message; only the server's user may
read them. And FLET_CHAT_SQLITE_SYNCHRONOUS=FULL is there for whoever needs power-loss safety."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from flet_chat.bootstrap import Runtime
from flet_chat.settings import Settings
from flet_chat.storage.engine import create_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_data_dir_and_its_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = Runtime(Settings(data_dir=data))
    services = await runtime.start()
    try:
        await services.chat.join("Alice", "session-1")
        await services.chat.post("Alice", "hello")
        files = {p.name: mode(p) for p in data.iterdir()}
    finally:
        await runtime.stop()
    assert mode(data) == 0o700
    assert {"chat.db", "chat.db-wal", "chat.db-shm", "secret_key"} <= set(files)
    assert all(m == 0o600 for m in files.values()), files


async def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "chat.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    await engine.dispose()
    database.chmod(0o644)
    runtime = Runtime(Settings(data_dir=data))
    await runtime.start()
    await runtime.stop()
    assert mode(data) == 0o700
    assert mode(database) == 0o600


@pytest.mark.parametrize(("setting", "pragma"), [("NORMAL", 1), ("FULL", 2)])
async def test_sqlite_synchronous_follows_the_setting(
    tmp_path: Path, setting: str, pragma: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLET_CHAT_SQLITE_SYNCHRONOUS", setting)
    settings = Settings(data_dir=tmp_path)
    engine = create_engine(
        settings.resolved_database_url(), sqlite_synchronous=settings.sqlite_synchronous
    )
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == pragma
    await engine.dispose()
