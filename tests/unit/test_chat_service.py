from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import NameTakenError, RateLimitedError, ValidationError
from flet_chat.core.events import MessagePosted
from flet_chat.core.limits import NOTICE_CROWD, RETURN_WINDOW_SECONDS
from flet_chat.core.models import AuthorKind, MessageKind
from flet_chat.core.service import ChatService
from flet_chat.core.throttle import Throttle
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journal() -> list[str]:
    return []


@pytest.fixture
def store(journal: list[str]) -> MemoryStore:
    return MemoryStore(journal)


@pytest.fixture
def bus(journal: list[str]) -> RecordingBus:
    return RecordingBus(journal)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(store: MemoryStore, bus: RecordingBus, clock: FakeClock) -> ChatService:
    return ChatService(
        store,
        bus,
        message_limits(3, 1.0, clock),
        LocalPresence(),
        MemoryRoomStore(),
    )


async def test_post_stores_before_it_publishes(
    service: ChatService, bus: RecordingBus, journal: list[str]
) -> None:
    message = await service.post("  Alice ", " hello ")
    assert journal == ["stored 1", "published 1"]
    assert bus.events == [MessagePosted(message)]
    assert (message.user_name, message.text, message.kind) == ("Alice", "hello", MessageKind.CHAT)
    assert message.created_at.tzinfo is not None


async def test_join_and_leave_publish_notices(service: ChatService, bus: RecordingBus) -> None:
    name, joined = await service.join(" Bob ", "tab-1")
    left = await service.leave(name, "tab-1")
    assert name == "Bob"
    assert joined is not None
    assert left is not None
    assert [(e.message.kind, e.message.text) for e in bus.events] == [
        (MessageKind.JOIN, "Bob has joined the chat."),
        (MessageKind.LEAVE, "Bob has left the chat."),
    ]
    assert joined.id < left.id


async def test_invalid_input_stores_and_publishes_nothing(
    service: ChatService, journal: list[str]
) -> None:
    with pytest.raises(ValidationError):
        await service.post("Alice", "   ")
    with pytest.raises(ValidationError):
        await service.join("", "tab-1")
    assert journal == []


async def test_a_user_with_several_sessions_joins_and_leaves_once(
    service: ChatService, bus: RecordingBus
) -> None:
    assert (await service.join("Bob", "tab-1"))[1] is not None
    # A second tab of the same account: already here.
    assert (await service.join("Bob", "tab-2"))[1] is None
    assert await service.leave("Bob", "tab-1") is None  # one tab left, Bob has not
    assert await service.leave("Bob", "tab-2") is not None
    assert [e.message.kind for e in bus.events] == [MessageKind.JOIN, MessageKind.LEAVE]


async def test_a_join_whose_notice_was_not_stored_can_be_retried(
    service: ChatService, store: MemoryStore, bus: RecordingBus
) -> None:
    store.fail_next = True
    with pytest.raises(ConnectionError):
        await service.join("Bob", "tab-1")
    _, notice = await service.join("Bob", "tab-1")
    assert notice is not None
    assert [e.message.kind for e in bus.events] == [MessageKind.JOIN]


async def test_failed_store_publishes_nothing(
    service: ChatService, store: MemoryStore, bus: RecordingBus
) -> None:
    store.fail_next = True
    with pytest.raises(ConnectionError):
        await service.post("Alice", "lost?")
    assert bus.events == []


async def test_rate_limit_refuses_a_burst_then_refills(
    service: ChatService, bus: RecordingBus, clock: FakeClock
) -> None:
    for i in range(3):
        await service.post("Alice", f"m{i}")
    with pytest.raises(RateLimitedError, match="too fast"):
        await service.post("Alice", "one too many")
    await service.post("Bob", "others are not limited by Alice")
    clock.now += 1.0
    await service.post("Alice", "after a second")
    assert [e.message.text for e in bus.events] == [
        "m0",
        "m1",
        "m2",
        "others are not limited by Alice",
        "after a second",
    ]


async def test_history_pages_back(service: ChatService, clock: FakeClock) -> None:
    for i in range(7):
        clock.now += 10
        await service.post("Alice", f"m{i}")
    latest = await service.latest(limit=3)
    assert [m.text for m in latest.messages] == ["m4", "m5", "m6"]
    assert latest.has_older
    older = await service.before(latest.messages[0].id, limit=3)
    assert [m.text for m in older.messages] == ["m1", "m2", "m3"]
    oldest = await service.before(older.messages[0].id, limit=3)
    assert [m.text for m in oldest.messages] == ["m0"]
    assert not oldest.has_older


async def test_presence_changes_are_published_after_the_notice(
    service: ChatService, bus: RecordingBus, journal: list[str]
) -> None:
    await service.join("Bob", "tab-1")
    await service.join("Bob", "tab-2")
    await service.set_connected("Bob", "tab-2", connected=False)
    assert await service.online_users() == ["Bob"]  # tab-1 is still connected
    await service.set_connected("Bob", "tab-1", connected=False)
    assert await service.online_users() == []  # both tabs lost their connection...
    assert [e.message.kind for e in bus.events] == [MessageKind.JOIN]  # ...but nobody left yet
    await service.set_connected("Bob", "tab-1", connected=True)
    assert await service.online_users() == ["Bob"]
    await service.leave("Bob", "tab-1")
    await service.leave("Bob", "tab-2")
    assert journal == [
        "stored 1",
        "published 1",
        "presence Bob True",
        "presence Bob True",
        "presence Bob False",
        "presence Bob False",
        "presence Bob True",
        "presence Bob False",
        "stored 2",
        "published 2",
        "presence Bob False",
    ]
    assert {e.room for e in bus.presence} == {"general"}


