from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy
import sqlalchemy.exc
from sqlalchemy import inspect

from flet_chat.core.models import AuthorKind, MessageKind, NewMessage
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import messages


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield SqlStore(engine)
    await engine.dispose()


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    url = database_url
    await upgrade_to_head_async(url)
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    await engine.dispose()
    assert {"messages", "alembic_version"} <= set(tables)


async def test_add_assigns_increasing_ids_and_utc_times(store: SqlStore) -> None:
    first = await store.add(NewMessage(MessageKind.JOIN, "Ann", "Ann has joined the chat."))
    second = await store.add(NewMessage(MessageKind.CHAT, "Ann", "héllo\nwörld 👋"))
    assert second.id > first.id
    page = await store.latest("general", 10)
    assert [(m.kind, m.text) for m in page.messages] == [
        (MessageKind.JOIN, "Ann has joined the chat."),
        (MessageKind.CHAT, "héllo\nwörld 👋"),
    ]
    assert page.messages[1].created_at == second.created_at
    assert page.messages[1].created_at.utcoffset() is not None


async def test_pages_through_history_oldest_first(store: SqlStore) -> None:
    for i in range(120):
        await store.add(NewMessage(MessageKind.CHAT, "Ann", f"m{i}"))
    latest = await store.latest("general", 50)
    assert [m.text for m in latest.messages] == [f"m{i}" for i in range(70, 120)]
    assert latest.has_older
    older = await store.before("general", latest.messages[0].id, 50)
    assert [m.text for m in older.messages] == [f"m{i}" for i in range(20, 70)]
    oldest = await store.before("general", older.messages[0].id, 50)
    assert [m.text for m in oldest.messages] == [f"m{i}" for i in range(20)]
    assert not oldest.has_older
    assert await store.count() == 120


async def test_survives_a_new_engine_on_the_same_database(database_url: str) -> None:
    url = database_url
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    await SqlStore(engine).add(NewMessage(MessageKind.CHAT, "Ann", "persisted"))
    await engine.dispose()
    engine = create_engine(url)
    page = await SqlStore(engine).latest("general", 5)
    await engine.dispose()
    assert [m.text for m in page.messages] == ["persisted"]


async def test_concurrent_writers_all_land_with_distinct_ids(store: SqlStore) -> None:
    messages = await asyncio.gather(
        *(store.add(NewMessage(MessageKind.CHAT, f"u{i % 7}", f"c{i}")) for i in range(200))
    )
    assert len({m.id for m in messages}) == 200
    assert await store.count() == 200


async def test_after_reads_newer_messages_in_id_order_for_catch_up(store: SqlStore) -> None:
    assert await store.latest_id() == 0
    added = [await store.add(NewMessage(MessageKind.CHAT, "Ann", f"a{i}")) for i in range(7)]
    assert await store.latest_id() == added[-1].id
    newer = await store.after(added[2].id, 3)
    assert [m.text for m in newer] == ["a3", "a4", "a5"]
    assert await store.after(added[-1].id, 10) == []


async def test_a_retried_send_with_the_same_client_id_is_stored_once(store: SqlStore) -> None:
    first = await store.add(NewMessage(MessageKind.CHAT, "Ann", "once", client_id="c-1"))
    again = await store.add(NewMessage(MessageKind.CHAT, "Ann", "once", client_id="c-1"))
    other_user = await store.add(NewMessage(MessageKind.CHAT, "Bob", "mine", client_id="c-1"))
    assert again.id == first.id
    assert again.created_at == first.created_at
    assert other_user.id != first.id  # ids are per sender
    assert await store.count() == 2


async def test_a_client_id_never_finds_a_message_of_another_room_or_author_kind(
    store: SqlStore,
) -> None:
    """Security round, item 2: a webhook posting as "Alice" with a client id Alice used in a
    direct conversation once got her direct message back. Each scope stores its own message."""
    secret = await store.add(
        NewMessage(MessageKind.CHAT, "Alice", "my secret", client_id="1", room="dm:5:alicebob")
    )
    as_integration = await store.add(
        NewMessage(
            MessageKind.CHAT,
            "Alice",
            "posted by a webhook",
            client_id="1",
            author_kind=AuthorKind.INTEGRATION,
            room="dm:5:alicebob",
        )
    )
    elsewhere = await store.add(NewMessage(MessageKind.CHAT, "Alice", "in general", client_id="1"))
    assert len({secret.id, as_integration.id, elsewhere.id}) == 3
    assert as_integration.text == "posted by a webhook"
    assert elsewhere.text == "in general"
    retried = await store.add(
        NewMessage(MessageKind.CHAT, "Alice", "my secret", client_id="1", room="dm:5:alicebob")
    )
    assert retried.id == secret.id  # a real retry still finds its own message


