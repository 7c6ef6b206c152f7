"""The public room directory, read once per process and shared by every session that joins.

Every join shows the same directory (the most recently active public rooms), and a crowd joins
at once: a deploy's reconnect storm would read it a thousand times over. Here concurrent
readers share one read, and its answer serves later ones until a public room is created or
changed anywhere (the bus hands every `RoomChanged` here, from every process) or `ttl` seconds
pass: the order by activity drifts without events, and pub/sub may lose one.

A session merges the `RoomChanged` events it hears itself (ui/rooms_session.py): it subscribes
before it reads, so a room created while an older answer is served still reaches its list.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from flet_chat.core.events import LocalEvent, RoomChanged
from flet_chat.core.models import Room

TTL_SECONDS = 10.0

Read = Callable[[], Awaitable[list[Room]]]


class RoomDirectory:
    def __init__(
        self, read: Read, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._rooms: tuple[list[Room], float] | None = None  # the answer and when it was read
        self._reading: asyncio.Future[list[Room]] | None = None
        self._generation = 0  # bumped by every change: a read that began before is not kept

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: a room created or changed makes the answer old."""
        if isinstance(event, RoomChanged):
            self._rooms = None
            self._generation += 1
            self._reading = None  # later readers start a read of their own

    async def rooms(self) -> list[Room]:
        """The directory: the kept answer, or the read in flight, or a new read. A failed read
        fails every reader waiting on it and is not kept."""
        kept = self._rooms
        if kept is not None and self._clock() - kept[1] <= self._ttl:
            return list(kept[0])
        reading = self._reading
        if reading is None or reading.done():
            reading = self._reading = asyncio.ensure_future(self._read_once())
            reading.add_done_callback(_seen)
        # A reader cancelled (its tab closed) does not cancel the others' read.
        return list(await asyncio.shield(reading))

    async def _read_once(self) -> list[Room]:
        generation, began = self._generation, self._clock()
        try:
            rooms = await self._read()
        finally:
            if self._generation == generation:
                self._reading = None
        if self._generation == generation:
            self._rooms = (rooms, began)
        return rooms


def _seen(read: asyncio.Future[list[Room]]) -> None:
    """Its readers hear a failure; with every reader gone, asyncio must not log it as lost."""
    if not read.cancelled():
        read.exception()
