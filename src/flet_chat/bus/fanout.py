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
        # Each subscriber's topics, so that a closing session leaves in O(its topics): with a
        # topic per user there are about as many topics as sessions.
        self._of: dict[object, set[str]] = {}

    def subscribe(self, topic: str, subscriber: object, handler: Handler) -> None:
        self._topics.setdefault(topic, {})[subscriber] = handler
        self._of.setdefault(subscriber, set()).add(topic)

    def unsubscribe_topic(self, topic: str, subscriber: object) -> None:
        handlers = self._topics.get(topic)
        if handlers is not None:
            handlers.pop(subscriber, None)
            if not handlers:
                del self._topics[topic]  # rooms and users come and go: keep no empty topics
        topics = self._of.get(subscriber)
        if topics is not None:
            topics.discard(topic)
            if not topics:
                del self._of[subscriber]

    def unsubscribe(self, subscriber: object) -> None:
        for topic in list(self._of.get(subscriber, ())):
            self.unsubscribe_topic(topic, subscriber)

    def send_all_on_topic(self, topic: str, message: Any) -> None:
        # A copy: a handler may (un)subscribe while we walk the subscribers.
        for handler in list(self._topics.get(topic, {}).values()):
            try:
                handler(topic, message)
            except Exception:  # one broken session must not starve the others
                logger.exception("a subscriber failed to take an event")

    def subscriber_count(self) -> int:
        """Subscribers with at least one topic: /healthz shows it so leaks are visible."""
        return len(self._of)