async def test_online_users_are_sorted_without_regard_to_case(service: ChatService) -> None:
    for i, name in enumerate(["bob", "Carol", "alice", "Bob"]):
        await service.join(name, f"tab-{i}")
    assert await service.online_users() == ["alice", "Bob", "bob", "Carol"]


async def test_typing_is_published_at_most_once_per_user_per_two_seconds(
    store: MemoryStore, bus: RecordingBus, clock: FakeClock, journal: list[str]
) -> None:
    service = ChatService(
        store,
        bus,
        message_limits(3, 1.0, clock),
        LocalPresence(),
        MemoryRoomStore(),
        typing_throttle=Throttle(2.0, clock=clock),
    )
    sent = []
    for _ in range(10):  # keystrokes 0.25 s apart for 2.5 s
        sent.append(await service.typing(" Alice "))
        sent.append(await service.typing("Bob"))
        clock.now += 0.25
    assert sent.count(True) == 4  # Alice and Bob at 0 s and at 2 s
    assert [(e.user_name, e.room) for e in bus.typing] == [
        ("Alice", "general"),
        ("Bob", "general"),
        ("Alice", "general"),
        ("Bob", "general"),
    ]
    assert store.messages == []  # typing is never stored
    with pytest.raises(ValidationError):
        await service.typing("   ")


async def test_a_crowd_gets_no_join_or_leave_notices(
    service: ChatService, bus: RecordingBus
) -> None:
    for i in range(NOTICE_CROWD):
        await service.join(f"user{i}", f"tab-{i}")
    assert len(bus.events) == NOTICE_CROWD  # up to the crowd size, everyone is announced

    name, notice = await service.join("Late", "tab-late")  # one more than the crowd
    assert notice is None
    assert await service.online_users() == sorted(
        [*(f"user{i}" for i in range(NOTICE_CROWD)), "Late"], key=str.casefold
    )
    assert await service.leave(name, "tab-late") is None  # left as quietly as they came
    assert await service.leave("user0", "tab-0") is not None  # back at the crowd size
    assert [e.message.text for e in bus.events[-1:]] == ["user0 has left the chat."]
    assert len(bus.events) == NOTICE_CROWD + 1
    assert bus.presence[-1].online is False  # the member list still hears of every change


async def test_join_only_marks_presence(service: ChatService, bus: RecordingBus) -> None:
    """Names are claimed by accounts (AccountService); a join comes after the account proved
    who it is (callers pass the account's name), so it refuses no name that is valid."""
    assert (await service.join("Ann", "tab-1"))[1] is not None
    assert (await service.join("Ann", "socket-1"))[1] is None  # already online
    assert await service.leave("Ann", "tab-1") is None
    assert await service.leave("Ann", "socket-1") is not None
    with pytest.raises(ValidationError):  # the name is still cleaned
        await service.join("An\u200bn", "tab-2")
    assert [e.message.kind for e in bus.events] == [MessageKind.JOIN, MessageKind.LEAVE]


async def test_observers_see_each_stored_message(service: ChatService) -> None:
    seen: list[tuple[str, AuthorKind]] = []
    service.add_observer(lambda m: seen.append((m.text, m.author_kind)))
    await service.post("Ann", "hello")
    await service.post("Helper", "beep", author_kind=AuthorKind.BOT, rate_limited=False)
    assert seen == [("hello", AuthorKind.USER), ("beep", AuthorKind.BOT)]


async def test_clients_cannot_forge_notices(service: ChatService) -> None:
    with pytest.raises(ValidationError):
        await service.post("Ann", "Bob has left the chat.", kind=MessageKind.LEAVE)


async def test_only_bots_post_under_bot_names(service: ChatService) -> None:
    service.reserve_names(["Helper"])
    with pytest.raises(NameTakenError):
        await service.post("helper", "I am the bot", author_kind=AuthorKind.INTEGRATION)
    message = await service.post("Helper", "I am", author_kind=AuthorKind.BOT)
    assert message.author_kind is AuthorKind.BOT


async def test_tabs_back_with_their_session_soon_after_a_restart_are_not_announced_again(
    store: MemoryStore, bus: RecordingBus
) -> None:
    # One process keeps presence in memory: after a restart every returning user is "first".
    now = [datetime(2026, 11, 29, 12, 0, tzinfo=UTC)]
    service = ChatService(
        store,
        bus,
        message_limits(3, 1.0),
        LocalPresence(),
        MemoryRoomStore(),
        clock=lambda: now[0],
    )
    assert await service.join("Ann", "a1", returning=True) == ("Ann", None)
    await service.join("Ben", "b1")  # new, through the dialog: announced
    await service.leave("Ann", "a1")  # announced gone since the restart...
    await service.join("Ann", "a2", returning=True)  # ...so back is a new arrival
    now[0] += timedelta(seconds=RETURN_WINDOW_SECONDS + 1)
    await service.join("Cy", "c1", returning=True)  # a visit, not the restart's crowd
    assert [m.text for m in store.messages if m.kind is MessageKind.JOIN] == [
        "Ben has joined the chat.",
        "Ann has joined the chat.",
        "Cy has joined the chat.",
    ]
