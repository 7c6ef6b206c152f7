"""RedisBus: several processes, one chat.

A process delivers its own events to its sessions at once (so its users keep chatting while
Redis is away) and publishes them on one Redis channel. Every process runs one listener that
feeds the other processes' events into its own Flet hub.

Redis pub/sub keeps nothing for a listener that is away, so after every (re)subscribe the
listener reads what it may have missed from the store, by id, and hands it to the sessions as
one `MessagesRestored` batch. Sessions merge by id, so repeats are harmless; the process also
remembers recent ids so it does not wake every session for a message they already have.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import Protocol

import pydantic
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from flet_chat.bus.local import LocalBus, ProcessListener, TopicHub
from flet_chat.bus.redis_clients import pooled_client
from flet_chat.bus.wire import decode, encode
from flet_chat.core.events import ChatEvent, MessagePosted, MessagesRestored
from flet_chat.core.models import Message
from flet_chat.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# Ids are assigned when a transaction starts but become visible when it commits, so a message
# can show up in the store after one with a higher id. Catch-up re-reads this many ids below the
# newest one seen; sessions drop the repeats.
CATCH_UP_OVERLAP_IDS = 100
CATCH_UP_PAGE = 500
RECENT_IDS = 4096
RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 2.0
PING_EVERY_SECONDS = 5.0
# Even with a healthy subscription a publish can be lost (the sender's own connection failed), so
# every few seconds a listener also re-reads the newest ids from the store.
RECONCILE_EVERY_SECONDS = 5.0
PUBLISH_RETRY_SECONDS = (0.1, 0.5, 1.0)


class CatchUpStore(Protocol):
    async def after(self, message_id: int, limit: int) -> list[Message]: ...

    async def latest_id(self) -> int: ...


class RedisBus:
    def __init__(
        self,
        hub: TopicHub,
        store: CatchUpStore,
        redis_url: str,
        prefix: str,
        *,
        reconcile_every: float = RECONCILE_EVERY_SECONDS,
    ) -> None:
        self._local = LocalBus(hub)
        self._reconcile_every = reconcile_every
        self._store = store
        self._channel = f"{prefix}:events"
        self.origin = uuid.uuid4().hex
        self._publisher = pooled_client(redis_url, socket_connect_timeout=2, socket_timeout=5)
        # The listener must see every disconnect itself (to catch up), so its client never
        # reconnects and resubscribes behind its back.
        self._listener_client = Redis.from_url(
            redis_url,
            client_name=f"flet-chat-listener-{self.origin}",  # findable in CLIENT LIST
            socket_connect_timeout=2,
            socket_timeout=PING_EVERY_SECONDS * 2,
            retry=Retry(NoBackoff(), 0),
        )
        self._high_water: int | None = None  # newest id seen through Redis or catch-up
        self._recent: deque[int] = deque(maxlen=RECENT_IDS)
        self._recent_set: set[int] = set()
        self._publishes: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def describe(self) -> str:
        return "redis" if self.connected.is_set() else "redis-reconnecting"

    def add_listener(self, listener: ProcessListener) -> None:
        self._local.add_listener(listener)

    async def publish(self, event: ChatEvent) -> None:
        if isinstance(event, MessagePosted):
            self._remember(event.message.id)
        self._local.deliver(event)
        # The message is stored and shown here already; the caller need not wait for Redis.
        task = asyncio.create_task(self._publish_remote(event))
        self._publishes.add(task)
        task.add_done_callback(self._publishes.discard)

    async def _publish_remote(self, event: ChatEvent) -> None:
        data = encode(event, self.origin)
        for delay in (*PUBLISH_RETRY_SECONDS, None):
            try:
                await self._publisher.publish(self._channel, data)
                return
            except (RedisError, OSError) as error:
                if delay is None:
                    # The other processes' periodic catch-up still brings messages from the store;
                    # presence is re-read every few seconds; a lost typing event is harmless.
                    # The event's type only: a message's repr holds what someone wrote.
                    logger.warning("redis publish of a %s failed: %r", event.type, error)
                    return
            # A pooled connection may still point at a Redis that restarted: try a fresh one.
            await asyncio.sleep(delay)

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen_forever(), name="redis-bus")

    async def stop(self) -> None:
        await cancel_and_wait(self._listener)
        self._listener = None
        if self._publishes:
            await asyncio.gather(*self._publishes, return_exceptions=True)
        await self._publisher.aclose()
        await self._listener_client.aclose()

    async def _listen_forever(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if self.connected.is_set() or delay == RETRY_FIRST_SECONDS:
                    logger.warning("redis bus disconnected: %r; retrying", error)
            except Exception:
                logger.exception("redis bus listener failed; restarting it")
            was_connected = self.connected.is_set()
            self.connected.clear()
            delay = RETRY_FIRST_SECONDS if was_connected else min(delay * 2, RETRY_MAX_SECONDS)
            await asyncio.sleep(delay)  # back off before reconnecting to a server that is down

    async def _listen_once(self) -> None:
        async with self._listener_client.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            # Subscribed first, then read the store: whatever is published from now on arrives
            # on the channel, and whatever came before is in the store.
            await self._catch_up()
            if not self.connected.is_set():
                logger.info("redis bus connected on channel %s", self._channel)
            self.connected.set()
            loop = asyncio.get_running_loop()
            last_traffic = last_reconcile = loop.time()
            while True:
                item = await pubsub.get_message(
                    ignore_subscribe_messages=True,
                    timeout=min(PING_EVERY_SECONDS, self._reconcile_every, 1.0),
                )
                now = loop.time()
                if item is not None:
                    last_traffic = now
                    if item.get("type") == "message":
                        self._receive(item["data"])
                elif now - last_traffic >= PING_EVERY_SECONDS:
                    await pubsub.ping()  # a dead connection fails here, not silently
                    last_traffic = now
                if now - last_reconcile >= self._reconcile_every:
                    await self._catch_up()
                    last_reconcile = now

    def _receive(self, data: bytes) -> None:
        try:
            origin, event = decode(data)
        except pydantic.ValidationError as error:
            logger.warning("ignored a malformed event on %s: %s", self._channel, error)
            return
        if not isinstance(event, MessagePosted):
            # No ids to catch up by: presence and typing are ephemeral, and a missed edit or
            # reaction shows when the message is next loaded (see docs/architecture.md).
            if origin != self.origin:
                self._local.deliver(event)
            return
        message_id = event.message.id
        self._high_water = max(self._high_water or 0, message_id)
        if origin == self.origin or not self._remember(message_id):
            return
        self._local.deliver(event)

    async def _catch_up(self) -> None:
        if self._high_water is None:
            # First connection: sessions read history themselves; start from what is stored now.
            self._high_water = await self._store.latest_id()
            return
        cursor = max(0, self._high_water - CATCH_UP_OVERLAP_IDS)
        missed: list[Message] = []
        while True:
            page = await self._store.after(cursor, CATCH_UP_PAGE)
            missed += [m for m in page if self._remember(m.id)]
            if len(page) < CATCH_UP_PAGE:
                break
            cursor = page[-1].id
        if page or missed:
            self._high_water = max(self._high_water, cursor, *(m.id for m in page))
        if missed:
            logger.info("redis bus caught up %d messages from the store", len(missed))
            self._local.deliver(MessagesRestored(tuple(missed)))

    def _remember(self, message_id: int) -> bool:
        """Record an id as delivered here; False if it already was."""
        if message_id in self._recent_set:
            return False
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(message_id)
        self._recent_set.add(message_id)
        return True
