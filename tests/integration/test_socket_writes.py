"""Frames written straight to the socket when the send loop is idle (socket_writes.py), through
a real uvicorn server and a real websocket: the client gets every frame in order, whether it
went straight or through the queue (the socket's buffer full for a while sends the rest through
the queue)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import flet as ft
import pytest
import uvicorn
from flet_web.fastapi import app_manager
from starlette.websockets import WebSocket

from flet_chat import flet_compat, socket_writes
from flet_chat.flet_compat import LeakSafeFletApp, install_send_queue
from flet_chat.testing.flet_client import FletClient

LINES = 40
FULL_FROM, FULL_UNTIL = 10, 20  # the socket's buffer is "full" for these lines


def _lines_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("line ") else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [line for item in value for line in _lines_in(item)]
    return []


async def run_session(
    monkeypatch: pytest.MonkeyPatch, *, deflate: bool
) -> tuple[list[str], list[bool], list[bool]]:
    install_send_queue()
    outcomes: list[bool] = []
    compressed: list[bool] = []  # whether the connection had an extension (permessage-deflate)
    write_now = socket_writes.write_now

    def counted(protocol: Any, frame: bytes) -> bool:
        outcomes.append(write_now(protocol, frame))
        return outcomes[-1]

    monkeypatch.setattr(flet_compat, "write_now", counted)

    async def main(page: ft.Page) -> None:
        protocol = page.session.connection._protocol
        compressed.append(bool(protocol.conn.extensions))
        for i in range(LINES):
            if i == FULL_FROM:
                protocol.writable.clear()  # as uvicorn's pause_writing does
            if i == FULL_UNTIL:
                protocol.writable.set()  # resume_writing
            page.add(ft.Text(f"line {i}"))
            if i % 5 == 0:
                await asyncio.sleep(0)  # the send loop gets its turn now and then

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await LeakSafeFletApp(
                loop=asyncio.get_running_loop(),
                executor=app_manager.executor,
                main=main,
                before_main=None,
            ).handle(WebSocket(scope, receive, send))

    arrived: list[str] = []  # the lines in the order their frames reached the client
    listening = socket.socket()  # listening before the server starts: no wait for it
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            ws="websockets-sansio",
            ws_per_message_deflate=deflate,
            lifespan="off",
            log_level="warning",
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        client = FletClient(f"ws://127.0.0.1:{port}/ws")
        client.on_patch = lambda patch: arrived.extend(_lines_in(patch))
        await client.connect()

        def lines() -> list[str]:
            return [c.get("value", "") for c in client.walk() if c.get("_c") == "Text"]

        await client.wait_for(lambda: len(lines()) == LINES, timeout=20, what="every line")
        assert lines() == [f"line {i}" for i in range(LINES)]
        got = list(arrived)
        await client.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 20)
        listening.close()
    return got, outcomes, compressed


# Without compression (as `flet-chat serve` runs) the frame's header is made by write_now; with
# it, websockets frames and compresses each frame.
@pytest.mark.parametrize("deflate", [False, True], ids=["uncompressed", "compressed"])
async def test_every_frame_arrives_in_order_straight_or_queued(
    monkeypatch: pytest.MonkeyPatch, deflate: bool
) -> None:
    got, outcomes, compressed = await run_session(monkeypatch, deflate=deflate)
    assert compressed == [deflate]
    assert got == [f"line {i}" for i in range(LINES)]
    assert outcomes.count(True) >= LINES - (FULL_UNTIL - FULL_FROM) - 5  # most went straight
    assert False in outcomes  # while "full", the protocol refused and the queue took them
