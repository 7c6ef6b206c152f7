"""Only uvicorn's own websocket protocol is written to straight, with the frames websockets
would write, after what its connection had queued (socket_writes.py; frames through a real
server: tests/integration/test_socket_writes.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from websockets.extensions.base import Extension
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from flet_chat import socket_writes
from tests.unit.test_append_patch import OpenWebSocket


def test_only_uvicorns_own_protocol_is_written_to() -> None:
    assert socket_writes.protocol_of(OpenWebSocket()) is None
    assert socket_writes.protocol_of(object()) is None


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_frames_head_is_the_one_websockets_writes(length: int) -> None:
    data = bytes(range(256)) * (length // 256) + bytes(length % 256)
    expected = Frame(Opcode.BINARY, data).serialize(mask=False, extensions=[])
    assert socket_writes.binary_frame_head(length) + data == expected


class _Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


def _protocol(conn: ServerProtocol) -> Any:
    """What `write_now` reads of uvicorn's protocol, around a websockets connection."""
    ready = asyncio.Event()
    ready.set()
    return SimpleNamespace(
        handshake_complete=True,
        close_sent=False,
        disconnected=False,
        initial_response=None,
        writable=ready,
        conn=conn,
        transport=_Transport(),
    )


def test_frames_are_written_in_order_after_what_the_connection_had_queued() -> None:
    conn = ServerProtocol()
    conn.state = State.OPEN
    conn.send_ping(b"p")  # queued by the connection, not yet written
    protocol = _protocol(conn)
    assert socket_writes.write_now(protocol, b"first")
    assert socket_writes.write_now(protocol, b"second" * 30)
    ping = Frame(Opcode.PING, b"p").serialize(mask=False, extensions=[])
    frames = [
        Frame(Opcode.BINARY, d).serialize(mask=False, extensions=[])
        for d in (b"first", b"second" * 30)
    ]
    assert protocol.transport.written == [ping + frames[0], frames[1]]


def test_a_connection_with_an_extension_or_not_open_frames_it_itself() -> None:
    class Marker(Extension):
        name = "x-marker"

        def encode(self, frame: Frame) -> Frame:
            return dataclasses.replace(frame, rsv1=True)

        def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
            return frame

    conn = ServerProtocol()
    conn.state = State.OPEN
    conn.extensions = [Marker()]
    protocol = _protocol(conn)
    assert socket_writes.write_now(protocol, b"data")
    marked = Frame(Opcode.BINARY, b"data").serialize(mask=False, extensions=[Marker()])
    assert marked[0] & 0b01000000  # the extension's mark is on it
    assert protocol.transport.written == [marked]
    conn.state = State.CLOSING
    assert not socket_writes.write_now(protocol, b"late")  # left to the send loop
    assert protocol.transport.written == [marked]


@pytest.mark.parametrize("state", [State.CLOSING, State.CLOSED])
def test_a_connection_not_open_is_left_to_the_send_loop(state: State) -> None:
    conn = ServerProtocol()
    conn.state = state
    protocol = _protocol(conn)
    assert not socket_writes.write_now(protocol, b"late")
    assert protocol.transport.written == []
    assert conn.data_to_send() == []  # nothing queued behind a close either


def test_a_fragmented_message_in_progress_is_left_to_the_send_loop() -> None:
    conn = ServerProtocol()
    conn.state = State.OPEN
    conn.expect_continuation_frame = True
    protocol = _protocol(conn)
    assert not socket_writes.write_now(protocol, b"data")
    assert protocol.transport.written == []
