"""Feeds the process's event flow to Socket.IO clients.

A listener on the process's bus (`LocalBus.add_listener`), like the presence cache and the
typing board: it hears this process's events at once, other processes' through the Redis bus,
and catch-up batches. One queue and one consumer keep the emits in order, which rooms rely on:
a membership change (a direct conversation opened with a connected user) puts that user's
clients in the room before the room's next message is emitted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from flet_chat.core.events import (
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    MessagesRestored,
    ModerationChanged,
    PresenceChanged,
    RoomChanged,
    UserTyping,
)
from flet_chat.core.models import Message
from flet_chat.core.recent_ids import RecentIds
from flet_chat.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

Signal = PresenceChanged | UserTyping
Change = MessageChanged | MembershipChanged | RoomChanged | ModerationChanged


class SocketFeed:
    def __init__(
        self,
        deliver: Callable[[Message], Awaitable[None]],
        signal: Callable[[Signal], Awaitable[None]],
        change: Callable[[Change], Awaitable[None]],
    ) -> None:
        self._deliver = deliver
        self._signal = signal
        self._change = change
        self._queue: asyncio.Queue[Message | Signal | Change] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # A message can arrive twice (a retried send is published again; catch-up overlaps):
        # Flet sessions merge by id, Socket.IO clients should not have to.
        self._recent = RecentIds()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="socketio-feed")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def on_event(self, event: object) -> None:
        """Take one bus event; returns at once (a process-level bus listener)."""
        if isinstance(event, MessagePosted):
            self._enqueue(event.message)
        elif isinstance(event, MessagesRestored):
            for message in event.messages:
                self._enqueue(message)
        elif isinstance(
            event,
            PresenceChanged
            | UserTyping
            | MessageChanged
            | MembershipChanged
            | RoomChanged
            | ModerationChanged,
        ):
            self._queue.put_nowait(event)

    def _enqueue(self, message: Message) -> None:
        if self._recent.add(message.id):
            self._queue.put_nowait(message)

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, Message):
                    await self._deliver(item)
                elif isinstance(item, PresenceChanged | UserTyping):
                    await self._signal(item)
                else:
                    await self._change(item)
            except Exception:
                # The event's type only: a message's repr holds what someone wrote.
                logger.exception("could not pass a %s on to Socket.IO clients", type(item).__name__)
