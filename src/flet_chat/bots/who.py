"""Who is online in a room, for `/who`: the presence adapter's listing, narrowed to the room's
members outside #general (where everyone is)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flet_chat.core.ports import Presence
from flet_chat.core.rooms import user_key

Members = Callable[[str], Awaitable[list[str] | None]]  # None: everyone (#general)


def online_users_from(
    presence: Presence, members: Members | None = None
) -> Callable[[str], Awaitable[list[str] | None]]:
    async def online_users(room: str) -> list[str] | None:
        online = await presence.online_users()
        in_room = None if members is None else await members(room)
        if in_room is None:
            return online
        keys = {user_key(m) for m in in_room}
        return [name for name in online if user_key(name) in keys]

    return online_users
