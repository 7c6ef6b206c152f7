"""Acknowledged means stored: a server killed with SIGKILL while clients send loses none of the
messages it acknowledged, and stores none twice, once it is started again on the same data.

The store commits before the service publishes and before the API acknowledges (ChatService:
validate, store, publish), and SQLite (WAL) keeps every committed transaction when the process
dies. Sends in flight at the kill may or may not be stored; nothing is asserted about them but
that they are not doubled.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import socketio

from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

WRITERS = 6
KILL_AFTER_ACKS = 80  # about 1.5 s of sending: a burst of 10 each, then 2 a second each
DEADLINE = 20.0


async def connected_client(server: ServerProcess) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server.base_url, transports=["websocket"], wait_timeout=10)
    return client


async def write_until_stopped(client: socketio.AsyncClient, name: str, acked: list[str]) -> None:
    """Send numbered lines, one at a time, each with a client id; keep the acknowledged ones."""
    for n in range(10_000):
        text = f"{name} line {n}"
        ack = await client.call("send", {"text": text, "client_id": f"{name}-{n}"}, timeout=30)
        if ack["ok"]:
            acked.append(text)
        elif ack["error"]["code"] == "rate_limited":
            await asyncio.sleep(0.1)  # a client backing off as asked, not synchronisation
        else:
            raise AssertionError(f"send refused: {ack}")


async def all_texts(server: ServerProcess) -> list[str]:
    """Every chat line of #general, paging back through history as a client does."""
    reader = await connected_client(server)
    try:
        texts: list[str] = []
        request: dict[str, Any] = {}
        while True:
            page = await reader.call("history", request, timeout=10)
            assert page["ok"], page
            texts += [m["text"] for m in page["messages"] if m["kind"] == "chat"]
            if not page["has_older"]:
                return texts
            request = {"before": min(m["id"] for m in page["messages"])}
    finally:
        await reader.disconnect()


async def test_acknowledged_messages_survive_a_sigkill(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory()
    clients = [await connected_client(server) for _ in range(WRITERS)]
    acked: list[str] = []
    for i, client in enumerate(clients):
        joined = await client.call("join", {"name": f"Writer{i}"}, timeout=10)
        assert joined["ok"], joined
    writers = [
        asyncio.create_task(write_until_stopped(c, f"Writer{i}", acked))
        for i, c in enumerate(clients)
    ]
    deadline = time.monotonic() + DEADLINE
    while len(acked) < KILL_AFTER_ACKS:  # every writer has a send in flight meanwhile
        assert time.monotonic() < deadline, f"only {len(acked)} sends acknowledged"
        assert not any(w.done() for w in writers), [w.exception() for w in writers if w.done()]
        await asyncio.sleep(0.02)
    assert server.kill() == -9
    # No answer can come from a dead process: what was acknowledged is known now.
    acknowledged = list(acked)
    for writer in writers:
        writer.cancel()
    await asyncio.gather(*writers, return_exceptions=True)
    for client in clients:
        await client.disconnect()

    restarted = server_factory(data_dir=server.data_dir, name="restarted")
    texts = await all_texts(restarted)
    found = Counter(texts)
    lost = [t for t in acknowledged if t not in found]
    doubled = [t for t, n in found.items() if n > 1]
    print(  # the numbers for the record: pytest -s shows them
        f"\nacknowledged {len(acknowledged)}, stored {len(texts)} "
        f"({len(texts) - len(acknowledged)} unacknowledged in flight), "
        f"lost {len(lost)}, doubled {len(doubled)}"
    )
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged messages lost: {lost[:5]}"
    assert not doubled, f"stored twice: {doubled[:5]}"
    # Nothing was stored that nobody sent, and no more than one in-flight send per writer.
    assert set(found) >= set(acknowledged)
    assert len(texts) - len(acknowledged) <= WRITERS
