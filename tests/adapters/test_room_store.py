"""SqlRoomStore (and the room side of SqlStore) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from flet_chat.core.accounts.models import AccountKind, Role
from flet_chat.core.limits import DEFAULT_ROOM, UNREAD_CAP
from flet_chat.core.models import MessageKind, NewMessage, Room, RoomKind, RoomState
from flet_chat.core.names import name_skeleton
from flet_chat.core.rooms import direct_key
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import alembic_config, upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import users

CYRILLIC_A = "\u0410"
CYRILLIC_ALICE = f"{CYRILLIC_A}lice"


@dataclass
class Stores:
    messages: SqlStore
    rooms: SqlRoomStore

    async def say(
        self,
        room: str,
        name: str,
        text: str,
        *,
        kind: MessageKind = MessageKind.CHAT,
        mentions: tuple[str, ...] = (),
    ) -> int:
        new = NewMessage(kind, name, text, room=room, mentions=mentions)
        return (await self.messages.add(new)).id

    async def state(self, user: str, room: str) -> RoomState:
        return next(s for s in await self.rooms.rooms_of(user) if s.room.key == room)


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[Stores]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    messages = SqlStore(engine)
    yield Stores(messages, SqlRoomStore(engine, messages))
    await engine.dispose()


def public(key: str, *members: str) -> Room:
    return Room(key, RoomKind.PUBLIC, members=members)


async def test_create_room_refuses_a_taken_key(stores: Stores) -> None:
    assert await stores.rooms.create_room(public("dev", "Ann"), created_by="Ann")
    assert not await stores.rooms.create_room(public("dev", "Bob"), created_by="Bob")
    # #general exists from the migration on: nobody can create it again.
    assert not await stores.rooms.create_room(public(DEFAULT_ROOM), created_by="Bob")
    assert await stores.rooms.members("dev") == ["Ann"]
    assert [r.key for r in await stores.rooms.public_rooms()] == ["dev", "general"]
    assert await stores.rooms.get_room("nope") is None


async def test_direct_rooms_know_their_two_people_and_are_not_listed(stores: Stores) -> None:
    key = direct_key("Ann", "Bob")
    assert await stores.rooms.create_room(
        Room(key, RoomKind.DIRECT, members=("Ann", "Bob")), created_by="Ann"
    )
    assert await stores.rooms.get_room(key) == Room(key, RoomKind.DIRECT, members=("Ann", "Bob"))
    assert [r.key for r in await stores.rooms.public_rooms()] == ["general"]


async def test_add_and_remove_members(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann"), created_by="Ann")
    assert await stores.rooms.add_member("dev", "Bob")
    assert not await stores.rooms.add_member("dev", "bob")  # one person, whatever the case
    assert await stores.rooms.is_member("dev", "BOB")
    assert await stores.rooms.members("dev") == ["Ann", "Bob"]
    assert await stores.rooms.remove_member("dev", "Bob")
    assert not await stores.rooms.remove_member("dev", "Bob")
    assert not await stores.rooms.is_member("dev", "Bob")
    # Everyone is in #general without a row.
    assert await stores.rooms.is_member(DEFAULT_ROOM, "Zed")
    assert not await stores.rooms.add_member(DEFAULT_ROOM, "Zed")


async def test_concurrent_joins_of_one_user_add_one_member(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann"), created_by="Ann")
    added = await asyncio.gather(*(stores.rooms.add_member("dev", "Bob") for _ in range(5)))
    assert sorted(added) == [False] * 4 + [True]


async def test_rooms_of_counts_unread_others_chat_only(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann", "Bob"), created_by="Ann")
    await stores.say("dev", "Bob", "one")
    await stores.say("dev", "bob", "two")
    await stores.say("dev", "Ann", "my own")
    await stores.say("dev", "ANN", "my own, another case")
    await stores.say("dev", "Bob", "joined", kind=MessageKind.JOIN)
    deleted = await stores.say("dev", "Bob", "oops")
    await stores.messages.delete(deleted)
    await stores.say("dev", "Bob", "waves", kind=MessageKind.ACTION)
    state = await stores.state("Ann", "dev")
    assert state.unread == 3  # one, two, waves
    assert not state.mentioned
    assert [s.room.key for s in await stores.rooms.rooms_of("Ann")] == ["general", "dev"]


async def test_unread_counts_stop_at_the_cap(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann", "Bob"), created_by="Ann")
    for i in range(UNREAD_CAP + 5):
        await stores.say("dev", "Bob", f"m{i}")
    assert (await stores.state("Ann", "dev")).unread == UNREAD_CAP


async def test_a_new_member_has_read_what_was_said_before(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann"), created_by="Ann")
    await stores.say("dev", "Ann", "before Bob")
    await stores.rooms.add_member("dev", "Bob")
    assert (await stores.state("Bob", "dev")).unread == 0
    await stores.say("dev", "Ann", "after Bob")
    assert (await stores.state("Bob", "dev")).unread == 1


async def test_mentions_flag_the_room_until_read(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann", "Bob"), created_by="Ann")
    await stores.say("dev", "Ann", "note to @ann self", mentions=("ann",))
    assert not (await stores.state("Ann", "dev")).mentioned  # naming yourself is no news
    mention = await stores.say("dev", "Bob", "@ann look", mentions=("ann",))
    assert (await stores.state("Ann", "dev")).mentioned
    assert not (await stores.state("Bob", "dev")).mentioned
    await stores.rooms.mark_read("dev", "Ann", mention)
    assert not (await stores.state("Ann", "dev")).mentioned


async def test_an_edit_can_add_or_take_back_a_mention(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann", "Bob"), created_by="Ann")
    said = await stores.say("dev", "Bob", "hello")
    await stores.messages.edit(said, "hello @Ann", ("ann",))
    assert (await stores.state("Ann", "dev")).mentioned
    await stores.messages.delete(said)
    assert not (await stores.state("Ann", "dev")).mentioned


async def test_mark_read_never_moves_back(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann", "Bob"), created_by="Ann")
    ids = [await stores.say("dev", "Bob", f"m{i}") for i in range(4)]
    await stores.rooms.mark_read("dev", "Ann", ids[2])
    assert (await stores.state("Ann", "dev")).unread == 1
    await stores.rooms.mark_read("dev", "Ann", ids[0])
    assert (await stores.state("Ann", "dev")).unread == 1


async def test_general_counts_from_the_first_marker(stores: Stores) -> None:
    first = await stores.say(DEFAULT_ROOM, "Bob", "before Ann ever read")
    # Never marked: nothing counts (not the whole history).
    assert (await stores.state("Ann", DEFAULT_ROOM)).unread == 0
    await asyncio.gather(*(stores.rooms.mark_read(DEFAULT_ROOM, "Ann", first) for _ in range(3)))
    await stores.say(DEFAULT_ROOM, "Bob", "new")
    await stores.say(DEFAULT_ROOM, "Bob", "hi @Ann", mentions=("ann",))
    general = await stores.state("Ann", DEFAULT_ROOM)
    assert (general.unread, general.mentioned) == (2, True)
    # A #general marker does not make anyone a member of anything else.
    assert [s.room.key for s in await stores.rooms.rooms_of("Ann")] == [DEFAULT_ROOM]


async def test_messages_stay_in_their_room(stores: Stores) -> None:
    await stores.rooms.create_room(public("dev", "Ann"), created_by="Ann")
    await stores.say("dev", "Ann", "in dev")
    await stores.say(DEFAULT_ROOM, "Ann", "in general")
    assert [m.text for m in (await stores.messages.latest("dev", 10)).messages] == ["in dev"]
    general = await stores.messages.latest(DEFAULT_ROOM, 10)
    assert [m.text for m in general.messages] == ["in general"]


async def test_edits_deletes_and_reactions_are_stored(stores: Stores) -> None:
    said = await stores.say(DEFAULT_ROOM, "Ann", "helo")
    edited = await stores.messages.edit(said, "hello", ())
    assert (edited.text, edited.edited, edited.revision) == ("hello", True, 1)
    await stores.messages.toggle_reaction(said, "Bob", "👍")
    both = await stores.messages.toggle_reaction(said, "Cy", "👍")
    assert [(r.emoji, r.users) for r in both.reactions] == [("👍", ("Bob", "Cy"))]
    back = await stores.messages.toggle_reaction(said, "bob", "👍")  # Bob takes it back
    assert [(r.emoji, r.users) for r in back.reactions] == [("👍", ("Cy",))]
    gone = await stores.messages.delete(said)
    assert (gone.deleted, gone.text, gone.reactions, gone.revision) == (True, "", (), 5)
    reread = (await stores.messages.latest(DEFAULT_ROOM, 1)).messages[0]
    assert reread == gone


async def claim(store: SqlAccountStore, name: str) -> str | None:
    """Names are claimed by accounts now (test_account_store.py tests the claims themselves)."""
    return await store.create_account(
        name, name_skeleton(name), kind=AccountKind.GUEST, password_hash=None, role=Role.MEMBER
    )


async def test_the_migration_gives_look_alikes_claimed_before_it_one_skeleton(
    database_url: str,
) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0006")
    engine = create_engine(database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    old_names = ["Alice", CYRILLIC_ALICE, "Bob", "AIice", "Carol"]
    # More than a page of names claimed in one instant, and after them a look-alike of Bob's:
    # the backfill pages by (time, key) and remembers skeletons across pages.
    crowd = [f"user{i:04}" for i in range(1200)]
    late_bob = "B\u043eb"  # a Cyrillic o
    rows_in = [
        *({"user_name": n, "created_at": start + timedelta(i)} for i, n in enumerate(old_names)),
        *({"user_name": n, "created_at": start + timedelta(10)} for n in crowd),
        {"user_name": late_bob, "created_at": start + timedelta(11)},
    ]
    async with engine.begin() as conn:
        await conn.execute(
            users.insert(), [{**r, "user_key": r["user_name"].casefold()} for r in rows_in]
        )
    await upgrade_to_head_async(database_url)
    async with engine.connect() as conn:
        everyone = dict((await conn.execute(select(users.c.user_name, users.c.skeleton))).all())
    rows = [(n, everyone.pop(n)) for n in old_names]
    assert everyone.pop(late_bob) is None
    assert everyone == {n: name_skeleton(n) for n in crowd}
    store = SqlAccountStore(engine, SqlStore(engine))
    try:
        # The earliest of the look-alikes keeps the skeleton; the later ones keep their names.
        assert dict(rows) == {
            "Alice": "alice",
            CYRILLIC_ALICE: None,
            "Bob": "bob",
            "AIice": None,
            "Carol": "carol",
        }
        assert await claim(store, "\u0391lice") == "Alice"  # a Greek capital alpha: a third
        assert await claim(store, CYRILLIC_ALICE.upper()) == CYRILLIC_ALICE  # its owner again
        # Down and up again: the same skeletons, and nothing in the way of the index.
        await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0006")
        await upgrade_to_head_async(database_url)
        async with engine.connect() as conn:
            assert (await conn.execute(select(users.c.user_name, users.c.skeleton))).all()
            again = await conn.execute(select(users.c.skeleton).where(users.c.user_name == "Bob"))
            assert again.scalar_one() == "bob"
    finally:
        await engine.dispose()
