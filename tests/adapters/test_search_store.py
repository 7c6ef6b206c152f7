"""Full-text search in the SQL store (migration 0009) on SQLite and PostgreSQL: the words
found, the rooms filtered, edits and deletes kept in step, user text that is never query syntax,
and the migration indexing the history stored before it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.core.models import MessageKind, NewMessage, Room, RoomKind, SearchQuery
from flet_chat.core.rooms import direct_key
from flet_chat.core.search import search_terms
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import alembic_config, upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.search_queries import fts5_query, room_token
from flet_chat.storage.sql_store import SqlStore

GENERAL = ("general",)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield SqlStore(engine)
    await engine.dispose()


async def say(store: SqlStore, words: str, *, room: str = "general", **kw: object) -> int:
    return (await store.add(NewMessage(MessageKind.CHAT, "Ann", words, room=room, **kw))).id  # type: ignore[arg-type]


async def found(
    store: SqlStore, query: str, rooms: tuple[str, ...] = GENERAL, **kw: object
) -> list[str]:
    terms = search_terms(query)
    results = await store.search(SearchQuery(terms, rooms, limit=50, **kw))  # type: ignore[arg-type]
    return [m.text for m in results]


async def integrity(store: SqlStore) -> None:
    """SQLite checks its FTS5 index against the messages table (a mismatch is an error)."""
    engine = store._engine
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        await conn.execute(
            text("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
        )


async def test_finds_every_word_newest_first_in_the_rooms_asked(store: SqlStore) -> None:
    await store.add(NewMessage(MessageKind.JOIN, "Ann", "Ann has joined the chat."))
    await say(store, "Deploy on Friday?")
    await say(store, "deploying is not deploy")
    await say(store, "FRIDAY: deploy, then beer", room="dev")
    await say(store, "friday deploy, room two")
    await store.add(NewMessage(MessageKind.ACTION, "Ann", "deploys on friday"))
    await store.add(NewMessage(MessageKind.TOPIC, "Ann", "Friday deploy party"))
    assert await found(store, "friday deploy") == [
        "Friday deploy party",
        "friday deploy, room two",
        "Deploy on Friday?",
    ]
    assert await found(store, "deploy friday", ("general", "dev")) == [
        "Friday deploy party",
        "friday deploy, room two",
        "FRIDAY: deploy, then beer",
        "Deploy on Friday?",
    ]
    assert await found(store, "friday", ("dev",)) == ["FRIDAY: deploy, then beer"]
    assert await found(store, "joined") == []  # notices are not searched
    assert await found(store, "friday", ("nowhere",)) == []
    assert await store.search(SearchQuery(("friday",), (), limit=5)) == []


async def test_pages_with_before_and_limit(store: SqlStore) -> None:
    ids = [await say(store, f"ping number {i}") for i in range(30)]
    page = await store.search(SearchQuery(("ping",), GENERAL, limit=10))
    assert [m.id for m in page] == ids[::-1][:10]
    older = await store.search(SearchQuery(("ping",), GENERAL, limit=10, before=page[-1].id))
    assert [m.id for m in older] == ids[::-1][10:20]
    assert await found(store, "ping", before=ids[0]) == []


async def test_edits_deletes_and_reactions_keep_the_index_in_step(store: SqlStore) -> None:
    lunch = await say(store, "lunch at noon, bring the cake")
    await say(store, "cake is a lie")
    await store.edit(lunch, "dinner at eight", ())
    assert await found(store, "lunch") == []
    assert await found(store, "dinner eight") == ["dinner at eight"]
    assert await found(store, "cake") == ["cake is a lie"]
    await store.toggle_reaction(lunch, "Bob", "👍")  # a revision bump: nothing to reindex
    assert await found(store, "dinner") == ["dinner at eight"]
    await store.delete(lunch)
    assert await found(store, "dinner") == []
    assert await found(store, "at") == []
    await integrity(store)


async def test_words_match_without_case_or_accents_and_in_any_script(store: SqlStore) -> None:
    await say(store, "Straße nach Zürich, 東京 und ÉCOLE")
    assert await found(store, "zürich") == ["Straße nach Zürich, 東京 und ÉCOLE"]
    assert await found(store, "STRASSE") == []  # lowercased, not casefolded, like the query
    assert await found(store, "straße école") == ["Straße nach Zürich, 東京 und ÉCOLE"]
    assert await found(store, "東京") == ["Straße nach Zürich, 東京 und ÉCOLE"]


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        '""',
        "*",
        "deploy*",
        "-deploy",
        "NEAR(deploy friday)",
        "deploy OR friday",
        "deploy NOT friday",
        "text:deploy",
        "^deploy",
        "{text}: deploy",
        "deploy) OR (x",
        "'; DROP TABLE messages; --",
        "a\x00b",
        "\\",
    ],
)
async def test_user_text_is_never_query_syntax(store: SqlStore, hostile: str) -> None:
    """Straight to the store (the core would have made words of it): every one is literal text,
    so nothing raises and nothing but its own words can match."""
    await say(store, "deploy on friday")
    await say(store, "near or not")
    results = await store.search(SearchQuery((hostile,), GENERAL, limit=10))
    for message in results:  # a match holds every word of the hostile text
        assert {w.lower() for w in search_terms(hostile)} <= set(
            message.text.lower().replace(",", " ").split()
        )
    assert await found(store, "deploy") == ["deploy on friday"]  # still there, still searchable
    await integrity(store)


def test_fts5_queries_quote_every_term() -> None:
    assert fts5_query(["deploy"]) == '"deploy"'
    assert fts5_query(['a"b', "NEAR"]) == '"a""b" "NEAR"'


async def test_around_a_message(store: SqlStore) -> None:
    ids = [await say(store, f"m{i}") for i in range(10)]
    await say(store, "elsewhere", room="dev")
    page = await store.around("general", ids[5], 4)
    assert [m.text for m in page.messages] == ["m4", "m5", "m6", "m7"]
    assert (page.has_older, page.has_newer) == (True, True)
    first = await store.around("general", ids[0], 4)
    assert [m.text for m in first.messages] == ["m0", "m1", "m2"]
    assert (first.has_older, first.has_newer) == (False, True)
    last = await store.around("general", ids[-1], 4)
    assert [m.text for m in last.messages] == ["m8", "m9"]
    assert (last.has_older, last.has_newer) == (True, False)


async def test_room_keys_of_lists_general_and_the_user_s_rooms(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    messages = SqlStore(engine)
    rooms = SqlRoomStore(engine, messages)
    try:
        await rooms.create_room(Room("dev", RoomKind.PUBLIC, members=("Ann",)), "Ann")
        await rooms.create_room(Room("ops", RoomKind.PUBLIC, members=("Bob",)), "Bob")
        dm = direct_key("Ann", "Bob")
        await rooms.create_room(Room(dm, RoomKind.DIRECT, members=("Ann", "Bob")), "Ann")
        await rooms.mark_read("general", "Ann", 1)  # a #general row: listed once
        assert await rooms.room_keys_of("ANN") == ["general", "dev", dm]
        assert await rooms.room_keys_of("Carol") == ["general"]
    finally:
        await engine.dispose()


async def test_the_migration_indexes_the_history_stored_before_it(database_url: str) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0008")
    engine = create_engine(database_url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("chat", "old news about the release", None),
        ("join", "Ann has joined the release", None),
        ("chat", "", at),  # deleted before the migration
        ("action", "ships the release", None),
    ]
    try:
        async with engine.begin() as conn:
            for kind, words, deleted_at in rows:
                await conn.execute(
                    text(
                        "INSERT INTO messages (kind, user_name, text, created_at, room,"
                        " deleted_at) VALUES (:kind, 'Ann', :text, :at, 'general', :deleted)"
                    ),
                    {"kind": kind, "text": words, "at": at, "deleted": deleted_at},
                )
        await asyncio.to_thread(command.upgrade, config, "0009")
        # The store reads what later migrations add (attachments) too: index, then the rest.
        await upgrade_to_head_async(database_url)
        store = SqlStore(engine)
        assert await found(store, "release") == ["ships the release", "old news about the release"]
        await say(store, "a new release")  # and it keeps up from there
        assert await found(store, "release new") == ["a new release"]
        await integrity(store)

        # Down to 0008: the index goes, the messages stay; and up again, all of them found.
        await asyncio.to_thread(command.downgrade, config, "0008")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("messages")}
            )
            count = (await conn.execute(text("SELECT count(*) FROM messages"))).scalar_one()
        assert "messages_fts" not in tables
        assert "search_vector" not in columns
        assert count == 5
        await upgrade_to_head_async(database_url)
        assert await found(store, "release") == [
            "a new release",
            "ships the release",
            "old news about the release",
        ]
    finally:
        await engine.dispose()


async def test_older_matches_are_found_past_a_flood_in_other_rooms(database_url: str) -> None:
    """Both databases search a window of the newest first (PostgreSQL: messages, SQLite: hits),
    then the rest through the index narrowed by room: a word said only long ago in the reader's
    rooms, and often since elsewhere, is still found, in order, across pages (the window is 3
    here instead of thousands)."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    store = SqlStore(engine, search_window=3)
    try:
        mine = [await say(store, f"firehose number {i}") for i in range(4)]
        for i in range(8):
            await say(store, f"firehose elsewhere {i}", room="firehose")
        recent = await say(store, "firehose again, recently")
        await say(store, "no match here")
        page = await store.search(SearchQuery(("firehose",), GENERAL, limit=3))
        assert [m.id for m in page] == [recent, mine[3], mine[2]]
        rest = await store.search(SearchQuery(("firehose",), GENERAL, limit=3, before=mine[2]))
        assert [m.id for m in rest] == [mine[1], mine[0]]
        everything = await store.search(SearchQuery(("firehose",), GENERAL, limit=50))
        assert [m.id for m in everything] == [recent, *reversed(mine)]
        assert await store.search(SearchQuery(("elsewhere",), GENERAL, limit=5)) == []
    finally:
        await engine.dispose()


