"""#general's newest page and topic, read once for the sessions that open it together.

Every tab opens on #general, behind the name dialog: a crowd joining, or a restarted server's
tabs coming back, read the same 50 messages a thousand times over. Here one read serves every
session that asks while nothing has happened in the room since that read began (no message,
edit, reaction or deletion heard from any process: the bus hands every event here) and for at
most `ttl` seconds, which bounds what a lost pub/sub event could leave stale.

Why a shared answer misses nothing: a session subscribes to the room before it asks
(SessionController.start). A message stored after the read's snapshot is announced after it
was stored: if the announcement came before the session asked, it bumped the room's
generation here and the session gets a read of its own; if it came after, the session was
already listening and merges it by id, as it does with anything published while history loads.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from flet_chat.core.events import LocalEvent, MessageChanged, MessagePosted, MessagesRestored

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
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._generation = 0  # bumped by every event of the room
        self._reading: asyncio.Future[T] | None = None
        self._began = (0, 0.0)  # the generation and time when `_reading` began

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: anything that changes the room's newest page."""
        if isinstance(event, MessagePosted | MessageChanged):
            rooms = {event.message.room}
        elif isinstance(event, MessagesRestored):
            rooms = {message.room for message in event.messages}
        else:
            return
        if self._room in rooms:
            self._generation += 1

    async def read(self) -> T:
        """The page as read since the last event of the room (shared, not copied: callers must
        not change it). A failed read fails the callers sharing it and is not kept."""
        reading = self._reading
        generation, began = self._began
        if (
            reading is None
            or generation != self._generation
            or self._clock() - began > self._ttl
            or (reading.done() and (reading.cancelled() or reading.exception() is not None))
        ):
            reading = self._reading = asyncio.ensure_future(self._read())
            reading.add_done_callback(_seen)
            self._began = (self._generation, self._clock())
        # A caller cancelled (its tab closed) does not cancel the others' read.
        return await asyncio.shield(reading)


def _seen(read: asyncio.Future[T]) -> None:
    """Its callers hear a failure; with every caller gone, asyncio must not log it as lost."""
    if not read.cancelled():
        read.exception()
