"""A bounded memory of message ids already handled, for consumers that must not act twice."""

from __future__ import annotations

from collections import deque


class RecentIds:
    def __init__(self, capacity: int = 4096) -> None:
        self._order: deque[int] = deque(maxlen=capacity)
        self._ids: set[int] = set()

    def add(self, message_id: int) -> bool:
        """Record the id; False if it was already there."""
        if message_id in self._ids:
            return False
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(message_id)
        self._ids.add(message_id)
        return True
