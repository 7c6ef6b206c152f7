"""The bus's wire format between processes: versioned JSON, validated on the way in.

Fields added after version 1 have defaults, so a process not yet upgraded still reads what a
newer one sends (and the other way round)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from flet_chat.core.events import (
    ChatEvent,
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    PresenceChanged,
    RoomChanged,
    UserTyping,
)
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, Message, MessageKind, Reaction, Room, RoomKind


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class WireReaction(_Frozen):
    emoji: str
    users: tuple[str, ...]


class WireMessage(_Frozen):
    id: int = Field(gt=0)
    kind: MessageKind
    user_name: str
    text: str
    created_at: datetime
    author_kind: AuthorKind = AuthorKind.USER
    room: str = DEFAULT_ROOM
    revision: int = 0
    edited: bool = False
    deleted: bool = False
    reactions: tuple[WireReaction, ...] = ()

    @classmethod
    def of(cls, m: Message) -> WireMessage:
        return cls(
            id=m.id,
            kind=m.kind,
            user_name=m.user_name,
            text=m.text,
            created_at=m.created_at,
            author_kind=m.author_kind,
            room=m.room,
            revision=m.revision,
            edited=m.edited,
            deleted=m.deleted,
            reactions=tuple(WireReaction(emoji=r.emoji, users=r.users) for r in m.reactions),
        )

    def to_message(self) -> Message:
        return Message(
            self.id,
            self.kind,
            self.user_name,
            self.text,
            self.created_at,
            self.author_kind,
            self.room,
            self.revision,
            edited=self.edited,
            deleted=self.deleted,
            reactions=tuple(Reaction(r.emoji, r.users) for r in self.reactions),
        )


class WireRoom(_Frozen):
    key: str
    kind: RoomKind
    members: tuple[str, ...] = ()

    def to_room(self) -> Room:
        return Room(self.key, self.kind, members=self.members)


def _wire_room(room: Room) -> WireRoom:
    return WireRoom(key=room.key, kind=room.kind, members=room.members)


class WireMessagePosted(_Frozen):
    """`origin` names the sending process, which has already delivered the event itself."""

    type: Literal["message.posted"] = "message.posted"
    version: Literal[1] = 1
    origin: str
    message: WireMessage


class WireMessageChanged(_Frozen):
    type: Literal["message.changed"] = "message.changed"
    version: Literal[1] = 1
    origin: str
    message: WireMessage


class WireRoomChanged(_Frozen):
    type: Literal["room.changed"] = "room.changed"
    version: Literal[1] = 1
    origin: str
    room: WireRoom


class WireMembershipChanged(_Frozen):
    type: Literal["membership.changed"] = "membership.changed"
    version: Literal[1] = 1
    origin: str
    room: WireRoom
    user_name: str
    joined: bool


class WirePresenceChanged(_Frozen):
    type: Literal["presence.changed"] = "presence.changed"
    version: Literal[1] = 1
    origin: str
    room: str
    user_name: str
    online: bool


class WireUserTyping(_Frozen):
    type: Literal["user.typing"] = "user.typing"
    version: Literal[1] = 1
    origin: str
    room: str
    user_name: str


WireEvent = Annotated[
    WireMessagePosted
    | WireMessageChanged
    | WireRoomChanged
    | WireMembershipChanged
    | WirePresenceChanged
    | WireUserTyping,
    Field(discriminator="type"),
]
_wire_event: TypeAdapter[WireEvent] = TypeAdapter(WireEvent)


def encode(event: ChatEvent, origin: str) -> bytes:
    wire: BaseModel
    if isinstance(event, MessagePosted):
        wire = WireMessagePosted(origin=origin, message=WireMessage.of(event.message))
    elif isinstance(event, MessageChanged):
        wire = WireMessageChanged(origin=origin, message=WireMessage.of(event.message))
    elif isinstance(event, RoomChanged):
        wire = WireRoomChanged(origin=origin, room=_wire_room(event.room))
    elif isinstance(event, MembershipChanged):
        wire = WireMembershipChanged(
            origin=origin,
            room=_wire_room(event.room),
            user_name=event.user_name,
            joined=event.joined,
        )
    elif isinstance(event, PresenceChanged):
        wire = WirePresenceChanged(
            origin=origin, room=event.room, user_name=event.user_name, online=event.online
        )
    else:
        wire = WireUserTyping(origin=origin, room=event.room, user_name=event.user_name)
    return wire.model_dump_json().encode()


def decode(data: bytes | str) -> tuple[str, ChatEvent]:
    """Returns (origin, event); raises pydantic.ValidationError for anything else."""
    wire = _wire_event.validate_json(data)
    event: ChatEvent
    if isinstance(wire, WirePresenceChanged):
        event = PresenceChanged(wire.room, wire.user_name, wire.online)
    elif isinstance(wire, WireUserTyping):
        event = UserTyping(wire.room, wire.user_name)
    elif isinstance(wire, WireRoomChanged):
        event = RoomChanged(wire.room.to_room())
    elif isinstance(wire, WireMembershipChanged):
        event = MembershipChanged(wire.room.to_room(), wire.user_name, wire.joined)
    elif isinstance(wire, WireMessageChanged):
        event = MessageChanged(wire.message.to_message())
    else:
        event = MessagePosted(wire.message.to_message())
    return wire.origin, event
