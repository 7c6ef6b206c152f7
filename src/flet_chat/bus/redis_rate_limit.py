"""Rate-limit buckets in Redis, so a budget holds across `--workers` and machines.

Each bucket is a hash `<prefix>:rl:<action>:<scope>:<who>` of its tokens and when they were
counted, changed by one Lua script (all of an action's buckets in one atomic step, on Redis's
clock so machines need not agree on the time) and set to expire once it would be full again.
While Redis is unreachable the limiter falls back to buckets in this process, with a warning:
a chat that keeps working with per-process limits beats one that refuses every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from redis.exceptions import RedisError

from flet_chat.bus.redis_clients import pooled_client
from flet_chat.core.rate_limit import Charge, LocalRateLimiter

logger = logging.getLogger(__name__)

# After a failure, Redis is tried again this long later (not at every message: each try may wait
# for a connect timeout).
RETRY_SECONDS = 5.0

# KEYS: the buckets. ARGV[1]: now in seconds ('' = Redis's clock), then burst and refill per
# second of each bucket. Returns 1 if a token was taken from every bucket, 0 if from none.
_TAKE_SCRIPT = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local tokens = {}
local ok = true
for i, key in ipairs(KEYS) do
  local burst, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 't', 'u')
  local t, u = tonumber(state[1]) or burst, tonumber(state[2]) or now
  t = math.min(burst, t + math.max(0, now - u) * rate)
  tokens[i] = t
  if t < 1 then ok = false end
end
for i, key in ipairs(KEYS) do
  local burst, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local t = tokens[i]
  if ok then t = t - 1 end
  redis.call('HSET', key, 't', tostring(t), 'u', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((burst - t) / rate * 1000) + 1000)
end
if ok then return 1 end
return 0
"""


class RedisRateLimiter:
    def __init__(
        self,
        redis_url: str,
        prefix: str,
        *,
        fallback: LocalRateLimiter | None = None,
        clock: Callable[[], float] | None = None,
        connect_timeout: float = 0.5,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._redis = pooled_client(
            redis_url, socket_connect_timeout=connect_timeout, socket_timeout=2
        )
        self._prefix = f"{prefix}:rl:"
        self._script = self._redis.register_script(_TAKE_SCRIPT)
        self._fallback = fallback or LocalRateLimiter()
        self._clock = clock  # tests only; None: Redis's own clock
        self._retry_seconds = retry_seconds
        self._down_until: float | None = None  # monotonic time of the next try after a failure

    async def take(self, charges: Sequence[Charge]) -> bool:
        if self._down_until is not None and time.monotonic() < self._down_until:
            return await self._fallback.take(charges)
        args: list[str | float] = ["" if self._clock is None else repr(self._clock())]
        for charge in charges:
            args += [repr(charge.budget.burst), repr(charge.budget.per_second)]
        keys = [self._prefix + charge.key for charge in charges]
        try:
            taken = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as error:
            if self._down_until is None:
                logger.warning(
                    "Redis is unreachable for rate limits (%s); limiting per process until it"
                    " is back",
                    type(error).__name__,
                )
            self._down_until = time.monotonic() + self._retry_seconds
            return await self._fallback.take(charges)
        if self._down_until is not None:
            logger.warning("Redis is back: rate limits are shared between processes again")
            self._down_until = None
        return bool(taken)

    async def close(self) -> None:
        await self._redis.aclose()
