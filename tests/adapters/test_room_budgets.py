"""Rooms stay forever, so making them is budgeted: a daily cap per user counted in the database,
direct conversations only with names someone has, and a capped room directory (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from flet_chat.core.accounts.models import AccountKind, Role
from flet_chat.core.errors import RateLimitedError, ValidationError
from flet_chat.core.limits import ROOMS_PER_USER_PER_DAY
from flet_chat.core.models import MessageKind, NewMessage, Room, RoomKind
from flet_chat.core.names import name_skeleton
from flet_chat.core.room_service import RoomService
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from tests.unit.fakes import RecordingBus, message_limits


class Now:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[SqlStore, SqlRoomStore]]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    messages = SqlStore(engine)
    yield messages, SqlRoomStore(engine, messages)
    await engine.dispose()


def service(rooms: SqlRoomStore, now: Now) -> RoomService:
    # No short-term room budget here: only the database's daily count limits.
    return RoomService(rooms, RecordingBus([]), message_limits(100, 1.0), clock=now)


async def test_a_user_creates_at_most_a_days_worth_of_rooms(
    stores: tuple[SqlStore, SqlRoomStore],
) -> None:
    now = Now()
    rooms = service(stores[1], now)
    # One person in any case, accents included (SQLite's lower() knows only ASCII).
    for i in range(ROOMS_PER_USER_PER_DAY):
        await rooms.create("MalloryÉ" if i % 2 else "malloryé", f"spam-{i}")
    with pytest.raises(RateLimitedError) as refused:
        await rooms.create("MALLORYÉ", "one-more")
    assert str(refused.value) == (
        f"You can create at most {ROOMS_PER_USER_PER_DAY} rooms a day. Join an existing room,"
        " or try again tomorrow."
    )
    assert await stores[1].get_room("one-more") is None
    await rooms.create("Ann", "ann-room")  # someone else's day is their own
    now.at += timedelta(days=1, seconds=1)
    assert await rooms.create("Malloryé", "next-day") == Room("next-day", RoomKind.PUBLIC)


async def test_a_direct_conversation_needs_someone_with_that_name(
    stores: tuple[SqlStore, SqlRoomStore],
) -> None:
    store = stores[1]
    rooms = service(store, Now())
    accounts = SqlAccountStore(store._engine, stores[0])
    for name in ("Ann", "Bob"):
        claimed = await accounts.create_account(
            name, name_skeleton(name), kind=AccountKind.GUEST, password_hash=None, role=Role.MEMBER
        )
        assert claimed is None  # newly claimed
    for nobody in ("Nobody", "Bobby", "B0b"):  # a look-alike is nobody either
        with pytest.raises(ValidationError, match=f"^There is nobody called {nobody} here.$"):
            await rooms.open_direct("Ann", nobody)
    room = await rooms.open_direct("Ann", "bob")
    assert room.members == ("Ann", "Bob")  # as Bob writes it
    assert [s.room.kind for s in await store.rooms_of("Ann")] == [
        RoomKind.PUBLIC,
        RoomKind.DIRECT,
    ]


async def test_the_directory_lists_the_most_recently_active_rooms_by_name(
    stores: tuple[SqlStore, SqlRoomStore],
) -> None:
    messages, store = stores
    for key in ("quiet", "busy", "old-news", "fresh"):
        assert await store.create_room(Room(key, RoomKind.PUBLIC, members=("Ann",)), "Ann")
    for room in ("old-news", "busy", "general", "busy"):
        await messages.add(NewMessage(MessageKind.CHAT, "Ann", "hi", room=room))
    assert [r.key for r in await store.public_rooms(3)] == ["busy", "general", "old-news"]
    # Rooms nobody spoke in come after, newest first.
    assert [r.key for r in await store.public_rooms(4)] == ["busy", "fresh", "general", "old-news"]
    assert len(await store.public_rooms()) == 5
