"""Who is online in a room, for `/who`: the one place to point at the real presence listing.

The presence branch adds `Presence.online_users()`. Until it is merged this answers from what
this build has: the local presence (one process, exact) or nothing (`None`, so `/who` says it
cannot tell rather than guess) when presence lives in Redis across processes.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any


def online_users_from(presence: Any) -> Callable[[str], Awaitable[list[str] | None]]:
    async def online_users(room: str) -> list[str] | None:
        del room  # one room for now; the presence branch keeps rooms out of it too
        listing = getattr(presence, "online_users", None)
        if listing is not None:  # after the merge with the presence branch
            users = listing()
            return sorted(await users if inspect.isawaitable(users) else users)
        if type(presence).__name__ == "LocalPresence":
            return sorted(presence.local_sessions())
        return None

    return online_users
