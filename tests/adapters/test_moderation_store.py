"""Moderation in the SQL stores on SQLite and PostgreSQL (migration 0011): room roles, mutes,
archive and slow mode in SqlRoomStore; bans, reports and the audit log in SqlModerationStore;
a message removed by a moderator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import insert, select

from flet_chat.core.models import (
    MessageKind,
    NewMessage,
    Room,
    RoomKind,
    RoomRole,
    SearchQuery,
)
from flet_chat.core.moderation_models import (
    EVERYWHERE,
    ModerationAction,
    NewAuditEntry,
    NewReport,
    ReportResolution,
)
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import alembic_config, upgrade_to_head_async
from flet_chat.storage.moderation_store import SqlModerationStore
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import room_members, rooms

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


@dataclass
class Stores:
    messages: SqlStore
    rooms: SqlRoomStore
    moderation: SqlModerationStore


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[Stores]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    messages = SqlStore(engine)
    yield Stores(messages, SqlRoomStore(engine, messages), SqlModerationStore(engine, messages))
    await engine.dispose()


async def test_a_private_rooms_creator_owns_it_and_roles_change(stores: Stores) -> None:
    room = Room("secret", RoomKind.PRIVATE, members=("Olive",))
    assert await stores.rooms.create_room(room, created_by="Olive")
    assert await stores.rooms.get_room("secret") == Room("secret", RoomKind.PRIVATE)
    assert [r.key for r in await stores.rooms.public_rooms()] == ["general"]  # never listed
    assert await stores.rooms.add_member("secret", "Mia")
    standing = await stores.rooms.membership("secret", "olive")
    assert standing is not None
    assert standing.role is RoomRole.OWNER
    assert await stores.rooms.set_role("secret", "MIA", RoomRole.MODERATOR)
    assert not await stores.rooms.set_role("secret", "Nobody", RoomRole.MODERATOR)
    assert await stores.rooms.transfer_ownership("secret", "Olive", "Mia")
    roles = {m.user_name: m.role for m in await stores.rooms.memberships("secret")}
    assert roles == {"Mia": RoomRole.OWNER, "Olive": RoomRole.MODERATOR}
    assert not await stores.rooms.transfer_ownership("secret", "Mia", "Nobody")
    room_of, mine = await stores.rooms.standing("secret", "mia")
    assert room_of == Room("secret", RoomKind.PRIVATE)
    assert mine is not None
    assert (mine.user_name, mine.role) == ("Mia", RoomRole.OWNER)
    assert await stores.rooms.standing("secret", "Eve") == (room_of, None)
    assert await stores.rooms.standing("nowhere", "Mia") == (None, None)
    assert await stores.rooms.standing("general", "Mia") == (Room("general", RoomKind.PUBLIC), None)
    states = {s.room.key: s for s in await stores.rooms.rooms_of("Mia")}
    assert states["secret"].room.kind is RoomKind.PRIVATE
    assert states["secret"].role is RoomRole.OWNER
    assert states["general"].role is None


async def test_mutes_archive_and_slow_mode_are_kept(stores: Stores) -> None:
    await stores.rooms.create_room(Room("dev", RoomKind.PUBLIC, members=("Olive",)), "Olive")
    await stores.rooms.add_member("dev", "Mia")
    until = NOW + timedelta(minutes=5)
    assert await stores.rooms.set_muted("dev", "mia", until)
    assert not await stores.rooms.set_muted("dev", "Nobody", until)
    standing = await stores.rooms.membership("dev", "Mia")
    assert standing is not None
    assert standing.muted_until == until
    assert await stores.rooms.set_muted("general", "Mia", until)  # #general: a row is made
    general = await stores.rooms.membership("general", "Mia")
    assert general is not None
    assert general.muted_until == until
    assert await stores.rooms.set_muted("dev", "Mia", None)
    unmuted = await stores.rooms.membership("dev", "Mia")
    assert unmuted is not None
    assert unmuted.muted_until is None

    await stores.rooms.set_slow_mode("dev", 30)
    await stores.rooms.set_archived("dev", True)
    archived = await stores.rooms.get_room("dev")
    assert archived == Room("dev", RoomKind.PUBLIC, archived=True, slow_mode_seconds=30)
    assert "dev" not in [r.key for r in await stores.rooms.public_rooms()]
    states = {s.room.key: s for s in await stores.rooms.rooms_of("Mia")}
    assert states["dev"].room.archived
    await stores.rooms.set_archived("dev", False)
    assert "dev" in [r.key for r in await stores.rooms.public_rooms()]
    # #general's slow mode reaches even someone who has no row for it yet.
    await stores.rooms.set_slow_mode("general", 10)
    newcomer = await stores.rooms.rooms_of("Zed")
    assert [s.room.key for s in newcomer] == ["general"]
    assert newcomer[0].room.slow_mode_seconds == 10
    assert newcomer[0].muted_until is None
    # Someone with a row there (Mia's mute made one) gets it once, with the room's settings.
    rooms_of_mia = await stores.rooms.rooms_of("Mia")
    assert [s.room.key for s in rooms_of_mia] == ["general", "dev"]
    assert rooms_of_mia[0].room.slow_mode_seconds == 10
    assert rooms_of_mia[0].muted_until == until


async def test_rooms_of_says_what_the_standing_in_general_says(stores: Stores) -> None:
    # RoomService keeps #general's standing from a user's rooms (no read of its own after a
    # join): both reads must agree on the room's settings and the user's mute there.
    async def agree(name: str) -> None:
        general = (await stores.rooms.rooms_of(name))[0]
        room, membership = await stores.rooms.standing("general", name)
        assert general.room == room
        assert general.muted_until == (membership.muted_until if membership else None)

    await agree("Zed")  # no marker row, #general's settings as made
    await stores.rooms.set_slow_mode("general", 20)
    await stores.rooms.set_archived("general", True)
    await agree("Zed")
    await stores.rooms.mark_read("general", "Mia", 0)  # a marker row, no mute
    await agree("Mia")
    await stores.rooms.set_muted("general", "Mia", NOW + timedelta(minutes=5))
    await agree("Mia")
    await agree("MIA")


async def test_a_message_removed_by_a_moderator_says_so(stores: Stores) -> None:
    said = await stores.messages.add(NewMessage(MessageKind.CHAT, "Mia", "spam"))
    removed = await stores.messages.delete(said.id, by_moderator=True)
    assert removed.deleted
    assert removed.removed_by_moderator
    assert removed.text == ""
    again = await stores.messages.get(said.id)
    assert again is not None
    assert again.removed_by_moderator
    own = await stores.messages.add(NewMessage(MessageKind.CHAT, "Mia", "oops"))
    assert not (await stores.messages.delete(own.id)).removed_by_moderator


async def test_bans_from_a_room_and_from_the_chat(stores: Stores) -> None:
    ban = stores.moderation
    assert await ban.add_ban("dev", "Bob", banned_by="Mo", reason="spam", at=NOW)
    assert not await ban.add_ban("dev", "BOB", banned_by="Mo", reason=None, at=NOW)
    assert await ban.is_banned("dev", "bob")
    assert not await ban.is_banned("other", "Bob")
    assert await ban.add_ban(EVERYWHERE, "Eve", banned_by="Root", reason=None, at=NOW)
    assert await ban.is_banned("any-room", "Eve")  # banned from the chat: from every room
    assert await ban.banned("dev") == ["Bob"]
    assert await ban.banned(EVERYWHERE) == ["Eve"]
    assert await ban.remove_ban("dev", "Bob")
    assert not await ban.remove_ban("dev", "Bob")
    assert not await ban.is_banned("dev", "Bob")


async def test_one_open_report_per_reporter_and_message_resolved_once(stores: Stores) -> None:
    store = stores.moderation
    made = await store.add_report(NewReport(7, "dev", "Bob", "rude"), NOW)
    assert made is not None
    assert await store.add_report(NewReport(7, "dev", "BOB", "again"), NOW) is None
    other = await store.add_report(NewReport(7, "dev", "Olive", "rude"), NOW)
    assert other is not None
    assert [r.id for r in await store.open_reports(10)] == [made.id, other.id]
    # Two admins resolve at once: one wins.
    results = await asyncio.gather(
        store.resolve_report(made.id, by="Root", resolution=ReportResolution.DELETE, at=NOW),
        store.resolve_report(made.id, by="Ada", resolution=ReportResolution.DISMISS, at=NOW),
    )
    assert sum(r is not None for r in results) == 1
    closed = await store.report(made.id)
    assert closed is not None
    assert not closed.is_open
    assert [r.id for r in await store.open_reports(10)] == [other.id]
    # Resolved, the same reporter may report it again.
    assert await store.add_report(NewReport(7, "dev", "Bob", "still rude"), NOW) is not None
    assert await store.report(2**63) is None


async def test_the_audit_log_pages_newest_first(stores: Stores) -> None:
    store = stores.moderation
    for n in range(5):
        await store.add_audit(
            NewAuditEntry("Mo", ModerationAction.MUTE, "Mia", "dev", reason=f"r{n}", detail="5"),
            NOW + timedelta(seconds=n),
        )
    first = await store.audit_log(2, None)
    assert [e.reason for e in first] == ["r4", "r3"]
    assert first[0].at == NOW + timedelta(seconds=4)
    assert first[0].action is ModerationAction.MUTE
    rest = await store.audit_log(10, first[-1].id)
    assert [e.reason for e in rest] == ["r2", "r1", "r0"]
    assert await store.audit_log(10, 0) == []
    assert len(await store.audit_log(10, 2**63)) == 5


async def test_migration_0011_makes_existing_rooms_creators_their_owners(database_url: str) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0010")
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(rooms).values(key="old", kind="public", created_by="Olive", created_at=NOW)
        )
        for name in ("olive", "mia"):
            await conn.execute(
                insert(room_members).values(
                    room="old", user_key=name, user_name=name.title(), joined_at=NOW
                )
            )
    await engine.dispose()
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        query = select(room_members.c.user_key, room_members.c.role).order_by("user_key")
        assert (await conn.execute(query)).all() == [("mia", "member"), ("olive", "owner")]
    await engine.dispose()
    await _search_still_works(database_url, "first")
    await asyncio.to_thread(command.downgrade, config, "0010")  # and back
    await asyncio.to_thread(command.upgrade, config, "head")
    await _search_still_works(database_url, "second")


async def _search_still_works(database_url: str, word: str) -> None:
    """Full-text search follows new messages (SQLite's index lives on triggers, which a table
    copied by Alembic's batch mode would have lost)."""
    engine = create_engine(database_url)
    store = SqlStore(engine)
    said = await store.add(NewMessage(MessageKind.CHAT, "Mia", f"the {word} word"))
    found = await store.search(SearchQuery((word,), ("general",), 10))
    await engine.dispose()
    assert [m.id for m in found] == [said.id]


async def test_migration_0011_finds_owners_whose_names_are_not_ascii(database_url: str) -> None:
    # Member rows are keyed by user_key (casefold): SQL's lower() is ASCII-only on SQLite and
    # is not casefold on PostgreSQL ("Straße" lowers to "straße", casefolds to "strasse").
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0010")
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for key, creator in (("cafe", "Émile"), ("strasse", "Straße"), ("plain", "Olive")):
            await conn.execute(
                insert(rooms).values(key=key, kind="public", created_by=creator, created_at=NOW)
            )
            await conn.execute(
                insert(room_members).values(
                    room=key, user_key=creator.casefold(), user_name=creator, joined_at=NOW
                )
            )
    await engine.dispose()
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        query = select(room_members.c.room, room_members.c.role).order_by("room")
        assert (await conn.execute(query)).all() == [
            ("cafe", "owner"),
            ("plain", "owner"),
            ("strasse", "owner"),
        ]
    await engine.dispose()


async def test_a_transfer_from_someone_no_longer_owner_changes_nothing(stores: Stores) -> None:
    # Two transfers at once (two tabs of the owner, or the owner and an admin) both read
    # "Olive owns it" first: the second must not make a second owner.
    room = Room("twice", RoomKind.PUBLIC, members=("Olive",))
    assert await stores.rooms.create_room(room, created_by="Olive")
    for name in ("Mia", "Bob"):
        assert await stores.rooms.add_member("twice", name)
    assert await stores.rooms.transfer_ownership("twice", "Olive", "Mia")
    assert not await stores.rooms.transfer_ownership("twice", "Olive", "Bob")  # a stale owner
    roles = {m.user_name: m.role for m in await stores.rooms.memberships("twice")}
    assert roles == {"Mia": RoomRole.OWNER, "Olive": RoomRole.MODERATOR, "Bob": RoomRole.MEMBER}


async def test_a_mute_in_general_does_not_make_its_history_unread(stores: Stores) -> None:
    # Someone who never marked #general read has nothing unread there ("count nothing rather
    # than the whole history"); the row a mute makes must not change that.
    for n in range(3):
        await stores.messages.add(NewMessage(MessageKind.CHAT, "Olive", f"said {n}"))
    before = await stores.rooms.rooms_of("Mia")
    assert (before[0].room.key, before[0].unread) == ("general", 0)
    assert await stores.rooms.set_muted("general", "Mia", NOW + timedelta(minutes=5))
    after = await stores.rooms.rooms_of("Mia")
    assert (after[0].room.key, after[0].unread, after[0].muted_until) == (
        "general",
        0,
        NOW + timedelta(minutes=5),
    )
    said = await stores.messages.add(NewMessage(MessageKind.CHAT, "Olive", "after the mute"))
    assert said.id > 0
    assert (await stores.rooms.rooms_of("Mia"))[0].unread == 1  # news still counts


async def test_a_report_closed_for_an_action_that_failed_opens_again(stores: Stores) -> None:
    store = stores.moderation
    made = await store.add_report(NewReport(7, "general", "Mia", "rude"), NOW)
    assert made is not None
    assert await store.resolve_report(made.id, by="Root", resolution=ReportResolution.MUTE, at=NOW)
    await store.reopen_report(made.id)
    assert [r.id for r in await store.open_reports(10)] == [made.id]
    # Reported again while closed: the new report stands, the old one stays closed.
    assert await store.resolve_report(made.id, by="Root", resolution=ReportResolution.BAN, at=NOW)
    again = await store.add_report(NewReport(7, "general", "Mia", "still rude"), NOW)
    assert again is not None
    await store.reopen_report(made.id)
    assert [r.id for r in await store.open_reports(10)] == [again.id]
