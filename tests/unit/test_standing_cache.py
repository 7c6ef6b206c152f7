"""What lets someone write in a room is read once and kept a few seconds per room and user
(core/standing_cache.py): a busy room's posts stop asking the store each time, while a mute,
an archive or a kick applies to the very next post on the process that heard it, and one made
on a process whose event was lost applies within the few seconds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.models import Room, RoomKind, RoomState
from flet_chat.core.names import name_skeleton
from flet_chat.core.room_service import ArchivedError, MutedError, SlowModeError
from flet_chat.core.rooms import NotAMemberError
from flet_chat.core.service import ChatService
from flet_chat.core.standing_cache import TTL_SECONDS, StandingCache
from tests.support.waiting import wait_until
from tests.unit.fakes import (
    MemoryModerationStore,
    MemoryRoomStore,
    MemoryStore,
    RecordingBus,
    message_limits,
)

PEOPLE = ("Alice", "Bob", "Olive", "Root")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class CountingRooms(MemoryRoomStore):
    def __init__(self) -> None:
        super().__init__(claimed=tuple((n, name_skeleton(n)) for n in PEOPLE))
        self.standings_read = 0

    async def standing(self, key: str, user_name: str) -> tuple[object, object]:  # type: ignore[override]
        self.standings_read += 1
        return await super().standing(key, user_name)


class Process:
    """One server process: its own chat service and bus over the shared stores."""

    def __init__(self, rooms: CountingRooms, moderation: MemoryModerationStore, ticks: list[float]):
        self.bus = RecordingBus([])
        self.chat = ChatService(
            MemoryStore([]),
            self.bus,
            message_limits(1000, 1000.0, clock=lambda: ticks[0]),
            LocalPresence(),
            rooms,
            is_admin=lambda name: _admin(name),
            moderation_store=moderation,
            clock=lambda: NOW,
            standings=StandingCache(clock=lambda: ticks[0]),
        )
        self.bus.add_listener(self.chat.rooms.on_event)


async def _admin(name: str) -> bool:
    return name == "Root"


@pytest.fixture
def stores() -> tuple[CountingRooms, MemoryModerationStore, list[float]]:
    return CountingRooms(), MemoryModerationStore(), [100.0]


async def test_a_busy_room_asks_the_store_once_per_author_not_per_post(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    for i in range(20):
        await chat.post("Alice", f"hello {i}")
        await chat.post("Bob", f"hi {i}")
    assert rooms.standings_read == 2
    ticks[0] += TTL_SECONDS + 0.1  # and again once the kept answer is old
    await chat.post("Alice", "still here")
    assert rooms.standings_read == 3


async def test_a_mute_kick_or_archive_applies_to_the_next_post_on_the_process_that_heard_it(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    await chat.post("Alice", "before")
    await chat.moderation.mute("Root", "general", "Alice", 10)
    with pytest.raises(MutedError):
        await chat.post("Alice", "after the mute")
    await chat.moderation.unmute("Root", "general", "Alice")
    await chat.post("Alice", "after the unmute")

    dev = await chat.rooms.create("Olive", "dev")
    await chat.rooms.join("Bob", dev.key)
    await chat.post("Bob", "in dev", room=dev.key)
    await chat.moderation.kick("Olive", dev.key, "Bob")
    with pytest.raises(NotAMemberError):
        await chat.post("Bob", "after the kick", room=dev.key)
    await chat.post("Olive", "mine", room=dev.key)
    await chat.moderation.archive("Olive", dev.key)
    with pytest.raises(ArchivedError):
        await chat.post("Olive", "after the archive", room=dev.key)


async def test_a_refusal_is_never_kept(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    with pytest.raises(Exception, match="no room"):
        await chat.post("Alice", "too early", room="later")
    # Made behind the service's back (as by a process whose event never arrived).
    rooms.rooms["later"] = Room("later", RoomKind.PUBLIC)
    rooms.members_of["later"] = {"alice": "Alice"}
    said = await chat.post("Alice", "now it exists", room="later")
    assert said.room == "later"


async def test_a_mute_whose_event_was_lost_applies_within_the_kept_time(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    here, there = Process(rooms, moderation, ticks), Process(rooms, moderation, ticks)
    await here.chat.post("Alice", "before")  # kept here
    await there.chat.moderation.mute("Root", "general", "Alice", 10)  # heard there only
    with pytest.raises(MutedError):
        await there.chat.post("Alice", "refused where the mute was heard")
    await here.chat.post("Alice", "still passes here, from memory")
    ticks[0] += TTL_SECONDS + 0.1
    with pytest.raises(MutedError):
        await here.chat.post("Alice", "refused here too")


async def test_a_read_that_began_before_a_change_is_not_kept() -> None:
    cache = StandingCache(clock=lambda: 0.0)
    general = (Room("general", RoomKind.PUBLIC), None)
    began = cache.begin()
    cache.changed()  # a mute heard while the store was read
    cache.keep(("general", "alice"), general, began)
    assert cache.get(("general", "alice")) is None
    cache.keep(("general", "alice"), general, cache.begin())
    assert cache.get(("general", "alice")) == general


def test_the_cache_keeps_at_most_its_capacity() -> None:
    cache = StandingCache(capacity=3, clock=lambda: 0.0)
    for i in range(5):
        cache.keep(("general", f"user{i}"), (Room("general", RoomKind.PUBLIC), None), (0, 0.0))
    assert len(cache) == 3
    assert cache.get(("general", "user0")) is None
    assert cache.get(("general", "user4")) is not None


class GatedRooms(CountingRooms):
    """A store whose standing reads take their snapshot, then wait for `gate` before they
    answer (a slow read on a busy machine), or fail while `away`."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.away = False

    async def standing(self, key: str, user_name: str) -> tuple[object, object]:  # type: ignore[override]
        self.standings_read += 1
        snapshot = await MemoryRoomStore.standing(self, key, user_name)
        await self.gate.wait()
        if self.away:
            raise ConnectionError("database unreachable")
        return snapshot


