"""No ghost users: a client that goes while its join is still running is not left online.

Every way of coming online (a Socket.IO `join`, a seed console's first line, a Flet tab's name or
restored identity) has one matching way of going, whichever of the join and the disconnect ends
first. To make the disconnect land mid-join every time, the test holds SQLite's write lock (as a
busy database would): the join waits inside `ChatService.join` while the client drops, and goes on
once the server has handled the disconnect. What is checked is what users see: presence events
and `/who` over Socket.IO, the member list and the leave notice in a browser tab.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio

from flet_chat.testing.flet_client import FletClient
from flet_chat.testing.services import REDIS_URL, delete_redis_prefix, unique_redis_prefix
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client

pytestmark = pytest.mark.integration

GRACE = {"FLET_CHAT_LEAVE_GRACE_SECONDS": "0.5"}
# Flet's line for a disconnect it handled carries the session id, which resumes a session: the
# server logs it only at DEBUG. These tests read it to know the server saw the tab go.
FLET_GRACE = {**GRACE, "FLET_CHAT_LOG_LEVEL": "DEBUG"}
# Longer than the grace, and than the shortest Redis presence TTL (3 s): a ghost the heartbeat
# keeps alive is still online at the deadline, one that merely expires is not.
DEADLINE = 10.0
IDENTITY_KEY = "flet_chat.identity"


async def poll(condition: Callable[[], Any], *, what: str, timeout: float = DEADLINE) -> Any:
    """Poll a condition on the server (its health counts, its log) with a deadline."""
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(condition)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return result


@asynccontextmanager
async def writes_held(server: ServerProcess) -> AsyncIterator[Callable[[], None]]:
    """Hold the database's write lock (reads go on: SQLite runs in WAL mode) until `release()`.
    The server's writes wait for it (busy timeout 30 s) instead of failing."""
    db = sqlite3.connect(
        server.data_dir / "chat.db", isolation_level=None, timeout=30, check_same_thread=False
    )
    await asyncio.to_thread(db.execute, "BEGIN IMMEDIATE")
    held = True

    def release() -> None:
        nonlocal held
        if held:
            db.execute("ROLLBACK")
            held = False

    try:
        yield release
    finally:
        release()
        db.close()


def presence_of(client: RecordingClient, prefix: str) -> dict[str, bool]:
    """Each user whose name starts with `prefix`, online or not by the last event heard."""
    last: dict[str, bool] = {}
    for event in client.received("presence"):
        if event["user_name"].startswith(prefix):
            last[event["user_name"]] = event["online"]
    return last


async def all_offline(watcher: RecordingClient, prefix: str, *, count: int) -> None:
    """Wait until `count` users named `prefix...` were heard of, and each is offline."""

    def settled() -> bool:
        seen = presence_of(watcher, prefix)
        return len(seen) >= count and not any(seen.values())

    try:
        await watcher.wait_for(settled, timeout=DEADLINE)
    except TimeoutError:
        pytest.fail(f"still online by the last presence event: {presence_of(watcher, prefix)}")
    assert len(presence_of(watcher, prefix)) == count


async def who(client: RecordingClient) -> str:
    ack = await client.send("/who")
    assert ack["ok"], ack
    return str(ack["hint"])


def api_clients(server: ServerProcess) -> int:
    return int(server.health()["socketio_clients"])  # type: ignore[call-overload]


@pytest.fixture
def redis_prefix(servers_started: list[ServerProcess]) -> Iterator[str]:
    """A prefix of the test's own, whose keys are deleted once its servers have stopped (a
    running server's heartbeat would write them again)."""
    prefix = unique_redis_prefix()
    yield prefix
    for server in servers_started:
        server.stop()
    asyncio.run(delete_redis_prefix(prefix))


# -- (a) a Socket.IO client that goes before its join is answered --------------------------------


@pytest.mark.parametrize("bus", ["local", "redis"])
async def test_a_client_gone_before_its_join_answer_is_not_left_online(
    server_factory: Callable[..., ServerProcess], redis_prefix: str, bus: str
) -> None:
    env = dict(GRACE)
    if bus == "redis":  # the heartbeat renews this process's sessions every second
        env |= {
            "REDIS_URL": REDIS_URL,
            "FLET_CHAT_REDIS_PREFIX": redis_prefix,
            "FLET_CHAT_PRESENCE_TTL_SECONDS": "3",
        }
    server = server_factory(env=env)
    ghosts = [f"Ghost{i}" for i in range(3)]
    async with sio_client(server) as watcher:
        assert (await watcher.join("Watcher"))["ok"]
        async with writes_held(server) as release:
            for name in ghosts:
                ghost = socketio.AsyncClient(reconnection=False)
                await ghost.connect(server.base_url, transports=["websocket"], wait_timeout=10)
                await ghost.emit("join", {"name": name})  # no waiting for the answer
                # Handlers start in the order sent: once `history` answers, the join is running
                # (and waiting for the database inside ChatService.join).
                assert (await ghost.call("history", {}, timeout=10))["ok"]
                await ghost.disconnect()
            await poll(lambda: api_clients(server) == 1, what="the server to see them go")
            release()
        # Each join completed after its client had gone; each must have been taken back.
        await all_offline(watcher, "Ghost", count=len(ghosts))
        assert await who(watcher) == "Online in #general (1): Watcher"


