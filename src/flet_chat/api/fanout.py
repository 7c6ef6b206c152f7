"""Feeds the process's event flow to Socket.IO clients.

It subscribes to the same Flet pubsub hub as the sessions, so it gets what they get: this
process's messages at once, other processes' through the Redis bus, and catch-up batches. One
queue and one consumer keep the emits in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from flet_chat.bus.local import CHAT_TOPIC
from flet_chat.core.events import MessagePosted, MessagesRestored
from flet_chat.core.models import Message
from flet_chat.core.recent_ids import RecentIds

logger = logging.getLogger(__name__)

# Not a Flet session: /healthz leaves ids with this prefix out of its subscriber count.
SUBSCRIBER_ID = "flet-chat:socketio"


class SubscribableHub(Protocol):
    def subscribe_topic(self, session_id: str, topic: str, handler: Any) -> None: ...

    def unsubscribe_all(self, session_id: str) -> None: ...


class Fanout:
    def __init__(self, deliver: Callable[[Message], Awaitable[None]]) -> None:
        self._deliver = deliver
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._hub: SubscribableHub | None = None
        # A message can arrive twice (a retried send is published again; catch-up overlaps):
        # Flet sessions merge by id, Socket.IO clients should not have to.
        self._recent = RecentIds()

    def start(self, hub: SubscribableHub) -> None:
        self._hub = hub
        hub.subscribe_topic(SUBSCRIBER_ID, CHAT_TOPIC, self._on_hub_event)
        self._task = asyncio.create_task(self._run(), name="socketio-fanout")

    async def stop(self) -> None:
        if self._hub is not None:
            self._hub.unsubscribe_all(SUBSCRIBER_ID)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _on_hub_event(self, _topic: str, event: Any) -> None:
        self.on_event(event)

    def on_event(self, event: object) -> None:
        """Take one bus event; returns at once (the shape of a process-level bus listener)."""
        if isinstance(event, MessagePosted):
            self._enqueue(event.message)
        elif isinstance(event, MessagesRestored):
            for message in event.messages:
                self._enqueue(message)

    def _enqueue(self, message: Message) -> None:
        if self._recent.add(message.id):
            self._queue.put_nowait(message)

    async def _run(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self._deliver(message)
            except Exception:
                logger.exception("could not deliver message %s to Socket.IO clients", message.id)
