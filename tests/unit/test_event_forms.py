"""Every event has one definition (core/events.py). Its other forms are derived from it and must
carry it whole: core -> Redis wire -> core, and core -> Socket.IO payload."""

from __future__ import annotations

from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from flet_chat.api.schemas import MessageEvent, RoomInfo
from flet_chat.bus.wire import decode, encode
from flet_chat.core.events import (
    ChatEvent,
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    ModerationChanged,
    PresenceChanged,
    RoomChanged,
    UserTyping,
)
from flet_chat.core.models import (
    AuthorKind,
    Message,
    MessageKind,
    Reaction,
    Room,
    RoomKind,
    RoomRole,
)
from flet_chat.core.moderation_models import ModerationAction

# What the core lets through: no lone surrogates (validation refuses them).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=32)
ids = st.integers(min_value=1, max_value=2**63 - 1)
reactions = st.lists(
    st.builds(Reaction, texts, st.lists(names, max_size=3).map(tuple)), max_size=3
).map(tuple)
messages = st.builds(
    Message,
    id=ids,
    kind=st.sampled_from(MessageKind),
    user_name=names,
    text=texts,
    created_at=st.datetimes(timezones=st.just(UTC)),
    author_kind=st.sampled_from(AuthorKind),
    room=texts,
    revision=st.integers(min_value=0, max_value=2**31 - 1),
    edited=st.booleans(),
    deleted=st.booleans(),
    reactions=reactions,
    removed_by_moderator=st.booleans(),
)
rooms = st.builds(
    Room,
    texts,
    st.sampled_from(RoomKind),
    members=st.lists(names).map(tuple),
    archived=st.booleans(),
    slow_mode_seconds=st.integers(min_value=0, max_value=3600),
)
events: st.SearchStrategy[ChatEvent] = st.one_of(
    st.builds(MessagePosted, messages),
    st.builds(MessageChanged, messages),
    st.builds(RoomChanged, rooms, created=st.booleans()),
    st.builds(
        ModerationChanged,
        texts,
        names,
        st.sampled_from(ModerationAction).map(str),
        st.none() | st.datetimes(timezones=st.just(UTC)),
        st.none() | st.sampled_from(RoomRole).map(str),
    ),
    st.builds(MembershipChanged, rooms, names, st.booleans()),
    st.builds(PresenceChanged, texts, names, st.booleans()),
    st.builds(UserTyping, texts, names),
)


@settings(max_examples=300, derandomize=True)
@given(events, texts)
def test_every_event_survives_the_wire_unchanged(event: ChatEvent, origin: str) -> None:
    assert decode(encode(event, origin)) == (origin, event)


@settings(max_examples=200, derandomize=True)
@given(messages)
def test_a_message_reaches_api_clients_unchanged(message: Message) -> None:
    sent = MessageEvent.of(message).model_dump(mode="json")
    back = MessageEvent.model_validate(sent)
    assert (
        Message(
            back.id,
            back.kind,
            back.user_name,
            back.text,
            back.created_at,
            back.author_kind,
            back.room,
            back.revision,
            edited=back.edited,
            deleted=back.deleted,
            reactions=tuple(Reaction(r.emoji, tuple(r.users)) for r in back.reactions),
            removed_by_moderator=back.removed_by_moderator,
        )
        == message
    )


@settings(max_examples=100, derandomize=True)
@given(rooms)
def test_a_room_reaches_api_clients_unchanged(room: Room) -> None:
    back = RoomInfo.model_validate(RoomInfo.of(room, None).model_dump(mode="json"))
    assert (
        Room(
            back.key,
            back.kind,
            members=tuple(back.members),
            archived=back.archived,
            slow_mode_seconds=back.slow_mode_seconds,
        )
        == room
    )
