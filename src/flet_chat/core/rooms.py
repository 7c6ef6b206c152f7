"""Rooms. For now there is one, #general; the wire and the API already name a room, so rooms can
be added without changing what clients send."""

from __future__ import annotations

from flet_chat.core.errors import ChatError
from flet_chat.core.limits import DEFAULT_ROOM

ROOMS = frozenset({DEFAULT_ROOM})


class UnknownRoomError(ChatError):
    """A client named a room that does not exist."""


def check_room(room: str | None) -> str:
    """The room's name (the default when omitted), or UnknownRoomError."""
    name = DEFAULT_ROOM if room is None else room.strip().removeprefix("#").lower()
    if name not in ROOMS:
        raise UnknownRoomError(f"There is no room #{name}; the only room is #{DEFAULT_ROOM}.")
    return name