# -- (b) a seed console that sends three lines at once and goes ---------------------------------


async def test_a_seed_console_sending_lines_at_once_is_one_guest_and_leaves(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory(env=GRACE)
    async with sio_client(server) as watcher:
        assert (await watcher.join("Watcher"))["ok"]
        console = socketio.AsyncClient(reconnection=False)
        await console.connect(server.base_url, transports=["websocket"], wait_timeout=10)
        async with writes_held(server) as release:
            for line in ("one", "two", "three"):
                await console.emit("chat_user_input", line)
            # All three lines are being handled (the first one joining) once this answers.
            assert (await console.call("history", {}, timeout=10))["ok"]
            await console.disconnect()
            await poll(lambda: api_clients(server) == 1, what="the server to see it go")
            release()
        await all_offline(watcher, "console-guest-", count=1)  # one console, one guest
        assert await who(watcher) == "Online in #general (1): Watcher"


# -- (c) a Flet tab that drops while it joins ------------------------------------------------------


class RecordingFletClient(FletClient):
    """Remembers which methods the server called, so a test knows its storage was read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.called: list[str] = []

    def _answer(self, method: str | None, args: dict[str, Any]) -> Any:
        self.called.append(str(method))
        return super()._answer(method, args)


async def drop_while_joining(server: ServerProcess, tab: FletClient) -> None:
    """With the join waiting for the database: make sure the server runs it, close the tab,
    and let the join finish once the server has handled the disconnect."""
    # Events run in the order sent; the answer to this one comes after the join started.
    await tab.type("new_room_input", "x")
    await tab.submit("new_room_input")
    await tab.wait_for(lambda: tab.get("new_room_input").get("error"), what="a round trip")
    await tab.close()
    gone = f"Session disconnected: _{tab.session_id}_"  # Flet's key: _<id>_<client hash>
    await poll(lambda: gone in server.log_text(), what="the server to see the tab go")


async def test_a_tab_that_drops_while_joining_leaves_after_the_grace(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env=FLET_GRACE)
    async with connect(server) as watcher:
        await watcher.join("Watcher")
        ghost = await FletClient(server.ws_url).connect()
        await ghost.wait_for(lambda: ghost.find("name_input"), what="the join dialog")
        async with writes_held(server) as release:
            await ghost.type("name_input", "Ghost")
            await ghost.submit("name_input")
            await drop_while_joining(server, ghost)
            release()
        await watcher.wait_for(
            lambda: (
                has_row(watcher, "Ghost has left the chat.") and watcher.members() == ["Watcher"]
            ),
            timeout=DEADLINE,
            what="Ghost gone",
        )
        assert has_row(watcher, "Ghost has joined the chat.")  # the join did happen


async def test_a_restored_tab_that_drops_while_joining_leaves_after_the_grace(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env=FLET_GRACE)
    browser: dict[str, Any] = {}
    async with connect(server) as watcher:
        await watcher.join("Watcher")
        async with connect(server, storage=browser) as first:
            await first.join("Rita")
            await first.wait_for(lambda: IDENTITY_KEY in browser, what="the identity token")
        await watcher.wait_for(lambda: has_row(watcher, "Rita has left the chat."))
        async with writes_held(server) as release:
            # A new tab of that browser joins as Rita from its token, no dialog.
            tab = await RecordingFletClient(server.ws_url, storage=browser).connect()
            await tab.wait_for(lambda: "get" in tab.called, what="the token read")
            await drop_while_joining(server, tab)
            release()
        await watcher.wait_for(
            lambda: (
                sum("Rita has left the chat." in r for r in watcher.message_rows()) == 2
                and watcher.members() == ["Watcher"]
            ),
            timeout=DEADLINE,
            what="Rita gone again",
        )
        assert sum("Rita has joined the chat." in r for r in watcher.message_rows()) == 2
