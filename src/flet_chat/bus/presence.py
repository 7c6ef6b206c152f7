"""Presence adapters: which users have a live session, in this process or across processes.

Two questions, two answers. Join and leave notices count a user's *joined* sessions: a reload or
a dropped connection is not a leave until the grace period is over. The member list shows users
with a *connected* session, so it follows a closed tab within seconds.

`RedisPresence` keeps, per user, a sorted set of joined session keys (`<prefix>:online:<name>`)
and one of connected session keys (`<prefix>:live:<name>`), each scored by when it expires, and
one sorted set of users with a connected session (`<prefix>:users`), scored by the latest expiry
of their sessions. Listing who is online is one range query on that set, never a KEYS/SCAN. A
heartbeat extends this process's entries, so those of a process that died drop out within `ttl`.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from flet_chat.bus.redis_clients import pooled_client
from flet_chat.core.validation import sorted_names
from flet_chat.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0

# Removing a connected session and, if it was the user's last one, the user from the list must
# be one step: with two commands another process could add a session in between and be dropped.
_DISCONNECT_SCRIPT = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


class LocalPresence:
    def __init__(self) -> None:
        self._sessions: dict[str, set[str]] = {}  # joined sessions per user
        self._connected: dict[str, set[str]] = {}  # the subset whose connection is up

    async def enter(self, user_name: str, session_key: str) -> bool:
        keys = self._sessions.setdefault(user_name, set())
        was_offline = not keys
        keys.add(session_key)
        self._connect(user_name, session_key, True)
        return was_offline

    async def leave(self, user_name: str, session_key: str) -> bool:
        self._connect(user_name, session_key, False)
        keys = self._sessions.get(user_name, set())
        keys.discard(session_key)
        if not keys:
            self._sessions.pop(user_name, None)
            return True
        return False

    async def set_connected(self, user_name: str, session_key: str, connected: bool) -> None:
        if session_key in self._sessions.get(user_name, ()):
            self._connect(user_name, session_key, connected)

    async def online_users(self) -> list[str]:
        return sorted_names(list(self._connected))

    async def online_count(self) -> int:
        return len(self._connected)

    def _connect(self, user_name: str, session_key: str, connected: bool) -> None:
        if connected:
            self._connected.setdefault(user_name, set()).add(session_key)
            return
        keys = self._connected.get(user_name, set())
        keys.discard(session_key)
        if not keys:
            self._connected.pop(user_name, None)

    def local_sessions(self) -> dict[str, set[str]]:
        return self._sessions

    def connected_sessions(self) -> dict[str, set[str]]:
        return self._connected

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisPresence:
    """Shared presence; while Redis is away it answers from this process's own sessions."""

    def __init__(self, redis_url: str, prefix: str, *, ttl: float = PRESENCE_TTL_SECONDS) -> None:
        self._redis = pooled_client(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self._prefix = prefix
        self._ttl = ttl
        self._local = LocalPresence()
        self._heartbeat: asyncio.Task[None] | None = None
        self._users_key = f"{prefix}:users"
        self._disconnect = self._redis.register_script(_DISCONNECT_SCRIPT)

    def _key(self, user_name: str) -> str:
        return f"{self._prefix}:online:{user_name}"

    def _live_key(self, user_name: str) -> str:
        return f"{self._prefix}:live:{user_name}"

    async def enter(self, user_name: str, session_key: str) -> bool:
        locally_offline = await self._local.enter(user_name, session_key)
        key, now = self._key(user_name), time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zcard(key)
                pipe.zadd(key, {session_key: now + self._ttl})
                pipe.expire(key, int(self._ttl) + 1)
                self._queue_connected(pipe, user_name, [session_key], now + self._ttl)
                _, others, *_ = await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("presence: redis unavailable, answering locally: %r", error)
            return locally_offline
        return int(others) == 0

    async def leave(self, user_name: str, session_key: str) -> bool:
        locally_gone = await self._local.leave(user_name, session_key)
        key, now = self._key(user_name), time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(key, session_key)
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zcard(key)
                _, _, left = await pipe.execute()
            await self._disconnected(user_name, session_key, now)
        except (RedisError, OSError) as error:
            logger.warning("presence: redis unavailable, answering locally: %r", error)
            return locally_gone
        return int(left) == 0

    async def set_connected(self, user_name: str, session_key: str, connected: bool) -> None:
        if session_key not in self._local.local_sessions().get(user_name, ()):
            return  # not joined (or already left): nothing to show or hide
        await self._local.set_connected(user_name, session_key, connected)
        now = time.time()
        try:
            if connected:
                async with self._redis.pipeline(transaction=True) as pipe:
                    self._queue_connected(pipe, user_name, [session_key], now + self._ttl)
                    await pipe.execute()
            else:
                await self._disconnected(user_name, session_key, now)
        except (RedisError, OSError) as error:
            # The heartbeat re-adds connected sessions; a disconnected one expires with the TTL.
            logger.warning("presence: redis unavailable: %r", error)

    async def online_users(self) -> list[str]:
        try:
            raw = await self._redis.zrangebyscore(self._users_key, f"({time.time()}", "+inf")
        except (RedisError, OSError) as error:
            logger.warning("presence: redis unavailable, listing this process's users: %r", error)
            return await self._local.online_users()
        return sorted_names([n.decode() if isinstance(n, bytes) else str(n) for n in raw])

    async def online_count(self) -> int:
        try:
            return int(await self._redis.zcount(self._users_key, f"({time.time()}", "+inf"))
        except (RedisError, OSError) as error:
            logger.warning("presence: redis unavailable, counting this process's users: %r", error)
            return await self._local.online_count()

    def _queue_connected(
        self, pipe: Pipeline, user_name: str, session_keys: list[str], expires: float
    ) -> None:
        live = self._live_key(user_name)
        pipe.zadd(live, dict.fromkeys(session_keys, expires))
        pipe.expire(live, int(self._ttl) + 1)
        # GT: never shorten the entry another process's session keeps alive for longer.
        pipe.zadd(self._users_key, {user_name: expires}, gt=True)
        # The set outlives its entries only while some process keeps renewing it: once every
        # process is gone, so is the key (a test run's prefix leaves nothing behind).
        pipe.expire(self._users_key, int(self._ttl) + 1)

    async def _disconnected(self, user_name: str, session_key: str, now: float) -> None:
        await self._disconnect(
            keys=[self._live_key(user_name), self._users_key],
            args=[session_key, now, user_name],
        )

    async def start(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat_forever(), name="presence")

    async def stop(self) -> None:
        await cancel_and_wait(self._heartbeat)
        self._heartbeat = None
        await self._redis.aclose()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(min(HEARTBEAT_SECONDS, self._ttl / 3))  # the heartbeat period
            try:
                await self.refresh()
            except (RedisError, OSError) as error:
                logger.warning("presence heartbeat failed: %r", error)

    async def refresh(self) -> None:
        """Extend every local session's entry (and re-add it after a Redis restart), and drop
        users whose entries expired: those of a process that died without saying goodbye."""
        now = time.time()
        expires = now + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_name, keys in self._local.local_sessions().items():
                pipe.zadd(self._key(user_name), dict.fromkeys(keys, expires))
                pipe.expire(self._key(user_name), int(self._ttl) + 1)
            for user_name, keys in self._local.connected_sessions().items():
                self._queue_connected(pipe, user_name, list(keys), expires)
            pipe.zremrangebyscore(self._users_key, "-inf", now)
            await pipe.execute()
