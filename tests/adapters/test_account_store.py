"""SqlAccountStore on SQLite and PostgreSQL: accounts and their names, sessions, avatars, identity
links, roles; and migration 0008, which turns the names claimed before it into guest accounts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.core.accounts.models import AccountKind, Profile, Role, SessionKind
from flet_chat.core.accounts.ports import Claim, NewSession
from flet_chat.core.accounts.tokens import new_token, token_hash
from flet_chat.core.names import name_skeleton
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import alembic_config, upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import sessions

CYRILLIC_A = "\u0410"
CYRILLIC_ALICE = f"{CYRILLIC_A}lice"
GREEK_ALICE = "\u0391lice"
BROWSER, API, TOKEN = SessionKind.BROWSER, SessionKind.API, SessionKind.ACCESS_TOKEN


def store_on(engine: AsyncEngine) -> SqlAccountStore:
    return SqlAccountStore(engine, SqlStore(engine))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlAccountStore:
    return store_on(engine)


async def create(
    store: SqlAccountStore,
    name: str,
    *,
    kind: AccountKind = AccountKind.GUEST,
    password_hash: str | None = None,
) -> str | None:
    return await store.create_account(
        name, name_skeleton(name), kind=kind, password_hash=password_hash, role=Role.MEMBER
    )


async def member(store: SqlAccountStore, name: str) -> None:
    assert (
        await create(store, name, kind=AccountKind.MEMBER, password_hash=f"hash of {name}") is None
    )


async def session(
    store: SqlAccountStore,
    name: str,
    kind: SessionKind = BROWSER,
    *,
    expires_at: datetime | None = None,
    label: str | None = None,
) -> tuple[int, str]:
    """A new session; its id and the hash of its token."""
    hashed = token_hash(new_token(kind))
    if expires_at is None and kind is not TOKEN:
        expires_at = datetime.now(UTC) + timedelta(days=30)
    made = await store.add_session(name, hashed, kind=kind, label=label, expires_at=expires_at)
    return made, hashed


# -- accounts and their names -------------------------------------------------------------------


async def test_a_new_account_and_its_fields(store: SqlAccountStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    await member(store, "Alice")
    account = await store.account("ALICE")
    assert account is not None
    assert (account.user_name, account.kind, account.role, account.has_password) == (
        "Alice",
        AccountKind.MEMBER,
        Role.MEMBER,
        True,
    )
    assert account.profile == Profile()
    assert account.created_at.tzinfo is not None
    assert before < account.created_at < datetime.now(UTC) + timedelta(seconds=5)
    credentials = await store.credentials("alice")
    assert credentials is not None
    assert (credentials.account, credentials.password_hash) == (account, "hash of Alice")
    assert await store.account("Nobody") is None
    assert await store.credentials("Nobody") is None


async def test_a_name_is_claimed_once_whatever_its_case(store: SqlAccountStore) -> None:
    assert await create(store, "Ann") is None
    assert await create(store, "ann", kind=AccountKind.MEMBER) == "Ann"
    # The same name in any case is found before a look-alike: the message says "taken".
    assert await create(store, "Allce") is None
    assert await create(store, "ALLCE") == "Allce"
    assert await create(store, "Alice") is None
    for lookalike in (CYRILLIC_ALICE, GREEK_ALICE, "AIice"):
        assert await create(store, lookalike) == "Alice"
    rooms = SqlRoomStore(store._engine, SqlStore(store._engine))
    # The room store sees the same claims (direct conversations, the webhook's name check).
    assert await rooms.name_holder(CYRILLIC_ALICE, name_skeleton(CYRILLIC_ALICE)) == "Alice"
    assert await rooms.name_holder("Bob", name_skeleton("Bob")) is None


async def test_people_claiming_one_name_at_once_one_wins(store: SqlAccountStore) -> None:
    results = await asyncio.gather(*(create(store, "Zoë") for _ in range(5)))
    assert sorted(results, key=str) == [None, "Zoë", "Zoë", "Zoë", "Zoë"]
    looks = await asyncio.gather(
        *(create(store, n) for n in ("Mallory", f"M{CYRILLIC_A}llory", "MaIlory", "mallory"))
    )
    assert looks.count(None) == 1
    winner = ["Mallory", f"M{CYRILLIC_A}llory", "MaIlory", "mallory"][looks.index(None)]
    assert all(r in (None, winner) for r in looks)


async def test_two_processes_claiming_look_alikes_at_once_one_wins(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    engines = [create_engine(database_url) for _ in range(2)]
    first, second = (store_on(e) for e in engines)
    try:
        for i in range(10):
            plain, lookalike = f"Alice{i}", f"{CYRILLIC_A}lice{i}"
            results = await asyncio.gather(
                create(first, plain, kind=AccountKind.MEMBER), create(second, lookalike)
            )
            # Exactly one claimed; the other is told whose name is in the way.
            assert results in ([None, plain], [lookalike, None]), results
    finally:
        for engine in engines:
            await engine.dispose()


async def test_set_password_and_becoming_a_member(store: SqlAccountStore) -> None:
    await create(store, "Gus")
    await store.set_password("gus", "first hash", kind=AccountKind.MEMBER)
    credentials = await store.credentials("Gus")
    assert credentials is not None
    assert (credentials.password_hash, credentials.account.kind) == (
        "first hash",
        AccountKind.MEMBER,
    )
    await store.set_password("GUS", "second hash")  # a change keeps the kind
    credentials = await store.credentials("Gus")
    assert credentials is not None
    assert (credentials.password_hash, credentials.account.kind) == (
        "second hash",
        AccountKind.MEMBER,
    )


async def test_forget_guest_gives_a_guest_s_name_back_and_no_member_s(
    store: SqlAccountStore,
) -> None:
    await create(store, "Gus")
    _, gus_hash = await session(store, "Gus")
    await member(store, "Mia")
    _, mia_hash = await session(store, "Mia")
    await store.forget_guest("GUS")
    await store.forget_guest("Mia")
    now = datetime.now(UTC)
    assert await store.account("Gus") is None
    assert await store.session(gus_hash, now) is None
    async with store._engine.connect() as conn:
        left = await conn.execute(select(func.count()).where(sessions.c.user_key == "gus"))
        assert left.scalar_one() == 0
    assert await create(store, "gus") is None
    assert await store.account("Mia") is not None
    assert await store.session(mia_hash, now) is not None


# -- roles --------------------------------------------------------------------------------------


async def test_set_admins_makes_exactly_these_admins(store: SqlAccountStore) -> None:
    for name in ("Alice", "Bob", "Carol"):
        await member(store, name)
    await store.set_admins(["alice", "BOB", "Nobody"])
    roles = {n: (await store.account(n)).role for n in ("Alice", "Bob", "Carol")}  # type: ignore[union-attr]
    assert roles == {"Alice": Role.ADMIN, "Bob": Role.ADMIN, "Carol": Role.MEMBER}
    await store.set_admins(["Carol"])
    roles = {n: (await store.account(n)).role for n in ("Alice", "Bob", "Carol")}  # type: ignore[union-attr]
    assert roles == {"Alice": Role.MEMBER, "Bob": Role.MEMBER, "Carol": Role.ADMIN}
    await store.set_admins([])
    for name in ("Alice", "Bob", "Carol"):
        assert not (await store.account(name)).is_admin  # type: ignore[union-attr]


async def test_a_guest_is_never_made_admin(store: SqlAccountStore, engine: AsyncEngine) -> None:
    # A name in FLET_CHAT_ADMINS taken by a guest (no password needed) before its owner.
    await create(store, "Root")
    await member(store, "Alice")
    await store.set_admins(["root", "alice"])
    assert (await store.account("Root")).role is Role.MEMBER  # type: ignore[union-attr]
    assert (await store.account("Alice")).role is Role.ADMIN  # type: ignore[union-attr]
    # One made admin before this rule (the database of an older version) is made a member.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'admin' WHERE user_key = 'root'"))
    await store.set_admins(["root", "alice"])
    assert (await store.account("Root")).role is Role.MEMBER  # type: ignore[union-attr]
    assert (await store.account("Alice")).role is Role.ADMIN  # type: ignore[union-attr]


async def test_first_member_skips_guests_and_keeps_the_admin(store: SqlAccountStore) -> None:
    assert await store.first_member() is None
    await create(store, "Early")  # a guest
    assert await store.first_member() is None
    await member(store, "Alice")
    await member(store, "Bob")
    assert await store.first_member() == "Alice"
    await store.set_admins(["Alice"])
    # The older guest chooses a password: Alice, the admin, stays first.
    await store.set_password("Early", "hash", kind=AccountKind.MEMBER)
    assert await store.first_member() == "Alice"
    await store.set_admins([])
    assert await store.first_member() == "Early"  # with no admin: the earliest member


# -- profiles and avatars -----------------------------------------------------------------------


async def test_profiles(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    await create(store, "Gus")
    updated = await store.set_profile("alice", display_name="Alice L.", status="on holiday")
    assert updated.profile == Profile("Alice L.", "on holiday", 0)
    assert await store.profiles(["ALICE", "Gus", "Nobody"]) == {
        "ALICE": Profile("Alice L.", "on holiday", 0),
        "Gus": Profile(),
    }
    assert await store.profiles([]) == {}
    cleared = await store.set_profile("Alice", display_name=None, status=None)
    assert cleared.profile == Profile()


async def test_avatars_get_a_new_version_each_time(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    await member(store, "Bob")
    assert await store.avatar("Alice") is None
    first = await store.set_avatar("Alice", b"\x00webp one")
    assert first.profile.avatar_version == 1
    second = await store.set_avatar("alice", b"\x00webp two")
    assert second.profile.avatar_version == 2
    assert await store.avatar("ALICE") == (2, b"\x00webp two")
    removed = await store.set_avatar("Alice", None)
    assert removed.profile.avatar_version == 0  # no avatar: initials
    assert await store.avatar("Alice") is None
    again = await store.set_avatar("Alice", b"\x00webp three")
    assert again.profile.avatar_version == 4  # never a version a cache may hold already
    assert (await store.profiles(["Alice", "Bob"])) == {
        "Alice": Profile(None, None, 4),
        "Bob": Profile(),
    }
    assert await store.avatar("Bob") is None


# -- sessions -----------------------------------------------------------------------------------


async def test_a_session_is_found_by_its_token_s_hash_while_it_lives(
    store: SqlAccountStore,
) -> None:
    await member(store, "Alice")
    now = datetime.now(UTC)
    sid, hashed = await session(store, "Alice", API, expires_at=now + timedelta(hours=1))
    found = await store.session(hashed, now)
    assert found is not None
    assert (found.account.user_name, found.session_id, found.kind) == ("Alice", sid, API)
    assert found.last_used_at is not None
    assert found.last_used_at.tzinfo is not None
    assert await store.session(token_hash("fcs_not-a-token"), now) is None
    # Expired an hour on; pushed back by a use, it lives on.
    assert await store.session(hashed, now + timedelta(hours=1, seconds=1)) is None
    later = now + timedelta(minutes=30)
    await store.touch_session(sid, later, later + timedelta(hours=1))
    found = await store.session(hashed, now + timedelta(hours=1, seconds=1))
    assert found is not None
    assert found.last_used_at == later
    await store.touch_session(sid, later, None)  # a use that sets no expiry keeps the one it has
    assert await store.session(hashed, later + timedelta(minutes=59)) is not None
    # Ended, it is gone for good.
    assert await store.end_sessions("Alice", now, session_ids=[sid]) == [sid]
    assert await store.session(hashed, now) is None


async def test_a_name_claimed_with_its_first_session_or_neither(store: SqlAccountStore) -> None:
    now = datetime.now(UTC)

    async def claim(name: str, hashed: str) -> Claim:
        return await store.create_account_with_session(
            name,
            name_skeleton(name),
            kind=AccountKind.GUEST,
            password_hash=None,
            role=Role.MEMBER,
            session=NewSession(hashed, BROWSER, None, now + timedelta(days=30)),
        )

    first = token_hash(new_token(BROWSER))
    made = await claim("Zoë", first)
    assert made.holder is None
    assert made.session_id is not None
    assert made.account == await store.account("Zoë")  # as written: no read back needed
    found = await store.session(first, now)
    assert found is not None
    assert (found.session_id, found.kind) == (made.session_id, BROWSER)
    assert (found.account.user_name, found.account.kind) == ("Zoë", AccountKind.GUEST)
    # Taken, in any case or as a look-alike: the holder is named and no session is stored.
    for taken in ("ZOË", "Zoe\u0308"):
        hashed = token_hash(new_token(BROWSER))
        assert await claim(taken, hashed) == Claim("Zoë")
    assert await sessions_stored(store) == 1
    # A session that cannot be stored takes the claim back with it: a name is never taken by
    # an account nobody holds a session of.
    with pytest.raises(IntegrityError):
        await claim("Una", first)  # the token hash is another session's
    assert await store.account("Una") is None
    assert (await claim("Una", token_hash(new_token(BROWSER)))).session_id is not None
    # Claimed at once by five: one account, one session.
    hashes = [token_hash(new_token(BROWSER)) for _ in range(5)]
    claims = await asyncio.gather(*(claim("Ivo", hashed) for hashed in hashes))
    assert sorted(c.holder or "" for c in claims) == ["", "Ivo", "Ivo", "Ivo", "Ivo"]
    live = [hashed for hashed in hashes if await store.session(hashed, now) is not None]
    assert len(live) == 1
    assert await sessions_stored(store) == 3
    # A guest given back takes its session with it, and the name comes with a new one only.
    await store.forget_guest("Zoë")
    assert await store.session(first, now) is None
    again = token_hash(new_token(BROWSER))
    assert (await claim("zoë", again)).session_id is not None
    assert await store.session(again, now) is not None
    assert await store.session(first, now) is None


async def sessions_stored(store: SqlAccountStore) -> int:
    async with store._engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(sessions))).scalar_one())


@pytest.mark.parametrize("account_kind", list(AccountKind))
async def test_a_sessions_kind_and_its_accounts_kind_are_told_apart(
    store: SqlAccountStore, account_kind: AccountKind
) -> None:
    # Both tables have a `kind` column: a lookup once read the session's as the account's.
    now = datetime.now(UTC)
    await create(store, "Dora", kind=account_kind)
    for kind in (API, BROWSER, TOKEN):
        sid, hashed = await session(store, "Dora", kind)
        found = await store.session(hashed, now)
        assert found is not None
        assert (found.session_id, found.kind) == (sid, kind)
        assert (found.account.user_name, found.account.kind) == ("Dora", account_kind)


async def test_an_access_token_has_no_expiry(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    sid, hashed = await session(store, "Alice", TOKEN, label="ci")
    far = datetime.now(UTC) + timedelta(days=3650)
    found = await store.session(hashed, far)
    assert found is not None
    assert found.kind is TOKEN
    assert [
        (s.session_id, s.kind, s.label) for s in await store.sessions_of("alice", [TOKEN], far)
    ] == [(sid, TOKEN, "ci")]


async def test_sessions_of_lists_live_ones_of_the_kinds_asked_oldest_first(
    store: SqlAccountStore,
) -> None:
    await member(store, "Alice")
    await member(store, "Bob")
    now = datetime.now(UTC)
    browser, _ = await session(store, "Alice")
    token_one, _ = await session(store, "Alice", TOKEN, label="one")
    expired, _ = await session(store, "Alice", expires_at=now - timedelta(seconds=1))
    api, _ = await session(store, "Alice", API)
    token_two, _ = await session(store, "Alice", TOKEN, label="two")
    await session(store, "Bob", TOKEN, label="bob's")
    await store.end_sessions("Alice", now, session_ids=[token_two])
    listed = await store.sessions_of("ALICE", [TOKEN], now)
    assert [(s.session_id, s.label) for s in listed] == [(token_one, "one")]
    assert listed[0].created_at.tzinfo is not None
    signed_in = await store.sessions_of("Alice", [BROWSER, API], now)
    assert [s.session_id for s in signed_in] == [browser, api]
    assert expired not in [s.session_id for s in signed_in]


async def test_end_sessions_filters(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    await member(store, "Bob")
    now = datetime.now(UTC)
    b1, _ = await session(store, "Alice")
    b2, _ = await session(store, "Alice")
    a1, _ = await session(store, "Alice", API)
    t1, _ = await session(store, "Alice", TOKEN)
    bob, bob_hash = await session(store, "Bob")
    # Someone else's session is never ended through Alice, whatever ids are given.
    assert await store.end_sessions("Alice", now, session_ids=[bob, 999_999]) == []
    assert await store.session(bob_hash, now) is not None
    # Kinds, and one kept (a password change keeps the session that made it).
    assert await store.end_sessions("alice", now, kinds=[BROWSER, API], keep=b2) == [b1, a1]
    assert await store.end_sessions("Alice", now, kinds=[BROWSER, API], keep=b2) == []  # done
    # The ids and the kinds together: a sign-in is not revoked as a token.
    assert await store.end_sessions("Alice", now, session_ids=[b2], kinds=[TOKEN]) == []
    assert await store.end_sessions("Alice", now, session_ids=[b2, t1], kinds=[TOKEN]) == [t1]
    assert await store.end_sessions("Alice", now) == [b2]  # everything left
    assert await store.ended_among([b1, b2, a1, t1, bob, 999_999], now) == {
        b1,
        b2,
        a1,
        t1,
        999_999,  # never existed
    }


async def test_ended_among_counts_expired_sessions(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    now = datetime.now(UTC)
    live, _ = await session(store, "Alice", expires_at=now + timedelta(minutes=5))
    assert await store.ended_among([live], now) == set()
    assert await store.ended_among([live], now + timedelta(minutes=6)) == {live}
    assert await store.ended_among([], now) == set()


async def test_a_new_session_clears_the_user_s_dead_ones(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    await member(store, "Bob")
    now = datetime.now(UTC)
    ended, _ = await session(store, "Alice")
    await store.end_sessions("Alice", now, session_ids=[ended])
    await session(store, "Alice", expires_at=now - timedelta(days=1))
    live, _ = await session(store, "Alice")
    bob_ended, _ = await session(store, "Bob")
    await store.end_sessions("Bob", now)
    newest, _ = await session(store, "Alice")
    async with store._engine.connect() as conn:
        rows = await conn.execute(select(sessions.c.id).order_by(sessions.c.id))
        assert list(rows.scalars()) == [live, bob_ended, newest]  # Bob's are his to clear


async def test_the_first_session_is_opened_once(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    engines = [create_engine(database_url) for _ in range(2)]
    first, second = (store_on(e) for e in engines)
    expiry = datetime.now(UTC) + timedelta(days=1)
    try:
        for i in range(5):
            name = f"Old{i}"
            await create(first, name)

            async def redeem(store: SqlAccountStore, name: str = name) -> int | None:
                return await store.add_first_session(
                    name, token_hash(new_token(BROWSER)), kind=BROWSER, expires_at=expiry
                )

            # Two processes redeeming one old token at the same moment: one session.
            results = await asyncio.gather(redeem(first), redeem(second), redeem(first))
            assert sum(r is not None for r in results) == 1, results
            await first.end_sessions(name, datetime.now(UTC))
            assert await redeem(second) is None  # signed out since: still not again
    finally:
        for engine in engines:
            await engine.dispose()


# -- identity providers -------------------------------------------------------------------------


async def test_identities_link_to_one_account(store: SqlAccountStore) -> None:
    await member(store, "Alice")
    await member(store, "Bob")
    assert await store.linked_account("github", "42") is None
    await store.link_identity("github", "42", "alice")
    await store.link_identity("github", "42", "Bob")  # a racing second link: the first stands
    await store.link_identity("gitlab", "42", "Bob")  # the same subject at another provider
    assert await store.linked_account("github", "42") == "Alice"
    assert await store.linked_account("gitlab", "42") == "Bob"
    assert await store.linked_account("github", "43") is None


# -- migration 0008 -----------------------------------------------------------------------------


async def test_names_claimed_before_accounts_become_guests(database_url: str) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0007")
    engine = create_engine(database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    old = ["Alice", "Bob", "Zoë"]
    try:
        async with engine.begin() as conn:  # as 0007's users table had them: four columns
            for i, name in enumerate(old):
                await conn.execute(
                    text(
                        "INSERT INTO users (user_key, user_name, created_at, skeleton)"
                        " VALUES (:key, :name, :at, :skeleton)"
                    ),
                    {
                        "key": name.casefold(),
                        "name": name,
                        "at": start + timedelta(days=i),
                        "skeleton": name_skeleton(name),
                    },
                )
        await upgrade_to_head_async(database_url)
        store = store_on(engine)
        for name in old:
            account = await store.account(name)
            assert account is not None
            assert (account.user_name, account.kind, account.role, account.has_password) == (
                name,
                AccountKind.GUEST,
                Role.MEMBER,
                False,
            )
            assert account.profile == Profile()
        assert await store.first_member() is None  # guests: nobody is the admin by default
        assert await create(store, "bob") == "Bob"  # still claimed
        assert await create(store, f"{CYRILLIC_A}lice") == "Alice"
        expiry = start + timedelta(days=400)
        first = await store.add_first_session("Alice", "h" * 64, kind=BROWSER, expires_at=expiry)
        assert first is not None

        # Down to 0007: the account columns and tables go, the names stay.
        await asyncio.to_thread(command.downgrade, config, "0007")
        async with engine.connect() as conn:
            columns, tables = await conn.run_sync(
                lambda sync: (
                    {c["name"] for c in inspect(sync).get_columns("users")},
                    set(inspect(sync).get_table_names()),
                )
            )
            names = await conn.execute(text("SELECT user_name FROM users ORDER BY created_at"))
            assert list(names.scalars()) == old
        assert columns == {"user_key", "user_name", "created_at", "skeleton"}
        assert not {"sessions", "avatars", "identities"} & tables
        # And up again: guests once more, the look-alike index still in place.
        await upgrade_to_head_async(database_url)
        await engine.dispose()
        store = store_on(engine)
        assert (await store.account("Zoë")).kind is AccountKind.GUEST  # type: ignore[union-attr]
        assert await create(store, "AIice") == "Alice"
    finally:
        await engine.dispose()
