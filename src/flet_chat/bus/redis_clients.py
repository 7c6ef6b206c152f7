"""Redis clients whose commands wait for a pooled connection instead of failing at once.

redis-py's asyncio pool holds at most 100 connections and refuses the next command at once
(`MaxConnectionsError`). In the cluster's restart storm the surviving worker took 500 returning
tabs at once (presence, rate limits, publishes): thousands of commands were refused, presence
fell back to this process's own users and presence events were lost. A blocking pool queues a
command for a free connection for up to `wait` seconds; Redis answers each in well under a
millisecond, so the queue drains while the loop serves the tabs.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

POOL_CONNECTIONS = 64
POOL_WAIT_SECONDS = 5.0


def pooled_client(
    redis_url: str,
    *,
    socket_connect_timeout: float,
    socket_timeout: float,
    max_connections: int = POOL_CONNECTIONS,
    wait: float = POOL_WAIT_SECONDS,
) -> Redis:
    """A client owning a blocking pool of `max_connections` (closed with the client)."""
    pool = BlockingConnectionPool.from_url(
        redis_url,
        max_connections=max_connections,
        timeout=wait,
        socket_connect_timeout=socket_connect_timeout,
        socket_timeout=socket_timeout,
    )
    return Redis.from_pool(pool)
