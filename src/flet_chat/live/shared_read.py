"""One read shared by every caller until something changes what it read, or `ttl` passes.

For what every session of a crowd reads alike (the room directory, #general's newest page):
callers that ask while a read is in flight wait for it, and later ones get its answer, until
`changed()` (the owner hears an event that could change it) or `ttl` seconds after the read
began (pub/sub may lose an event; some answers drift without one). A read that began before a
change is never handed to a caller who asks after it. A failed read fails its callers and is not
kept; a caller cancelled (its tab closed) does not cancel the others' read.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    def __init__(
        self,
        read: Callable[[], Awaitable[T]],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._generation = 0  # bumped by every change
        self._reading: asyncio.Future[T] | None = None
        self._began = (0, 0.0)  # the generation and time when `_reading` began

    def changed(self) -> None:
        """What was read may be out of date: the next caller reads again."""
        self._generation += 1

    async def read(self) -> T:
        """The shared answer (not a copy: callers must not change it)."""
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
        return await asyncio.shield(reading)


def _seen(read: asyncio.Future[T]) -> None:
    """Its callers hear a failure; with every caller gone, asyncio must not log it as lost."""
    if not read.cancelled():
        read.exception()
