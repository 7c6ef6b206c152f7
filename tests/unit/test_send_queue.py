"""The send queue Flet's connections get (flet_compat.SendQueue): frames out in the order they
were queued, the send loop woken by the next frame, and a real session's frames all sent."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
from flet_web.fastapi import app_manager

from flet_chat.flet_compat import SendQueue, install_send_queue
from tests.unit.test_append_patch import OpenWebSocket, RecordingFletApp


async def test_frames_come_out_in_the_order_they_went_in() -> None:
    queue = SendQueue()
    queue.put_nowait(b"1")
    await queue.put(b"2")
    assert queue.qsize() == 2
    assert [await queue.get(), await queue.get()] == [b"1", b"2"]
    assert queue.qsize() == 0


async def test_a_waiting_reader_gets_the_next_frame() -> None:
    queue = SendQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)  # the reader is waiting now
    assert not reader.done()
    queue.put_nowait(b"frame")
    assert await asyncio.wait_for(reader, 5) == b"frame"


async def test_a_cancelled_reader_leaves_the_frame_for_the_next() -> None:
    queue = SendQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    queue.put_nowait(b"kept")
    assert await asyncio.wait_for(queue.get(), 5) == b"kept"


async def test_a_long_backlog_drains_in_order_and_is_let_go() -> None:
    queue = SendQueue()
    sent = [i.to_bytes(4, "big") for i in range(5000)]
    out: list[Any] = []
    for i, frame in enumerate(sent):
        queue.put_nowait(frame)
        if i % 3 == 0:  # a slow reader: the backlog grows past the cut
            out.append(await queue.get())
    assert len(queue._frames) < 5000  # what was read was cut from the list
    while queue.qsize():
        out.append(await queue.get())
    assert out == sent
    assert queue._frames == []


class RecordingSocket(OpenWebSocket):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.more = asyncio.Event()

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)
        self.more.set()


async def test_a_sessions_frames_all_reach_its_socket_in_order() -> None:
    install_send_queue()
    install_send_queue()  # idempotent
    socket = RecordingSocket()
    done = asyncio.Event()
    queues: list[Any] = []

    async def main(page: ft.Page) -> None:
        queues.append(app._FletApp__send_queue)
        for i in range(30):
            page.add(ft.Text(f"line {i}"))
        done.set()

    app = RecordingFletApp(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    handler = asyncio.create_task(app.handle(socket))
    await asyncio.wait_for(done.wait(), 20)

    async def drained() -> None:  # the send loop hands the socket what was queued
        while len(socket.sent) < len(app.frames):
            socket.more.clear()
            await socket.more.wait()

    await asyncio.wait_for(drained(), 10)
    socket.closed.set()
    await asyncio.wait_for(handler, 10)
    assert isinstance(queues[0], SendQueue)
    assert len(app.frames) >= 30
    assert socket.sent[: len(app.frames)] == app.frames
