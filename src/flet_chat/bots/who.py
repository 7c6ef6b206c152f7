"""Who is online in a room, for `/who`: the presence adapter's listing (one room for now)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flet_chat.core.ports import Presence


def online_users_from(presence: Presence) -> Callable[[str], Awaitable[list[str] | None]]:
    async def online_users(room: str) -> list[str] | None:
        del room  # presence keeps one room until rooms exist
        return await presence.online_users()

    return online_users