async def test_author_kind_is_stored_and_defaults_to_user(store: SqlStore) -> None:
    person = await store.add(NewMessage(MessageKind.CHAT, "Ann", "hi"))
    bot = await store.add(
        NewMessage(MessageKind.CHAT, "Helper", "beep", author_kind=AuthorKind.BOT)
    )
    action = await store.add(NewMessage(MessageKind.ACTION, "Ann", "waves"))
    assert (person.author_kind, bot.author_kind) == (AuthorKind.USER, AuthorKind.BOT)
    page = await store.latest("general", 10)
    assert [(m.kind, m.author_kind) for m in page.messages] == [
        (MessageKind.CHAT, AuthorKind.USER),
        (MessageKind.CHAT, AuthorKind.BOT),
        (MessageKind.ACTION, AuthorKind.USER),
    ]
    assert page.messages[-1].id == action.id


async def test_the_last_message_of_a_kind_is_the_topic(store: SqlStore) -> None:
    assert await store.last_of_kind("general", MessageKind.TOPIC) is None
    await store.add(NewMessage(MessageKind.TOPIC, "Ann", "first topic"))
    await store.add(NewMessage(MessageKind.CHAT, "Ann", "chatter"))
    await store.add(NewMessage(MessageKind.TOPIC, "Bob", "Release day"))
    last = await store.last_of_kind("general", MessageKind.TOPIC)
    assert last is not None
    assert (last.user_name, last.text) == ("Bob", "Release day")


async def test_ids_outside_the_64_bit_range_name_no_message(store: SqlStore) -> None:
    # Both databases refuse to compare with them (SQLite: OverflowError, asyncpg: DataError);
    # a caller that bypasses the API's bounds gets "no such message", not a crash.
    first = await store.add(NewMessage(MessageKind.CHAT, "Ann", "only"))
    for huge in (2**63, 2**64, 10**30):
        assert await store.get(huge) is None
        newest = await store.before("general", huge, 10)
        assert [m.id for m in newest.messages] == [first.id]
    for small in (0, -1, -(2**63) - 1):
        assert await store.get(small) is None
        assert (await store.before("general", small, 10)).messages == []


async def test_a_database_error_does_not_quote_what_was_written(store: SqlStore) -> None:
    """A traceback in the log carries the error's text: it must not hold a message's words."""
    secret = NewMessage(MessageKind.CHAT, "Ann", "a secret sentence", client_id="c-1")
    await store.add(secret)
    with pytest.raises(sqlalchemy.exc.IntegrityError) as failed:
        async with store.writing() as conn:
            await conn.execute(
                sqlalchemy.insert(messages).values(
                    id=(await store.latest("general", 1)).messages[0].id,
                    kind="chat",
                    user_name="Ann",
                    text="a secret sentence",
                    created_at=datetime.now(UTC),
                )
            )
    assert "a secret sentence" not in str(failed.value)


@pytest.mark.parametrize("write", ["post", "edit", "delete", "react"])
async def test_on_sqlite_a_message_write_goes_before_the_writes_already_waiting(
    tmp_path: Path, write: str
) -> None:
    """A crowd joining queues its accounts' writes; a message typed meanwhile (or an edit, a
    deletion, a reaction) is stored ahead of them (storage/write_queue.py), not after them."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    store = SqlStore(engine)
    existing = await store.add(NewMessage(MessageKind.CHAT, "Ann", "hello"))
    release = asyncio.Event()
    holding = asyncio.Event()
    done: list[str] = []

    async def held_write() -> None:
        async with store.writing() as conn:
            holding.set()
            await release.wait()
            await store._insert(conn, NewMessage(MessageKind.JOIN, "u0", "first"))

    async def queued_write(i: int) -> None:
        async with store.writing() as conn:
            await store._insert(conn, NewMessage(MessageKind.JOIN, f"u{i}", "join"))
        done.append(f"join{i}")

    async def message_write() -> None:
        if write == "post":
            await store.add(NewMessage(MessageKind.CHAT, "Ann", "again"))
        elif write == "edit":
            await store.edit(existing.id, "hello, edited", ())
        elif write == "delete":
            await store.delete(existing.id)
        else:
            await store.toggle_reaction(existing.id, "Bob", "👍")
        done.append(write)

    try:
        first = asyncio.create_task(held_write())
        await holding.wait()
        assert store._write_queue is not None
        joins = [asyncio.create_task(queued_write(i)) for i in range(1, 6)]
        await asyncio.sleep(0)  # each task's first step takes its place in the queue
        assert store._write_queue.waiting() == len(joins)
        message = asyncio.create_task(message_write())
        await asyncio.sleep(0)
        assert store._write_queue.waiting() == len(joins) + 1
        release.set()
        await asyncio.gather(first, message, *joins)
    finally:
        await engine.dispose()
    assert done == [write, "join1", "join2", "join3", "join4", "join5"]
