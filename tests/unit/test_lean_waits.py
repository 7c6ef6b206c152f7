"""asyncio's waits without their deques (lean_waits.py). The queue Flet's connections and
uvicorn's websockets get: items out in the order they were queued, the reader woken by the next
one, a real session's frames all sent. The event Flet's sessions and pages and uvicorn's
websockets get: every waiter woken by `set`, a cancelled waiter gone."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import flet as ft
import pytest
from flet_web.fastapi import app_manager

from flet_chat import flet_compat, server
from flet_chat.flet_compat import install_lean_events, install_send_queue
from flet_chat.lean_waits import LeanEvent, OneReaderQueue, give_asyncio
from tests.unit.test_append_patch import OpenWebSocket, RecordingFletApp


async def test_frames_come_out_in_the_order_they_went_in() -> None:
    queue = OneReaderQueue()
    assert queue.empty()
    queue.put_nowait(b"1")
    await queue.put(b"2")
    assert queue.qsize() == 2
    assert not queue.empty()
    assert [await queue.get(), await queue.get()] == [b"1", b"2"]
    assert queue.qsize() == 0
    assert queue.empty()


async def test_a_waiting_reader_gets_the_next_frame() -> None:
    queue = OneReaderQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)  # the reader is waiting now
    assert not reader.done()
    queue.put_nowait(b"frame")
    assert await asyncio.wait_for(reader, 5) == b"frame"


async def test_a_cancelled_reader_leaves_the_frame_for_the_next() -> None:
    queue = OneReaderQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    queue.put_nowait(b"kept")
    assert await asyncio.wait_for(queue.get(), 5) == b"kept"


async def test_a_second_reader_while_one_waits_is_refused() -> None:
    queue = OneReaderQueue()
    first = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="second reader"):
        await queue.get()
    queue.put_nowait(b"for the first")
    assert await asyncio.wait_for(first, 5) == b"for the first"


async def test_a_long_backlog_drains_in_order_and_is_let_go() -> None:
    queue = OneReaderQueue()
    sent = [i.to_bytes(4, "big") for i in range(5000)]
    out: list[Any] = []
    for i, frame in enumerate(sent):
        queue.put_nowait(frame)
        if i % 3 == 0:  # a slow reader: the backlog grows past the cut
            out.append(await queue.get())
    assert len(queue._items) < 5000  # what was read was cut from the list
    while queue.qsize():
        out.append(await queue.get())
    assert out == sent
    assert queue._items == []


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
    assert isinstance(queues[0], OneReaderQueue)
    assert len(app.frames) >= 30
    assert socket.sent[: len(app.frames)] == app.frames


async def test_set_wakes_every_waiter_and_wait_returns_at_once_while_set() -> None:
    event = LeanEvent()
    assert isinstance(event, asyncio.Event)
    assert not event.is_set()
    waiters = [asyncio.create_task(event.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [True, True, True]
    assert await asyncio.wait_for(event.wait(), 5) is True  # still set
    event.clear()
    assert not event.is_set()
    assert event._waiters == []


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    event = LeanEvent()
    waiter = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert event._waiters == []
    other = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    event.set()
    assert await asyncio.wait_for(other, 5) is True


def test_a_module_sees_asyncio_with_the_names_replaced_and_the_rest_as_they_were() -> None:
    module = types.SimpleNamespace(asyncio=asyncio)
    give_asyncio(module, Queue=OneReaderQueue)
    give_asyncio(module, Event=LeanEvent)  # adds to the first
    give_asyncio(module, Event=LeanEvent)  # idempotent
    assert module.asyncio.Queue is OneReaderQueue
    assert module.asyncio.Event is LeanEvent
    assert module.asyncio.sleep is asyncio.sleep
    assert module.asyncio.CancelledError is asyncio.CancelledError
    assert asyncio.Event is not LeanEvent  # asyncio itself is untouched


def test_flets_sessions_pages_and_uvicorns_websockets_get_the_lean_ones() -> None:
    install_lean_events()
    server.install_lean_socket_waits()
    assert flet_compat.flet_session.asyncio.Event is LeanEvent
    assert flet_compat.flet_page.asyncio.Event is LeanEvent
    assert server.uvicorn_websockets.asyncio.Event is LeanEvent
    assert server.uvicorn_websockets.asyncio.Queue is OneReaderQueue
