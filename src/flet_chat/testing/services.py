"""The machine's PostgreSQL and Redis as tests and the benchmark use them: a fresh database or
channel prefix each time, and a private redis-server that a fault test may kill.

CI (.ci/run) makes sure both services are up; a test that needs one and cannot reach it fails,
it does not skip. FLET_CHAT_TEST_POSTGRES and FLET_CHAT_TEST_REDIS point elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "FLET_CHAT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FLET_CHAT_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def create_postgres_database() -> str:
    """Creates an empty database; returns its SQLAlchemy async URL."""
    name = f"flet_chat_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def unique_redis_prefix() -> str:
    """Channels are shared by every Redis database, so each test gets its own prefix."""
    return f"flet-chat-test-{uuid.uuid4().hex[:12]}"


async def delete_redis_prefix(prefix: str, url: str = REDIS_URL) -> None:
    """Remove every key a test wrote under its prefix (once nothing writes them any more)."""
    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that a fault test may stop and restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)  # polling a readiness probe
        raise TimeoutError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as abrupt as a crash: nothing is flushed to clients
            self.process.wait(timeout=10)
            self.process = None
