"""Presence adapters: which users have a live session, in this process or across processes.

A user is online while any of their sessions is; several tabs count once. `RedisPresence` keeps
one sorted set per user (`<prefix>:online:<name>`) of session keys scored by when they expire,
refreshed by a heartbeat, so sessions of a process that died drop out within `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0


class LocalPresence:
    def __init__(self) -> None:
        self._sessions: dict[str, set[str]] = {}

    async def enter(self, user_name: str, session_key: str) -> bool:
        keys = self._sessions.setdefault(user_name, set())
        was_offline = not keys
        keys.add(session_key)
        return was_offline

    async def leave(self, user_name: str, session_key: str) -> bool:
        keys = self._sessions.get(user_name, set())
        keys.discard(session_key)
        if not keys:
            self._sessions.pop(user_name, None)
            return True
        return False

    def local_sessions(self) -> dict[str, set[str]]:
        return self._sessions

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisPresence:
    """Shared presence; while Redis is away it answers from this process's own sessions."""

    def __init__(self, redis_url: str, prefix: str, *, ttl: float = PRESENCE_TTL_SECONDS) -> None:
        self._redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self._prefix = prefix
        self._ttl = ttl
        self._local = LocalPresence()
        self._heartbeat: asyncio.Task[None] | None = None

    def _key(self, user_name: str) -> str:
        return f"{self._prefix}:online:{user_name}"

    async def enter(self, user_name: str, session_key: str) -> bool:
        locally_offline = await self._local.enter(user_name, session_key)
        key, now = self._key(user_name), time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zcard(key)
                pipe.zadd(key, {session_key: now + self._ttl})
                pipe.expire(key, int(self._ttl) + 1)
                _, others, _, _ = await pipe.execute()
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
        except (RedisError, OSError) as error:
            logger.warning("presence: redis unavailable, answering locally: %r", error)
            return locally_gone
        return int(left) == 0

    async def start(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat_forever(), name="presence")

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
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
        """Extend every local session's entry (and re-add it after a Redis restart)."""
        sessions = self._local.local_sessions()
        if not sessions:
            return
        expires = time.time() + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_name, keys in sessions.items():
                pipe.zadd(self._key(user_name), dict.fromkeys(keys, expires))
                pipe.expire(self._key(user_name), int(self._ttl) + 1)
            await pipe.execute()
