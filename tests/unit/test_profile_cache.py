"""The per-process profile cache: missing names read together, changes from the bus applied at
once and told to sessions in one go, and a bounded size."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from flet_chat.core.accounts.models import Profile
from flet_chat.core.events import MessagePosted, PresenceChanged, ProfileChanged
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.live.profile_cache import NO_PROFILE, ProfileCache, profile_stamp
from tests.support.waiting import wait_until

ANN = Profile("Ann Lee", "on call", 2)


class Accounts:
    """Stands in for AccountService.profiles: counts the queries and the names in each."""

    def __init__(self, profiles: dict[str, Profile]) -> None:
        self.profiles = profiles  # by lower-case name
        self.queries: list[list[str]] = []
        self.fail = False
        self.gate: asyncio.Event | None = None  # set: a query waits for it

    async def load(self, names: Sequence[str]) -> dict[str, Profile]:
        self.queries.append(list(names))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ConnectionError("database unreachable")
        return {n: self.profiles[n.casefold()] for n in names if n.casefold() in self.profiles}


@pytest.fixture
def accounts() -> Accounts:
    return Accounts({"ann": ANN, "bob": Profile(None, None, 0)})


@pytest.fixture
async def cache(accounts: Accounts) -> AsyncIterator[ProfileCache]:
    cache = ProfileCache(accounts.load, coalesce=0.05)
    await cache.start()
    yield cache
    await cache.stop()


async def test_missing_names_are_read_in_one_query_and_never_again(
    accounts: Accounts, cache: ProfileCache
) -> None:
    await cache.ensure(["Ann", "bob", "nobody", "ann"])
    assert accounts.queries == [["Ann", "bob", "nobody"]]
    assert cache.get("ANN") == ANN  # names compare as the chat compares them
    assert cache.get("bob") == NO_PROFILE
    assert cache.get("nobody") == NO_PROFILE  # no account (a bot, an integration): not re-read
    await cache.ensure(["ann", "nobody"])
    assert len(accounts.queries) == 1


async def test_two_sessions_asking_at_once_share_one_query(
    accounts: Accounts, cache: ProfileCache
) -> None:
    accounts.gate = asyncio.Event()
    first = asyncio.create_task(cache.ensure(["ann", "bob"]))
    await wait_until(lambda: accounts.queries)
    second = asyncio.create_task(cache.ensure(["bob", "ann"]))
    await asyncio.sleep(0)
    assert not second.done()  # it waits for the read in flight...
    accounts.gate.set()
    await asyncio.gather(first, second)
    assert len(accounts.queries) == 1  # ...instead of making its own
    assert cache.get("ann") == ANN


async def test_many_names_are_read_in_batches(accounts: Accounts) -> None:
    cache = ProfileCache(accounts.load, batch=500)
    await cache.ensure([f"user{i}" for i in range(1200)])
    assert [len(q) for q in accounts.queries] == [500, 500, 200]


async def test_a_name_drawn_before_it_was_known_is_read_in_the_background(
    accounts: Accounts, cache: ProfileCache
) -> None:
    told: list[frozenset[str]] = []
    cache.subscribe(told.append)
    assert cache.shown("Ann") == (NO_PROFILE, 0)  # drawn plain for now
    await wait_until(lambda: cache.get("ann") is not None)
    assert cache.shown("ann") == (ANN, profile_stamp(ANN))
    # What was drawn plain is now out of date: sessions hear of it.
    await wait_until(lambda: told)
    assert told == [frozenset({"ann"})]


async def test_a_name_without_a_profile_tells_nobody(
    accounts: Accounts, cache: ProfileCache
) -> None:
    told: list[frozenset[str]] = []
    cache.subscribe(told.append)
    cache.prefetch(["bob", "nobody"])
    await wait_until(lambda: cache.get("nobody") is not None)
    cache.on_event(ProfileChanged("ann", ANN))  # a real change, told after the two reads
    await wait_until(lambda: told)
    assert told == [frozenset({"ann"})]


async def test_a_change_from_the_bus_applies_at_once_and_a_burst_is_told_together(
    accounts: Accounts, cache: ProfileCache
) -> None:
    await cache.ensure(["ann", "bob"])
    told: list[frozenset[str]] = []
    cache.subscribe(told.append)
    renamed = Profile("Robert", None, 0)
    cache.on_event(ProfileChanged("Bob", renamed))
    cache.on_event(ProfileChanged("ann", Profile("Ann", None, 3)))
    assert cache.get("bob") == renamed  # at once: the next row drawn shows it
    await wait_until(lambda: told)
    await asyncio.sleep(0.1)  # a second notice would come within the coalescing window
    assert told == [frozenset({"bob", "ann"})]
    cache.on_event(ProfileChanged("bob", renamed))  # the same again: nothing to tell
    cache.on_event(ProfileChanged("ann", NO_PROFILE))
    await wait_until(lambda: len(told) == 2)
    assert told[1] == frozenset({"ann"})


async def test_people_coming_online_or_posting_are_read_ahead(
    accounts: Accounts, cache: ProfileCache
) -> None:
    cache.on_event(PresenceChanged("general", "Ann", online=True))
    posted = Message(1, MessageKind.CHAT, "bob", "hi", datetime.now(UTC))
    bot = Message(2, MessageKind.CHAT, "Helper", "hi", datetime.now(UTC), AuthorKind.BOT)
    cache.on_event(MessagePosted(posted))
    cache.on_event(MessagePosted(bot))
    await wait_until(lambda: cache.get("bob") is not None)
    assert accounts.queries == [["Ann", "bob"]]  # one query, no bot
    cache.on_event(PresenceChanged("general", "carl", online=False))
    cache.on_event(MessagePosted(posted))  # known now
    await asyncio.sleep(0.1)
    assert len(accounts.queries) == 1


async def test_the_cache_forgets_the_least_recently_used(accounts: Accounts) -> None:
    cache = ProfileCache(accounts.load, capacity=3)
    await cache.ensure(["a", "b", "c"])
    assert cache.get("a") is not None  # used again: "b" is now the oldest
    await cache.ensure(["d"])
    assert cache.get("b") is None
    assert all(cache.get(n) is not None for n in ("a", "c", "d"))


async def test_a_failed_read_is_retried_later_and_logged_once(
    accounts: Accounts, cache: ProfileCache, caplog: pytest.LogCaptureFixture
) -> None:
    accounts.fail = True
    with caplog.at_level(logging.WARNING):
        assert cache.shown("ann") == (NO_PROFILE, 0)
        await wait_until(lambda: accounts.queries)
        for _ in range(20):
            cache.shown("ann")  # every row asks again while the store is away
            await asyncio.sleep(0.01)
    assert len(accounts.queries) == 1  # the next read waits a while
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    accounts.fail = False
    await wait_until(lambda: cache.get("ann") == ANN, timeout=5)


def test_a_stamp_changes_with_what_is_shown() -> None:
    assert profile_stamp(NO_PROFILE) == 0
    stamps = {
        profile_stamp(p)
        for p in (ANN, Profile("Ann Lee", "on call", 3), Profile("Ann", None, 0), Profile())
    }
    assert len(stamps) == 4
    assert profile_stamp(Profile("Ann Lee", "on call", 2)) == profile_stamp(ANN)


async def test_the_version_goes_up_whenever_what_is_shown_may_differ(accounts: Accounts) -> None:
    cache = ProfileCache(accounts.load, capacity=2)
    start = cache.version
    assert cache.shown("ann")[0] == NO_PROFILE  # not known yet: read in the background
    await cache.ensure(["ann"])
    assert cache.version > start  # read: Ann's rows show her profile now
    read = cache.version
    cache.on_event(ProfileChanged("ann", ANN))  # the same profile: nothing drawn differs
    assert cache.version == read
    cache.on_event(ProfileChanged("ann", Profile("Ann", None, 3)))
    assert cache.version > read
    changed = cache.version
    await cache.ensure(["bob"])  # no profile, as the rows drawn before showed: no change
    assert cache.version == changed
    await cache.ensure(["carl"])  # a third name: Ann's profile is forgotten
    assert cache.get("ann") is None
    assert cache.version > changed
