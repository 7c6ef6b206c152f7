"""Tell every session of the process that shared state changed, without holding the loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Listeners run in slices so one change seen by 1,000 sessions does not hold the loop (and every
# message delivery queued behind it) for the whole fan-out.
SLICE = 50

Listener = Callable[[], None]


class ChangeNotifier:
    def __init__(self) -> None:
        self._listeners: dict[Listener, None] = {}  # ordered, and removal is O(1)

    def subscribe(self, listener: Listener) -> None:
        self._listeners[listener] = None

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.pop(listener, None)

    def __len__(self) -> int:
        return len(self._listeners)

    async def notify(self) -> None:
        for i, listener in enumerate(list(self._listeners)):
            if i and i % SLICE == 0:
                await asyncio.sleep(0)  # let other work run in between
            if listener not in self._listeners:
                continue  # its session closed while earlier slices ran: its page is gone
            try:
                listener()
            except Exception:
                logger.exception("a listener failed")
