"""Several server processes, one chat: PostgreSQL for storage, Redis for the bus."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from flet_chat.testing.flet_client import FletClient
from flet_chat.testing.services import (
    REDIS_URL,
    PrivateRedis,
    unique_redis_prefix,
)
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess, free_port
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis(free_port()).start()
    yield redis
    redis.stop()


def cluster_env(postgres_url: str, redis_url: str = REDIS_URL) -> dict[str, str]:
    return {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "FLET_CHAT_REDIS_PREFIX": unique_redis_prefix(),
    }


async def test_two_processes_on_two_ports_are_one_chat(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = cluster_env(postgres_url)
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    assert a.health()["bus"] == b.health()["bus"] == "redis"
    async with connect(a) as alice, connect(b) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.wait_for(lambda: has_row(alice, "Bob has joined the chat."))
        # Each sees both in the member list, whichever process the other is on.
        for client in (alice, bob):
            await client.wait_for(
                lambda c=client: c.members() == ["Alice", "Bob"], timeout=5, what="members"
            )
        await alice.send("hello from process A")
        await bob.wait_for(lambda: has_row(bob, "hello from process A"))
        await bob.send("and back from B")
        for client in (alice, bob):
            await client.wait_for(lambda c=client: has_row(c, "and back from B"))
        # Same rows, same order, nothing doubled, on both processes.
        assert alice.message_rows() == bob.message_rows()
        assert sum("hello from process A" in r for r in bob.message_rows()) == 1
    # A newcomer on either process reads the same history from PostgreSQL.
    async with connect(b) as carol:
        await carol.wait_for(lambda: has_row(carol, "and back from B"), what="history")
        assert any("hello from process A" in r for r in carol.message_rows())


async def test_presence_and_typing_cross_processes(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = cluster_env(postgres_url)
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    alice_browser: dict[str, object] = {}
    async with connect(a, storage=alice_browser) as alice, connect(b) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        for client in (alice, bob):
            await client.wait_for(lambda c=client: c.members() == ["Alice", "Bob"], timeout=5)

        await alice.type("message_input", "hello", change=True)
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Alice is typing...", timeout=5)
        await alice.submit("message_input")
        await bob.wait_for(lambda: has_row(bob, "| hello"))
        await bob.wait_for(lambda: bob.value("typing_indicator") == "", what="typing cleared")

        # A second tab of Alice's on the other process: still one Alice.
        async with connect(b, storage=alice_browser) as alice_on_b:
            await alice_on_b.wait_for(lambda: alice_on_b.members() == ["Alice", "Bob"])
            assert not alice_on_b.dialog_open()
        assert alice.members() == ["Alice", "Bob"]
        await bob.close()  # Bob's tab closes: gone from the list on the other process too
        await alice.wait_for(lambda: alice.members() == ["Alice"], timeout=5, what="Bob gone")


async def test_users_of_a_process_that_died_leave_the_member_list(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = {**cluster_env(postgres_url), "FLET_CHAT_PRESENCE_TTL_SECONDS": "3"}
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with connect(a) as alice, connect(b) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.wait_for(lambda: alice.members() == ["Alice", "Bob"], timeout=5)
        assert b.process is not None
        b.process.kill()  # no goodbye: no leave, no disconnect handler, no heartbeat
        died = time.monotonic()
        # Within the TTL (3 s) plus the cache's 5 s re-read, and some slack for a busy machine.
        await alice.wait_for(lambda: alice.members() == ["Alice"], timeout=12, what="Bob gone")
        assert time.monotonic() - died >= 1.0  # it was the expiry, not a goodbye
        assert not has_row(alice, "Bob has left the chat.")


async def test_socketio_on_one_process_and_a_browser_on_another(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = cluster_env(postgres_url)
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with sio_client(a) as bot_side, connect(b) as alice:
        assert (await bot_side.join("Sock"))["ok"]
        await alice.join("Alice")
        # Alice's join on B reaches the Socket.IO client on A through Redis, as an event.
        await bot_side.wait_for(
            lambda: any(p["user_name"] == "Alice" for p in bot_side.received("presence")),
            what="Alice's presence on the other process",
        )
        await alice.send("from the browser on B")
        await bot_side.wait_for(lambda: "from the browser on B" in bot_side.texts())
        await bot_side.send("from Socket.IO on A")
        await alice.wait_for(lambda: has_row(alice, "from Socket.IO on A"))
        await bot_side.send("/roll 1d20")
        await alice.wait_for(lambda: has_row(alice, "Helper | BOT |"), what="the bot on A")
        # Each message once, for the Socket.IO client too.
        assert bot_side.texts().count("from the browser on B") == 1
        await bot_side.sio.disconnect()
        await alice.wait_for(lambda: has_row(alice, "Sock has left the chat."), what="leave")


async def test_workers_share_one_port(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env=cluster_env(postgres_url), args=["--workers", "2"])
    clients = [await FletClient(server.ws_url).connect() for _ in range(6)]
    try:
        for i, client in enumerate(clients):
            await client.join(f"user{i}")
        for i, client in enumerate(clients):
            await client.send(f"message {i} from user{i}")
        for client in clients:
            for i in range(6):
                await client.wait_for(lambda c=client, n=i: has_row(c, f"message {n} from"))
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    assert server.stop() == 0


def test_workers_without_redis_are_refused_with_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flet_chat", "serve", "--workers", "2", "--port", "1"],
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--workers above 1 needs REDIS_URL" in result.stderr


async def test_redis_outage_loses_nothing(
    postgres_url: str,
    private_redis: PrivateRedis,
    server_factory: Callable[..., ServerProcess],
    connect: Connect,
) -> None:
    env = cluster_env(postgres_url, private_redis.url)
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with connect(a) as alice, connect(b) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.wait_for(lambda: has_row(alice, "Bob has joined the chat."))

        private_redis.stop()
        await asyncio.to_thread(_wait_for_bus, a, "redis-reconnecting")
        # Stored, and shown to the sender's own process, while Redis is down.
        for i in range(3):
            await alice.send(f"during the outage {i}")
        await alice.wait_for(lambda: has_row(alice, "during the outage 2"))
        assert not has_row(bob, "during the outage 0")

        private_redis.start()
        # B reconnects within its 2 s backoff and fills the gap from PostgreSQL.
        await bob.wait_for(lambda: has_row(bob, "during the outage 2"), timeout=5)
        await asyncio.to_thread(_wait_for_bus, a, "redis")
        await bob.send("after the outage")
        # The composer clears once the message is stored; the row comes on the bus after.
        for client in (alice, bob):
            await client.wait_for(lambda c=client: has_row(c, "after the outage"))
        for client in (alice, bob):
            rows = client.message_rows()
            for i in range(3):
                assert sum(f"during the outage {i}" in r for r in rows) == 1
        assert alice.message_rows() == bob.message_rows()


async def test_clients_killed_mid_broadcast_across_processes_leave_nothing_behind(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = {
        **cluster_env(postgres_url),
        "FLET_SESSION_TIMEOUT": "1",
        "FLET_CHAT_LEAVE_GRACE_SECONDS": "0",
    }
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with connect(a) as talker:
        await talker.join("Talker")
        victims = [await FletClient(b.ws_url).connect() for _ in range(8)]
        for victim in victims:
            await victim.wait_for(lambda v=victim: v.find("message_list"))

        async def talk() -> None:
            for i in range(8):
                await talker.send(f"broadcast {i} " + "z" * 3000)

        talking = asyncio.create_task(talk())
        await victims[0].wait_for(lambda: has_row(victims[0], "broadcast 1 "), timeout=20)
        for victim in victims[:4]:
            victim.abort()
        await asyncio.gather(*(victim.close() for victim in victims[4:]))
        await talking
        health = await asyncio.to_thread(_wait_for, b, "flet_sessions", 0)
        assert health["sessions"] == 0
        assert health["pubsub_subscribers"] == 0
        assert a.health()["flet_sessions"] == 1


def _wait_for_bus(server: ServerProcess, state: str, timeout: float = 10) -> None:
    _wait_for(server, "bus", state, timeout)


def _wait_for(
    server: ServerProcess, field: str, expected: object, timeout: float = 40
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = server.health()
        if health[field] == expected:
            return health
        time.sleep(0.2)  # polling the server's own report
    raise AssertionError(f"{field} never became {expected!r}: {server.health()}")
