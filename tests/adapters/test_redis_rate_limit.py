"""RedisRateLimiter against real Redis: buckets shared between processes, expiring keys, and the
fall back to per-process buckets while Redis is away."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from flet_chat.bus.redis_rate_limit import RedisRateLimiter
from flet_chat.core.errors import RateLimitedError
from flet_chat.core.rate_limit import Action, Budget, Charge, Origin, RateLimits, Rule, Scope
from flet_chat.testing.services import (
    REDIS_URL,
    PrivateRedis,
    delete_redis_prefix,
    unique_redis_prefix,
)
from tests.support.server import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = unique_redis_prefix()
    yield prefix
    await delete_redis_prefix(prefix)


async def test_two_processes_share_one_bucket_and_keys_expire(prefix: str) -> None:
    clock = Clock()
    first = RedisRateLimiter(REDIS_URL, prefix, clock=clock)
    second = RedisRateLimiter(REDIS_URL, prefix, clock=clock)
    redis = Redis.from_url(REDIS_URL)
    try:
        charge = [Charge("message:user:ann", Budget(4, 2.0))]
        taken = [await limiter.take(charge) for limiter in (first, second) * 3]
        assert taken == [True, True, True, True, False, False]
        clock.now += 0.5  # one token back, on whichever process asks
        assert await second.take(charge)
        assert not await first.take(charge)
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        assert keys == [f"{prefix}:rl:message:user:ann".encode()]
        # Empty: it expires once it would be full again (2 s) plus a margin, not never.
        assert 0 < await redis.pttl(keys[0]) <= 3_000
    finally:
        await redis.aclose()
        await first.close()
        await second.close()


async def test_a_refusal_takes_nothing_from_the_other_buckets(prefix: str) -> None:
    limiter = RedisRateLimiter(REDIS_URL, prefix, clock=Clock())
    try:
        small, big = Charge("small", Budget(1, 0.001)), Charge("big", Budget(3, 0.001))
        assert await limiter.take([small, big])
        assert not await limiter.take([small, big])
        assert [await limiter.take([big]) for _ in range(3)] == [True, True, False]
    finally:
        await limiter.close()


async def test_redis_clock_is_used_when_none_is_given(prefix: str) -> None:
    budgets = {Action.JOIN: (Rule(Scope.IP, Budget(3, 0.001)),)}
    limits = RateLimits(RedisRateLimiter(REDIS_URL, prefix), budgets)
    try:
        for _ in range(3):
            await limits.spend(Action.JOIN, None, Origin("203.0.113.5"))
        with pytest.raises(RateLimitedError, match="Too many joins"):
            await limits.spend(Action.JOIN, None, Origin("203.0.113.5"))
    finally:
        assert isinstance(limits.limiter, RedisRateLimiter)
        await limits.limiter.close()


async def test_without_redis_it_limits_per_process_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = PrivateRedis(free_port()).start()
    limiter = RedisRateLimiter(server.url, unique_redis_prefix(), retry_seconds=0)
    charge = [Charge("message:user:ann", Budget(2, 0.001))]
    try:
        assert await limiter.take(charge)  # in Redis
        server.stop()
        with caplog.at_level(logging.WARNING, logger="flet_chat.bus.redis_rate_limit"):
            # Redis is gone: a fresh per-process bucket, still a limit.
            assert [await limiter.take(charge) for _ in range(3)] == [True, True, False]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1  # once per outage, not per message
        assert "unreachable for rate limits" in warnings[0]
        server.start()  # an empty Redis: its buckets start full again
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="flet_chat.bus.redis_rate_limit"):
            assert [await limiter.take(charge) for _ in range(3)] == [True, True, False]
        assert ["Redis is back" in r.getMessage() for r in caplog.records] == [True]
    finally:
        await limiter.close()
        server.stop()
