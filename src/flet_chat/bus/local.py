"""LocalBus: publishes core events on the process's Fanout, one topic for the chat.

Sessions subscribe on the Fanout (bus/fanout.py) and unsubscribe when their session closes.

Every event also goes to the process's listeners (the shared presence cache and typing board).
`PresenceChanged` and `UserTyping` go *only* there: the listeners work out who is online and
who is typing once for the whole process and tell sessions when that changes, so a crowd
joining or typing costs each session nothing per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flet_chat.core.events import ChatEvent, LocalEvent, PresenceChanged, UserTyping

CHAT_TOPIC = "chat"


class TopicHub(Protocol):
    """What the bus needs to reach this process's sessions (the Fanout, or a test's fake)."""

    def send_all_on_topic(self, topic: str, message: Any) -> None: ...


ProcessListener = Callable[[LocalEvent], None]


class LocalBus:
    def __init__(self, hub: TopicHub) -> None:
        self._hub = hub
        self._listeners: list[ProcessListener] = []

    def add_listener(self, listener: ProcessListener) -> None:
        """`listener` runs on the event loop for every event; it must return at once."""
        self._listeners.append(listener)

    async def publish(self, event: ChatEvent) -> None:
        self.deliver(event)

    def deliver(self, event: LocalEvent) -> None:
        """Hand an event to this process's listeners and (messages) subscribed sessions."""
        for listener in self._listeners:
            listener(event)
        if not isinstance(event, PresenceChanged | UserTyping):
            self._hub.send_all_on_topic(CHAT_TOPIC, event)

    def describe(self) -> str:
        return "local"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
