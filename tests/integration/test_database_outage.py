"""PostgreSQL goes away under a user who is sending: nothing lost, nothing doubled, and the user
sees what is happening."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from flet_chat.testing.flet_client import FletClient
from flet_chat.testing.services import create_postgres_database, drop_postgres_database
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

RETRYING = "Not sent yet: retrying..."
FAILED = "Could not send the message. Check your connection and try again."


@pytest.fixture
async def database() -> AsyncIterator[tuple[str, TcpProxy]]:
    """A fresh PostgreSQL database, and a proxy in front of it that the test can cut."""
    url = await create_postgres_database()
    target = make_url(url)
    proxy = await TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    yield target.set(port=proxy.port).render_as_string(hide_password=False), proxy
    await proxy.cut()
    await drop_postgres_database(url)


async def stored_count(proxied_url: str, proxy: TcpProxy, text: str) -> int:
    url = make_url(proxied_url).set(drivername="postgresql", port=proxy.target[1])
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM messages WHERE text = $1", text))
    finally:
        await conn.close()


async def type_and_enter(client: FletClient, text: str) -> None:
    await client.type("message_input", text)
    await client.submit("message_input")


async def test_a_send_during_an_outage_retries_and_is_stored_once(
    server_factory: Callable[..., ServerProcess],
    connect: Connect,
    database: tuple[str, TcpProxy],
) -> None:
    url, proxy = database
    # In a thread: the proxy runs on this test's event loop and must serve the migrations.
    server = await asyncio.to_thread(server_factory, env={"DATABASE_URL": url})
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        await proxy.cut()  # PostgreSQL is gone: open connections drop, new ones are refused

        await type_and_enter(alice, "sent during the outage")
        field = alice.get("message_input")
        await alice.wait_for(lambda: field.get("helper") == RETRYING, what="retrying state")
        assert field.get("value") == "sent during the outage"  # kept while it is not stored
        assert not has_row(bob, "sent during the outage")

        await proxy.restore()
        await bob.wait_for(lambda: has_row(bob, "sent during the outage"), timeout=20)
        await alice.wait_for(lambda: field.get("value") == "", what="composer cleared")
        assert not field.get("helper")
        assert not field.get("error")
    assert await stored_count(url, proxy, "sent during the outage") == 1


async def test_a_send_that_outlasts_the_retries_is_reported_and_kept(
    server_factory: Callable[..., ServerProcess],
    connect: Connect,
    database: tuple[str, TcpProxy],
) -> None:
    url, proxy = database
    # In a thread: the proxy runs on this test's event loop and must serve the migrations.
    server = await asyncio.to_thread(server_factory, env={"DATABASE_URL": url})
    async with connect(server) as alice:
        await alice.join("Alice")
        await proxy.cut()
        await type_and_enter(alice, "not sent")
        field = alice.get("message_input")
        await alice.wait_for(lambda: field.get("error") == FAILED, timeout=30, what="failure")
        assert field.get("value") == "not sent"  # nothing the user wrote is lost
        assert not has_row(alice, "not sent")

        await proxy.restore()
        await asyncio.to_thread(server.wait_healthy, 30)
        await alice.submit("message_input")  # the user presses Enter again
        await alice.wait_for(lambda: has_row(alice, "not sent"), timeout=20)
    assert await stored_count(url, proxy, "not sent") == 1
