"""LocalBus: publishes core events on Flet's in-process pubsub hub, one topic for the chat.

Sessions subscribe through `page.pubsub.subscribe_topic(CHAT_TOPIC, handler)`, so Flet
unsubscribes them when their session closes.

`PresenceChanged` does not go to the sessions: it goes to the process's listeners (the shared
presence cache), which re-read who is online once for every session. A crowd joining then costs
each session nothing per join, only one member list render per refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flet_chat.core.events import ChatEvent, LocalEvent, PresenceChanged

CHAT_TOPIC = "chat"


class TopicHub(Protocol):
    """The part of `flet.pubsub.PubSubHub` the bus uses."""

    def send_all_on_topic(self, topic: str, message: Any) -> None: ...


PresenceListener = Callable[[PresenceChanged], None]


class LocalBus:
    def __init__(self, hub: TopicHub) -> None:
        self._hub = hub
        self._presence_listeners: list[PresenceListener] = []

    def add_presence_listener(self, listener: PresenceListener) -> None:
        """`listener` runs on the event loop for every presence change; it must return at once."""
        self._presence_listeners.append(listener)

    async def publish(self, event: ChatEvent) -> None:
        self.deliver(event)

    def deliver(self, event: LocalEvent) -> None:
        """Hand an event to every subscribed session of this process."""
        if isinstance(event, PresenceChanged):
            for listener in self._presence_listeners:
                listener(event)
            return
        self._hub.send_all_on_topic(CHAT_TOPIC, event)

    def describe(self) -> str:
        return "local"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
