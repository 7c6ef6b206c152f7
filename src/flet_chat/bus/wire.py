"""The bus's wire format between processes: versioned JSON of the core's own events.

Each event is defined once, as a dataclass in core/events.py; pydantic reads and writes its fields
(and those of Message, Room and Reaction), so a field added there travels with no change here. An
envelope adds the event's `type`, `version` and the sending process (`origin`). Fields added
after version 1 have defaults, so a process not yet upgraded still reads what a newer one sends
(it ignores fields it does not know), and the other way round.
"""

from __future__ import annotations

from typing import Any, Self

import pydantic_core
from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator

from flet_chat.core.events import (
    ChatEvent,
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    ModerationChanged,
    PresenceChanged,
    ProfileChanged,
    RoomChanged,
    SessionsEnded,
    UserTyping,
)

_EVENT_TYPES: tuple[type[ChatEvent], ...] = (
    MessagePosted,
    MessageChanged,
    RoomChanged,
    MembershipChanged,
    PresenceChanged,
    UserTyping,
    SessionsEnded,
    ProfileChanged,
    ModerationChanged,
)
_BY_TYPE: dict[str, type[ChatEvent]] = {cls.type: cls for cls in _EVENT_TYPES}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {cls.type: TypeAdapter(cls) for cls in _EVENT_TYPES}


class _Envelope(BaseModel):
    """What every event on the wire has; the event's own fields are the extra ones."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str
    version: int
    origin: str

    @model_validator(mode="after")
    def _known(self) -> Self:
        known = _BY_TYPE.get(self.type)
        if known is None or known.version != self.version:
            raise ValueError(f"unknown event {self.type!r} version {self.version}")
        return self


def encode(event: ChatEvent, origin: str) -> bytes:
    fields = _ADAPTERS[event.type].dump_python(event, mode="json")
    envelope = {"type": event.type, "version": event.version, "origin": origin}
    return pydantic_core.to_json({**envelope, **fields})


def decode(data: bytes | str) -> tuple[str, ChatEvent]:
    """Returns (origin, event); raises pydantic.ValidationError for anything else."""
    envelope = _Envelope.model_validate_json(data)
    event: ChatEvent = _ADAPTERS[envelope.type].validate_python(envelope.model_extra or {})
    return envelope.origin, event
