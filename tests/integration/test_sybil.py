"""Sybil attacks against a real server: made-up names must not buy fresh budgets.

Every client here connects from 127.0.0.1, so they share one IP budget unless a trusted proxy
(FORWARDED_ALLOW_IPS, 127.0.0.1 by default) says otherwise.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from flet_chat.core.limits import (
    IP_MESSAGE_BUDGET,
    IP_ROOM_BUDGET,
    IP_WEBHOOK_BUDGET,
    RATE_BURST,
    RATE_PER_SECOND,
    ROOMS_PER_USER_PER_DAY,
    WEBHOOK_BUDGET,
)
from flet_chat.testing.services import REDIS_URL, unique_redis_prefix
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client

pytestmark = pytest.mark.integration

TOKEN = "hook-token-sybil"


@asynccontextmanager
async def sybils(
    server: ServerProcess, count: int, headers: Callable[[int], Mapping[str, str]] | None = None
) -> AsyncIterator[list[RecordingClient]]:
    """`count` Socket.IO clients, each joined under a fresh name."""
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                sio_client(server, headers=headers(i) if headers else None)
            )
            for i in range(count)
        ]
        for i, client in enumerate(clients):
            ack = await client.join(f"sybil{i}")
            assert ack["ok"], ack
        yield clients


async def flood(clients: list[RecordingClient], per_client: int) -> tuple[list[Any], float]:
    """Every client sends `per_client` messages at once; the acks and how long it took."""
    started = time.monotonic()
    acks = await asyncio.gather(
        *(c.send(f"flood {i}-{n}") for i, c in enumerate(clients) for n in range(per_client))
    )
    return list(acks), time.monotonic() - started


def codes(acks: list[Any]) -> list[str]:
    return ["ok" if a["ok"] else a["error"]["code"] for a in acks]


async def test_ten_fresh_names_from_one_ip_cannot_send_a_hundred_messages(
    server: ServerProcess,
) -> None:
    async with sybils(server, 10) as clients:
        # Each name is within its own burst (10 x 10): only the IP's budget can refuse.
        acks, elapsed = await flood(clients, RATE_BURST)
    burst, rate = IP_MESSAGE_BUDGET
    results = codes(acks)
    assert set(results) <= {"ok", "rate_limited"}
    assert results.count("ok") <= burst + rate * elapsed + 1, (results.count("ok"), elapsed)
    assert results.count("rate_limited") >= 50  # most of the hundred
    refused = next(a for a in acks if not a["ok"])
    assert refused["error"]["message"] == "You are sending messages too fast. Wait a moment."


async def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
    server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    def forwarded(i: int) -> dict[str, str]:
        return {"X-Forwarded-For": f"198.51.100.{i + 1}"}

    # 127.0.0.1 is a trusted proxy by default: ten people behind it, ten budgets.
    trusting = server_factory(name="trusting", data_dir=tmp_path / "trusting")
    async with sybils(trusting, 10, forwarded) as clients:
        acks, _ = await flood(clients, RATE_BURST)
    assert codes(acks).count("ok") == 100
    # A header from a client that is not a trusted proxy is ignored: still one address.
    wary = server_factory(
        name="wary", data_dir=tmp_path / "wary", env={"FORWARDED_ALLOW_IPS": "192.0.2.1"}
    )
    async with sybils(wary, 10, forwarded) as clients:
        acks, elapsed = await flood(clients, RATE_BURST)
    assert codes(acks).count("ok") <= IP_MESSAGE_BUDGET[0] + IP_MESSAGE_BUDGET[1] * elapsed + 1


async def test_behind_fly_the_proxys_client_ip_header_wins_over_a_forged_forwarded_for(
    server_factory: Callable[..., ServerProcess],
) -> None:
    """fly.toml trusts every forwarder (only Fly's proxy reaches the machine), and with `*`
    uvicorn takes the leftmost X-Forwarded-For entry: the client's own. Fly-Client-IP, which the
    proxy sets, names the client instead, so forged entries buy no budgets."""
    fly = server_factory(
        env={"FORWARDED_ALLOW_IPS": "*", "FLET_CHAT_CLIENT_IP_HEADER": "Fly-Client-IP"}
    )

    def forged(i: int) -> dict[str, str]:
        return {"X-Forwarded-For": f"198.51.100.{i + 1}", "Fly-Client-IP": "203.0.113.7"}

    async with sybils(fly, 10, forged) as clients:
        acks, elapsed = await flood(clients, RATE_BURST)
    burst, rate = IP_MESSAGE_BUDGET
    assert codes(acks).count("ok") <= burst + rate * elapsed + 1


async def test_trying_names_on_one_connection_runs_out_of_joins(server: ServerProcess) -> None:
    async with sio_client(server) as owner:
        assert (await owner.join("Owner"))["ok"]
    async with sio_client(server) as guesser:
        answers = [await guesser.join("Owner") for _ in range(15)]
    assert {a["error"]["code"] for a in answers[:10]} == {"name_taken"}
    assert answers[-1]["error"] == {
        "code": "rate_limited",
        "message": "Too many joins from your connection or network. Wait a minute and try again.",
    }


async def test_six_names_cannot_make_thirty_rooms(server: ServerProcess) -> None:
    async with sybils(server, 6) as clients:
        acks = await asyncio.gather(
            *(
                c.call("create_room", {"name": f"spam-{i}-{n}"})
                for n in range(5)
                for i, c in enumerate(clients)
            )
        )
        rooms = await clients[0].call("rooms")
    results = codes(list(acks))
    assert results.count("ok") <= IP_ROOM_BUDGET[0], results
    assert "rate_limited" in results
    assert len(rooms["public"]) <= IP_ROOM_BUDGET[0] + 1  # and #general


async def test_room_creation_beyond_the_daily_cap_is_refused(server: ServerProcess) -> None:
    # Rooms Mallory made today (and two days ago, which no longer count), as the server stored
    # them: the cap is counted in the database, whichever process made them.
    now = datetime.now(UTC)
    made = [(f"old-{i}", now - timedelta(days=2)) for i in range(5)]
    made += [
        (f"today-{i}", now - timedelta(hours=i + 1)) for i in range(ROOMS_PER_USER_PER_DAY - 1)
    ]
    with sqlite3.connect(server.data_dir / "chat.db") as db:
        db.executemany(
            "INSERT INTO rooms (key, kind, created_by, created_at) VALUES (?, 'public', ?, ?)",
            [(key, "Mallory", at.strftime("%Y-%m-%d %H:%M:%S.%f")) for key, at in made],
        )
    async with sio_client(server) as mallory:
        assert (await mallory.join("Mallory"))["ok"]
        assert (await mallory.call("create_room", {"name": "the-tenth"}))["ok"]
        refused = await mallory.call("create_room", {"name": "the-eleventh"})
        rooms = await mallory.call("rooms")
    assert refused["error"] == {
        "code": "rate_limited",
        "message": f"You can create at most {ROOMS_PER_USER_PER_DAY} rooms a day."
        " Join an existing room, or try again tomorrow.",
    }
    assert "the-eleventh" not in {r["key"] for r in rooms["public"]}


async def test_a_direct_conversation_with_a_name_nobody_has_is_refused(
    server: ServerProcess,
) -> None:
    async with sybils(server, 1) as (alice,):
        refused = await alice.call("open_direct", {"user_name": "Ghost"})
        rooms = await alice.call("rooms")
    assert refused["error"] == {"code": "invalid", "message": "There is nobody called Ghost here."}
    assert [r["key"] for r in rooms["rooms"]] == ["general"]


def test_a_webhook_rotating_its_name_is_limited(
    server_factory: Callable[..., ServerProcess],
) -> None:
    hooked = server_factory(env={"FLET_CHAT_WEBHOOK_TOKEN": TOKEN})
    started = time.monotonic()
    with httpx.Client(base_url=hooked.base_url, timeout=10) as http:
        statuses = [
            http.post(
                "/api/rooms/general/messages",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={"text": f"ping {i}", "name": f"Hook{i}"},  # a fresh name every time
            ).status_code
            for i in range(2 * WEBHOOK_BUDGET[0])
        ]
    elapsed = time.monotonic() - started
    assert set(statuses) == {201, 429}
    assert statuses.count(201) <= WEBHOOK_BUDGET[0] + WEBHOOK_BUDGET[1] * elapsed + 1


def test_guessing_the_webhook_token_is_limited_and_locks_out_no_integration(
    server_factory: Callable[..., ServerProcess],
) -> None:
    hooked = server_factory(env={"FLET_CHAT_WEBHOOK_TOKEN": TOKEN})
    with httpx.Client(base_url=hooked.base_url, timeout=10) as http:
        guesses = [
            http.post(
                "/api/rooms/general/messages",
                headers={"Authorization": f"Bearer guess-{i:012d}"},
                json={"text": "let me in"},
            ).status_code
            for i in range(2 * IP_WEBHOOK_BUDGET[0])
        ]
        assert set(guesses) == {401, 429}  # guessing runs out
        real = http.post(
            "/api/rooms/general/messages",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"text": "deploy done", "name": "CI"},
        )
    assert real.status_code == 201, real.text  # from the same address, still served


async def test_two_processes_share_one_users_budget(
    postgres_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "FLET_CHAT_REDIS_PREFIX": unique_redis_prefix(),
    }
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with sio_client(a) as on_a, sio_client(b) as on_b:
        assert (await on_a.join("Twin"))["ok"]
        assert (await on_b.join("Twin", token=on_a.token))["ok"]  # the same user, proven
        started = time.monotonic()
        acks = [await (on_a, on_b)[n % 2].send(f"twin {n}") for n in range(2 * RATE_BURST)]
        elapsed = time.monotonic() - started
    results = codes(acks)
    # One bucket for both processes: not a burst on each.
    assert results.count("ok") <= RATE_BURST + RATE_PER_SECOND * elapsed + 1, (results, elapsed)
    assert "rate_limited" in results
