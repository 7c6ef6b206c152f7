"""WriteQueue: SQLite's one writer at a time, with the room's messages ahead of the rest.

SQLite lets one transaction write at a time, so the store queues its writes on the event loop
(a plain FIFO lock did). When a crowd joins, every newcomer's guest account and session are
writes, about 50 of them waiting at any moment (the load client opens 50 at a time): a chat
message typed meanwhile waited behind all of them, 0.7-0.9 s of its 1 s delivery
(`python -m bench.run --only joins-1000`, issue 18's goal: 500 ms). A message, an edit, a
reaction or a deletion is a small, rate-limited write someone is watching for; it now goes
before the writes waiting that are not. So that a stream of messages cannot hold the others
back for long, at most `URGENT_RUN` urgent writes in a row go ahead of one that waits.

The writer is handed the queue directly (it is never free between two writers while anyone
waits), so nobody can take it out of turn; a waiter cancelled after it was handed the queue
passes it on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

URGENT_RUN = 8


class WriteQueue:
    def __init__(self, *, urgent_run: int = URGENT_RUN) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._other: deque[asyncio.Future[None]] = deque()
        self._urgent_run = urgent_run
        self._urgent_in_a_row = 0

    @contextlib.asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Wait for the writer's turn (`urgent`: ahead of the writes waiting that are not)."""
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    def waiting(self) -> int:
        return len(self._urgent) + len(self._other)

    async def _acquire(self, urgent: bool) -> None:
        if not self._busy and not self.waiting():
            self._busy = True
            self._urgent_in_a_row = 1 if urgent else 0
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._other
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the queue, then cancelled: pass it on
            else:  # (a release may have dropped it already: it skips cancelled turns)
                with contextlib.suppress(ValueError):
                    queue.remove(turn)
            raise

    def _release(self) -> None:
        while self._urgent or self._other:
            take_urgent = bool(self._urgent) and (
                not self._other or self._urgent_in_a_row < self._urgent_run
            )
            turn = (self._urgent if take_urgent else self._other).popleft()
            if turn.done():
                continue  # its waiter was cancelled and has not taken it out yet
            self._urgent_in_a_row = self._urgent_in_a_row + 1 if take_urgent else 0
            turn.set_result(None)  # handed over: the queue stays busy
            return
        self._busy = False