@pytest.fixture
def gated() -> tuple[GatedRooms, MemoryModerationStore, list[float]]:
    return GatedRooms(), MemoryModerationStore(), [100.0]


async def test_someone_who_keeps_writing_never_waits_for_their_standing_to_be_read_again(
    gated: tuple[GatedRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = gated
    chat = Process(rooms, moderation, ticks).chat
    await chat.post("Alice", "first")  # read and kept
    rooms.gate.clear()  # from now on a read waits
    ticks[0] += TTL_SECONDS * 0.6  # past half the kept time
    async with asyncio.timeout(5):  # a post waiting for the read would hang here
        await chat.post("Alice", "second, from memory")
        await chat.post("Alice", "third, from memory")
    await wait_until(lambda: rooms.standings_read == 2, timeout=5)  # read again behind them
    rooms.gate.set()
    await wait_until(lambda: chat.rooms._reading_again == set(), timeout=5)
    assert rooms.standings_read == 2  # once, not once for each post
    ticks[0] += TTL_SECONDS * 0.9  # past the first answer's ttl, not the one read again
    rooms.gate.clear()
    async with asyncio.timeout(5):
        await chat.post("Alice", "fourth, from the answer read again")
    await wait_until(lambda: rooms.standings_read == 3, timeout=5)  # past half of its ttl too
    rooms.gate.set()
    await wait_until(lambda: chat.rooms._reading_again == set(), timeout=5)


async def test_a_mute_found_when_a_standing_is_read_again_refuses_the_next_post(
    gated: tuple[GatedRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = gated
    here, there = Process(rooms, moderation, ticks), Process(rooms, moderation, ticks)
    await here.chat.post("Alice", "before")
    await there.chat.moderation.mute("Root", "general", "Alice", 10)  # heard there only
    ticks[0] += TTL_SECONDS * 0.6
    await here.chat.post("Alice", "still from memory, and read again behind it")
    await wait_until(lambda: here.chat.rooms._reading_again == set(), timeout=5)
    with pytest.raises(MutedError):
        await here.chat.post("Alice", "refused: the read again found the mute")


async def test_a_standing_that_could_not_be_read_again_is_not_kept(
    gated: tuple[GatedRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = gated
    chat = Process(rooms, moderation, ticks).chat
    await chat.post("Alice", "before")
    rooms.away = True
    ticks[0] += TTL_SECONDS * 0.6
    await chat.post("Alice", "from memory; the read behind it fails")
    await wait_until(lambda: chat.rooms._reading_again == set(), timeout=5)
    with pytest.raises(ConnectionError):  # the next post reads for itself, and meets it
        await chat.post("Alice", "the store is away")
    rooms.away = False
    await chat.post("Alice", "back")


async def test_a_mute_heard_while_a_standing_is_read_again_is_not_undone_by_that_read(
    gated: tuple[GatedRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = gated
    chat = Process(rooms, moderation, ticks).chat
    await chat.post("Alice", "before")
    rooms.gate.clear()
    ticks[0] += TTL_SECONDS * 0.6
    await chat.post("Alice", "from memory; read again behind it")
    await wait_until(lambda: rooms.standings_read == 2, timeout=5)  # its snapshot: not muted
    await chat.moderation.mute("Root", "general", "Alice", 10)  # heard here, mid-read
    rooms.gate.set()
    await wait_until(lambda: chat.rooms._reading_again == set(), timeout=5)
    with pytest.raises(MutedError):
        await chat.post("Alice", "after the mute")


async def test_an_answer_counts_its_age_from_when_its_read_began(
    gated: tuple[GatedRooms, MemoryModerationStore, list[float]],
) -> None:
    # A read again takes its snapshot at 103 and ends at 105.5; a mute made meanwhile on
    # another process, whose event was lost here, applies within the kept time of that read:
    # from 108 on, not 5 s after the slow read ended.
    rooms, moderation, ticks = gated
    here, there = Process(rooms, moderation, ticks), Process(rooms, moderation, ticks)
    await here.chat.post("Alice", "before")  # kept at 100
    rooms.gate.clear()
    ticks[0] = 103.0
    await here.chat.post("Alice", "from memory; read again behind it")
    await wait_until(lambda: rooms.standings_read == 2, timeout=5)
    await there.chat.moderation.mute("Root", "general", "Alice", 10)  # heard there only
    ticks[0] = 105.5
    rooms.gate.set()
    await wait_until(lambda: here.chat.rooms._reading_again == set(), timeout=5)
    await here.chat.post("Alice", "at 105.5: the answer from 103 holds")
    ticks[0] = 108.1
    with pytest.raises(MutedError):
        await here.chat.post("Alice", "at 108.1: read again, and refused")


async def test_a_user_s_rooms_bring_their_standing_in_general_with_them(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    # A join reads the user's rooms, then the composer asks what they may do in #general: the
    # rooms' read answers it, so the join reads no standing of its own.
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    await chat.moderation.set_slow_mode("Root", "general", 30)
    await chat.rooms.rooms_of("Alice")
    room = await chat.rooms.writable("Alice", "general")
    assert rooms.standings_read == 0
    assert room.slow_mode_seconds == 30  # the settings came with it: slow mode still applies
    await chat.post("Alice", "first")
    with pytest.raises(SlowModeError):
        await chat.post("Alice", "too soon")
    assert rooms.standings_read == 0
    # The same answer as the store's own read.
    ticks[0] += TTL_SECONDS + 0.1
    assert await chat.rooms.writable("Alice", "general") == room
    assert rooms.standings_read == 1


async def test_a_mute_in_general_read_with_the_rooms_is_not_kept(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    await chat.moderation.mute("Root", "general", "Alice", 10)
    await chat.rooms.rooms_of("Alice")
    with pytest.raises(MutedError):
        await chat.rooms.writable("Alice", "general")
    assert rooms.standings_read == 1  # a refusal is read each time, never kept


async def test_a_mute_heard_while_the_rooms_are_read_is_not_undone_by_that_read(
    stores: tuple[CountingRooms, MemoryModerationStore, list[float]],
) -> None:
    rooms, moderation, ticks = stores
    chat = Process(rooms, moderation, ticks).chat
    read, gate = MemoryRoomStore.rooms_of, asyncio.Event()
    snapshot_taken = asyncio.Event()

    async def slow_rooms_of(user_name: str) -> list[RoomState]:
        snapshot = await read(rooms, user_name)  # before the mute
        snapshot_taken.set()
        await gate.wait()
        return snapshot

    rooms.rooms_of = slow_rooms_of  # type: ignore[method-assign]
    reading = asyncio.create_task(chat.rooms.rooms_of("Alice"))
    await snapshot_taken.wait()
    await chat.moderation.mute("Root", "general", "Alice", 10)
    gate.set()
    await reading
    with pytest.raises(MutedError):
        await chat.rooms.writable("Alice", "general")