async def test_the_second_step_keeps_to_the_reader_s_rooms(database_url: str) -> None:
    """Past the first step the index itself picks the rooms: hits in a direct conversation of
    others, a room not asked for and a room whose key would be FTS5 syntax are never found,
    whatever their number; the reader's own, in every room asked, are, newest first."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    store = SqlStore(engine, search_window=2)
    mine_dm, others_dm = direct_key("Ann", "Bob"), direct_key("Bob", "Carol")
    odd = 'café "x" OR {room}'  # no key the core makes, but the store must not care
    rooms = ("general", mine_dm, odd)
    try:
        mine: list[int] = []
        for i in range(3):
            for room in rooms:
                mine.append(await say(store, f"secret plan {i}", room=room))
            for room in (others_dm, "dev", others_dm, "dev"):
                await say(store, f"secret elsewhere {i}", room=room)
        for _ in range(6):
            await say(store, "secret flood", room=others_dm)
        everything = await store.search(SearchQuery(("secret",), rooms, limit=50))
        assert [m.id for m in everything] == mine[::-1]
        page = await store.search(SearchQuery(("secret", "plan"), rooms, limit=4))
        assert [m.id for m in page] == mine[::-1][:4]
        rest = await store.search(SearchQuery(("secret",), rooms, limit=50, before=page[-1].id))
        assert [m.id for m in rest] == mine[::-1][4:]
        only_odd = await store.search(SearchQuery(("secret",), (odd,), limit=50))
        assert [m.room for m in only_odd] == [odd] * 3
        assert await store.search(SearchQuery(("flood",), rooms, limit=5)) == []
        # A room's token is not a word of any message.
        assert await store.search(SearchQuery((room_token("general"),), rooms, limit=5)) == []
        await integrity(store)
    finally:
        await engine.dispose()


async def test_migration_0012_puts_the_room_into_the_index_and_takes_it_out(
    database_url: str,
) -> None:
    """0012 on a history stored before it: SQLite's FTS5 table gains the room token column,
    PostgreSQL's GIN index covers (room, search_vector); down again, 0009's index is back and
    keeps up with new messages; up again, all of it is found."""
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0011")
    engine = create_engine(database_url)
    store = SqlStore(engine, search_window=1)
    sqlite = engine.dialect.name == "sqlite"
    try:
        general = [await say(store, "release notes"), await say(store, "release day")]
        dev = await say(store, "release branch", room="dev")
        await asyncio.to_thread(command.upgrade, config, "0012")
        assert await _room_index(engine, sqlite) == "room"
        if sqlite:
            assert await _in_room_token(engine, "dev") == [dev]
            assert await _in_room_token(engine, "general") == general
        assert await found(store, "release", ("dev",)) == ["release branch"]
        assert await found(store, "release") == ["release day", "release notes"]
        await integrity(store)

        await asyncio.to_thread(command.downgrade, config, "0011")
        assert await _room_index(engine, sqlite) == "words"
        later = await say(store, "release party", room="dev")  # 0009's triggers index it
        if sqlite:
            async with engine.connect() as conn:
                hits = await conn.execute(
                    text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'release'")
                )
                assert sorted(hits.scalars()) == [*general, dev, later]
                await conn.execute(
                    text(
                        "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
                    )
                )

        await upgrade_to_head_async(database_url)
        assert await _room_index(engine, sqlite) == "room"
        assert await found(store, "release", ("general", "dev")) == [
            "release party",
            "release branch",
            "release day",
            "release notes",
        ]
        await integrity(store)
    finally:
        await engine.dispose()


async def _room_index(engine: AsyncEngine, sqlite: bool) -> str:
    """ "room" when the search index holds the room (0012), "words" when only the words."""
    async with engine.connect() as conn:
        if sqlite:
            columns = await conn.execute(text("SELECT name FROM pragma_table_info('messages_fts')"))
            return {("text",): "words", ("text", "room"): "room"}[tuple(columns.scalars())]
        indexes = await conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'messages'")
        )
        names = set(indexes.scalars())
    return {
        frozenset({"ix_messages_search_vector"}): "words",
        frozenset({"ix_messages_room_search_vector"}): "room",
    }.get(frozenset(names & {"ix_messages_search_vector", "ix_messages_room_search_vector"}), "?")


async def _in_room_token(engine: AsyncEngine, room: str) -> list[int]:
    async with engine.connect() as conn:
        hits = await conn.execute(
            text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :m ORDER BY rowid"),
            {"m": '{room} : "' + room_token(room) + '"'},
        )
        return list(hits.scalars())


async def test_migration_0012_without_btree_gin_keeps_the_words_index(database_url: str) -> None:
    """A database user who may not create extensions: 0012 leaves 0009's index (a warning),
    the migration still completes, and the same search query finds the same messages."""
    if not database_url.startswith("postgresql"):
        pytest.skip("btree_gin is PostgreSQL's")
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0011")
    admin = create_engine(database_url)
    role = f"search_{uuid.uuid4().hex[:12]}"
    user_url = make_url(database_url).set(username=role).render_as_string(hide_password=False)
    try:
        async with admin.begin() as conn:
            database = conn.engine.url.database
            for statement in (
                f"CREATE ROLE {role} LOGIN",
                f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC',
                f"GRANT USAGE, CREATE ON SCHEMA public TO {role}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            ):
                await conn.execute(text(statement))
            tables = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            for table in tables.scalars():
                await conn.execute(text(f'ALTER TABLE "{table}" OWNER TO {role}'))
        await asyncio.to_thread(command.upgrade, alembic_config(user_url), "head")
        user = create_engine(user_url)
        try:
            store = SqlStore(user, search_window=1)
            assert await _room_index(user, sqlite=False) == "words"
            await say(store, "hello there")
            await say(store, "hello elsewhere", room="dev")
            await say(store, "hello again")
            assert await found(store, "hello") == ["hello again", "hello there"]
        finally:
            await user.dispose()
        # Down and up by someone who may: now the index holds the room.
        await asyncio.to_thread(command.downgrade, alembic_config(user_url), "0011")
        await upgrade_to_head_async(database_url)
        assert await _room_index(admin, sqlite=False) == "room"
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
            await conn.execute(text(f"DROP OWNED BY {role}"))
            await conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        await admin.dispose()
