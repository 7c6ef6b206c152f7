"""LocalBus: publishes core events on Flet's in-process pubsub hub, one topic for the chat.

Sessions subscribe through `page.pubsub.subscribe_topic(CHAT_TOPIC, handler)`, so Flet
unsubscribes them when their session closes.
"""

from __future__ import annotations

from typing import Any, Protocol

from flet_chat.core.events import ChatEvent, LocalEvent

CHAT_TOPIC = "chat"


class TopicHub(Protocol):
    """The part of `flet.pubsub.PubSubHub` the bus uses."""

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
