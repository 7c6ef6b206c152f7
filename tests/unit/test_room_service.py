"""RoomService and the room rules of ChatService and MessageActions, on in-memory adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import ValidationError
from flet_chat.core.events import MembershipChanged, MessageChanged, RoomChanged
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.models import AuthorKind, Room, RoomKind
from flet_chat.core.names import name_skeleton
from flet_chat.core.room_service import title_for
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError, direct_key
from flet_chat.core.service import ChatService
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus([])


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore([])


@pytest.fixture
def chat(store: MemoryStore, bus: RecordingBus) -> ChatService:
    # Bob has joined: a direct conversation is opened only with someone who did.
    people = MemoryRoomStore(claimed=(("Bob", name_skeleton("Bob")),))
    return ChatService(store, bus, message_limits(100, 1.0), LocalPresence(), people)


async def test_create_validates_the_name_and_says_when_it_is_taken(
    chat: ChatService, bus: RecordingBus
) -> None:
    room = await chat.rooms.create("Ann", " #Dev-Ops ")
    assert room == Room("dev-ops", RoomKind.PUBLIC)
    assert bus.other == [
        RoomChanged(room),
        MembershipChanged(room, "Ann", joined=True),
    ]
    with pytest.raises(ValidationError, match=r"#dev-ops already exists"):
        await chat.rooms.create("Bob", "dev-ops")
    with pytest.raises(ValidationError, match=r"#general already exists"):
        await chat.rooms.create("Bob", "general")
    for bad in ("", "has space", "UPPER_", "x" * 41, "émoji"):
        with pytest.raises(ValidationError, match="1 to 40 characters"):
            await chat.rooms.create("Bob", bad)
    assert await chat.rooms.create("Bob", "x" * 40)


async def test_join_and_leave(chat: ChatService, bus: RecordingBus) -> None:
    dev = await chat.rooms.create("Ann", "dev")
    bus.other.clear()
    with pytest.raises(NotAMemberError):
        await chat.post("Bob", "hi", room="dev")
    assert await chat.rooms.join("Bob", "#dev") == dev
    assert await chat.rooms.join("Bob", "dev") == dev  # again: nothing new
    assert bus.other == [MembershipChanged(dev, "Bob", joined=True)]
    assert (await chat.post("Bob", "hi", room="dev")).room == "dev"
    assert [s.room.key for s in await chat.rooms.rooms_of("Bob")] == ["general", "dev"]
    await chat.rooms.leave("Bob", "dev")
    assert bus.other[-1] == MembershipChanged(dev, "Bob", joined=False)
    with pytest.raises(NotAMemberError, match="Join #dev first"):
        await chat.post("Bob", "still here?", room="dev")
    with pytest.raises(ValidationError, match="cannot be left"):
        await chat.rooms.leave("Bob", "general")
    with pytest.raises(UnknownRoomError, match="There is no room #nope"):
        await chat.rooms.join("Bob", "nope")


async def test_open_direct_is_idempotent_and_the_same_from_both_sides(
    chat: ChatService, bus: RecordingBus
) -> None:
    room = await chat.rooms.open_direct("Ann", "Bob")
    assert room.key == direct_key("bob", "ANN")
    assert room.members == ("Ann", "Bob")
    assert await chat.rooms.open_direct("bob", "ann") == room
    assert await chat.rooms.open_direct("Ann", "Bob") == room
    # Both people's sessions heard of it, once.
    assert bus.other == [
        MembershipChanged(room, "Ann", joined=True),
        MembershipChanged(room, "Bob", joined=True),
    ]
    assert title_for(room, "Ann") == "@Bob"
    assert title_for(room, "bob") == "@Ann"
    with pytest.raises(ValidationError, match="someone else"):
        await chat.rooms.open_direct("Ann", "ANN")
    with pytest.raises(ValidationError, match="cannot be left"):
        await chat.rooms.leave("Ann", room.key)


async def test_a_third_user_cannot_see_a_direct_conversation(
    chat: ChatService, bus: RecordingBus
) -> None:
    room = await chat.rooms.open_direct("Ann", "Bob")
    secret = await chat.post("Ann", "psst", room=room.key)
    assert [m.text for m in (await chat.latest(room.key, reader="bob")).messages] == ["psst"]
    # Carol hears what she hears of a room that does not exist: nothing tells her it does.
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: chat.rooms.readable("Carol", room.key),
        lambda: chat.rooms.check_member("Carol", room.key),
        lambda: chat.rooms.join("Carol", room.key),
        lambda: chat.latest(room.key, reader="Carol"),
        lambda: chat.latest(room.key),
        lambda: chat.before(secret.id + 1, room.key, reader="Carol"),
        lambda: chat.post("Carol", "let me in", room=room.key),
        lambda: chat.typing("Carol", room=room.key),
    ]
    for attempt in attempts:
        with pytest.raises(UnknownRoomError, match="no room that conversation"):
            await attempt()
    # By id, a direct message is a message that does not exist: its ids cannot be counted.
    by_id: list[Callable[[int], Awaitable[object]]] = [
        lambda i: chat.actions.toggle_reaction("Carol", i, "👍"),
        lambda i: chat.actions.edit("Carol", i, "mine now"),
        lambda i: chat.actions.delete("Carol", i),
    ]
    for attempt in by_id:
        with pytest.raises(ValidationError) as hidden:
            await attempt(secret.id)
        with pytest.raises(ValidationError) as missing:
            await attempt(10**9)
        assert str(hidden.value) == str(missing.value) == "That message no longer exists."
    assert [s.room.key for s in await chat.rooms.rooms_of("Carol")] == ["general"]
    assert bus.typing == []


async def test_bots_and_integrations_may_post_in_public_rooms_never_in_direct_ones(
    chat: ChatService,
) -> None:
    await chat.rooms.create("Ann", "dev")
    said = await chat.post("Deploy", "build 42", room="dev", author_kind=AuthorKind.INTEGRATION)
    assert said.room == "dev"
    assert (await chat.post("Helper", "beep", room="dev", author_kind=AuthorKind.BOT)).room == "dev"
    room = await chat.rooms.open_direct("Ann", "Bob")
    for kind in (AuthorKind.BOT, AuthorKind.INTEGRATION):
        with pytest.raises(UnknownRoomError):
            await chat.post("Ann", "as a bot", room=room.key, author_kind=kind)
    with pytest.raises(UnknownRoomError):
        await chat.post("Hook", "hi", room="nope", author_kind=AuthorKind.INTEGRATION)


async def test_mentions_are_stored_with_the_message(chat: ChatService, store: MemoryStore) -> None:
    recorded: list[tuple[str, ...]] = []
    original = store.add

    async def add(new):  # type: ignore[no-untyped-def]
        recorded.append(new.mentions)
        return await original(new)

    store.add = add  # type: ignore[method-assign]
    await chat.post("Ann", "hi @Bob and @carol, not a@mail.example")
    await chat.post("Ann", "/me waves at @Bob")
    assert recorded == [("bob", "carol"), ("bob",)]


async def test_only_the_author_edits_or_deletes_and_members_react(
    chat: ChatService, bus: RecordingBus
) -> None:
    await chat.rooms.create("Ann", "dev")
    said = await chat.post("Ann", "helo", room="dev")
    with pytest.raises(NotAllowedError):
        await chat.actions.edit("Bob", said.id, "hacked")
    with pytest.raises(NotAMemberError):
        await chat.actions.toggle_reaction("Bob", said.id, "👍")
    edited = await chat.actions.edit("ann", said.id, "hello")
    assert (edited.text, edited.edited) == ("hello", True)
    await chat.rooms.join("Bob", "dev")
    reacted = await chat.actions.toggle_reaction("Bob", said.id, "👍")
    assert [(r.emoji, r.users) for r in reacted.reactions] == [("👍", ("Bob",))]
    deleted = await chat.actions.delete("Ann", said.id)
    assert deleted.deleted
    with pytest.raises(NotAllowedError):
        await chat.actions.toggle_reaction("Bob", said.id, "👍")
    changes = [e.message.revision for e in bus.other if isinstance(e, MessageChanged)]
    assert changes == [1, 2, 3]


async def test_nobody_opens_a_direct_conversation_with_a_bot(chat: ChatService) -> None:
    chat.reserve_names(["Helper"])
    with pytest.raises(ValidationError, match="helper is a bot"):
        await chat.rooms.open_direct("Ann", "helper")
    with pytest.raises(ValidationError, match="is a bot"):
        await chat.rooms.open_direct("Helper", "Ann")
