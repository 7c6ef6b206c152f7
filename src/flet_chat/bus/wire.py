"""The bus's wire format between processes: versioned JSON, validated on the way in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from flet_chat.core.events import ChatEvent, MessagePosted, PresenceChanged, UserTyping
from flet_chat.core.models import AuthorKind, Message, MessageKind


class WireMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int = Field(gt=0)
    kind: MessageKind
    user_name: str
    text: str
    created_at: datetime
    # Optional on the wire, so a process not yet upgraded still reads (and sends) version 1.
    author_kind: AuthorKind = AuthorKind.USER


class WireMessagePosted(BaseModel):
    """`origin` names the sending process, which has already delivered the event itself."""

    model_config = ConfigDict(frozen=True)

    type: Literal["message.posted"] = "message.posted"
    version: Literal[1] = 1
    origin: str
    message: WireMessage


class WirePresenceChanged(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["presence.changed"] = "presence.changed"
    version: Literal[1] = 1
    origin: str
    room: str
    user_name: str
    online: bool


class WireUserTyping(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["user.typing"] = "user.typing"
    version: Literal[1] = 1
    origin: str
    room: str
    user_name: str


WireEvent = Annotated[
    WireMessagePosted | WirePresenceChanged | WireUserTyping, Field(discriminator="type")
]
_wire_event: TypeAdapter[WireEvent] = TypeAdapter(WireEvent)


def encode(event: ChatEvent, origin: str) -> bytes:
    wire: BaseModel
    if isinstance(event, MessagePosted):
        m = event.message
        wire = WireMessagePosted(
            origin=origin,
            message=WireMessage(
                id=m.id,
                kind=m.kind,
                user_name=m.user_name,
                text=m.text,
                created_at=m.created_at,
                author_kind=m.author_kind,
            ),
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
    if isinstance(wire, WirePresenceChanged):
        return wire.origin, PresenceChanged(wire.room, wire.user_name, wire.online)
    if isinstance(wire, WireUserTyping):
        return wire.origin, UserTyping(wire.room, wire.user_name)
    m = wire.message
    message = Message(m.id, m.kind, m.user_name, m.text, m.created_at, m.author_kind)
    return wire.origin, MessagePosted(message)
