"""The public room directory, read once per process and shared by every session that joins.

Every join shows the same directory (the most recently active public rooms), and a crowd joins
at once: a deploy's reconnect storm would read it a thousand times over. Here concurrent
readers share one read, and its answer serves later ones until a public room is created or
changed anywhere (the bus hands every `RoomChanged` here, from every process) or `ttl` seconds
pass: the order by activity drifts without events, and pub/sub may lose one
(live/shared_read.py).

A session merges the `RoomChanged` events it hears itself (ui/rooms_session.py): it subscribes
before it reads, so a room created while an older answer is served still reaches its list.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from flet_chat.core.events import LocalEvent, RoomChanged
from flet_chat.core.models import Room
from flet_chat.live.shared_read import SharedRead

TTL_SECONDS = 10.0


class RoomDirectory:
    def __init__(
        self,
        read: Callable[[], Awaitable[list[Room]]],
        *,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = SharedRead(read, ttl=ttl, clock=clock)

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: a room created or changed makes the answer old."""
        if isinstance(event, RoomChanged):
            self._shared.changed()

    async def rooms(self) -> list[Room]:
        """The directory (a copy of the shared answer: the caller may keep or change it)."""
        return list(await self._shared.read())
