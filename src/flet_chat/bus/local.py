"""LocalBus: publishes core events on the process's Fanout, one topic for the chat.

Sessions subscribe on the Fanout (bus/fanout.py) and unsubscribe when their session closes.
"""

from __future__ import annotations

from typing import Any, Protocol

from flet_chat.core.events import ChatEvent, LocalEvent

CHAT_TOPIC = "chat"


class TopicHub(Protocol):
    """What the bus needs to reach this process's sessions (the Fanout, or a test's fake)."""

    def send_all_on_topic(self, topic: str, message: Any) -> None: ...


class LocalBus:
    def __init__(self, hub: TopicHub) -> None:
        self._hub = hub

    async def publish(self, event: ChatEvent) -> None:
        self.deliver(event)

    def deliver(self, event: LocalEvent) -> None:
        """Hand an event to every subscribed session of this process."""
        self._hub.send_all_on_topic(CHAT_TOPIC, event)

    def describe(self) -> str:
        return "local"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
