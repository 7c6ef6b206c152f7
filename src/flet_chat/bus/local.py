"""LocalBus: publishes core events on Flet's in-process pubsub hub, one topic for the chat.

Sessions subscribe through `page.pubsub.subscribe_topic(CHAT_TOPIC, handler)`, so Flet
unsubscribes them when their session closes.
"""

from __future__ import annotations

from typing import Any, Protocol

from flet_chat.core.events import ChatEvent

CHAT_TOPIC = "chat"


class TopicHub(Protocol):
    """The part of `flet.pubsub.PubSubHub` the bus uses."""

    def send_all_on_topic(self, topic: str, message: Any) -> None: ...


class LocalBus:
    def __init__(self, hub: TopicHub) -> None:
        self._hub = hub

    async def publish(self, event: ChatEvent) -> None:
        self._hub.send_all_on_topic(CHAT_TOPIC, event)
