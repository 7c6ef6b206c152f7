"""#general's newest page and topic, read once for the sessions that open it together.

Every tab opens on #general, behind the name dialog: a crowd joining, or a restarted server's
tabs coming back, read the same 50 messages a thousand times over. Here one read serves every
session that asks while nothing has happened in the room since that read began (no message,
edit, reaction or deletion heard from any process: the bus hands every event here) and for at
most `ttl` seconds, which bounds what a lost pub/sub event could leave stale
(live/shared_read.py).

Why a shared answer misses nothing: a session subscribes to the room before it asks
(SessionController.start). A message stored after the read's snapshot is announced after it
was stored: if the announcement came before the session asked, it marked the read out of date
here and the session gets a read of its own; if it came after, the session was already
listening and merges it by id, as it does with anything published while history loads.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from flet_chat.core.events import LocalEvent, MessageChanged, MessagePosted, MessagesRestored
from flet_chat.live.shared_read import SharedRead

TTL_SECONDS = 5.0

T = TypeVar("T")


class NewestPage(Generic[T]):
    def __init__(
        self,
        room: str,
        read: Callable[[], Awaitable[T]],
        *,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._room = room
        self._shared = SharedRead(read, ttl=ttl, clock=clock)

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: anything that changes the room's newest page."""
        if isinstance(event, MessagePosted | MessageChanged):
            rooms = {event.message.room}
        elif isinstance(event, MessagesRestored):
            rooms = {message.room for message in event.messages}
        else:
            return
        if self._room in rooms:
            self._shared.changed()

    async def read(self) -> T:
        """The page (shared, not copied: callers must not change it)."""
        return await self._shared.read()
