"""Fanout: hands each event to every subscribed session of this process, on the event loop.

Flet's own pubsub hub delivers every message to every subscriber through
`asyncio.run_coroutine_threadsafe` (a future, a task and a thread-safe callback per session per
event): at 500 sessions that was about a tenth of the server's CPU. Sessions here only append the
event to a list and ask for a frame, so plain synchronous callbacks on the loop are enough.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[[str, Any], None]


class Fanout:
    def __init__(self) -> None:
        self._topics: dict[str, dict[object, Handler]] = {}

    def subscribe(self, topic: str, subscriber: object, handler: Handler) -> None:
        self._topics.setdefault(topic, {})[subscriber] = handler

    def unsubscribe(self, subscriber: object) -> None:
        for handlers in self._topics.values():
            handlers.pop(subscriber, None)

    def send_all_on_topic(self, topic: str, message: Any) -> None:
        # A copy: a handler may (un)subscribe while we walk the subscribers.
        for handler in list(self._topics.get(topic, {}).values()):
            try:
                handler(topic, message)
            except Exception:  # one broken session must not starve the others
                logger.exception("a subscriber failed to take an event")

    def subscriber_count(self) -> int:
        """Subscribers with at least one topic: /healthz shows it so leaks are visible."""
        return len({s for handlers in self._topics.values() for s in handlers})
