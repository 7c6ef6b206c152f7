"""The desktop relay between an app speaking Flet 1.0.5's socket framing and a client speaking
0.82.2's (bare MessagePack), as processes on real sockets. The client here is a small script
that speaks 0.82.2's side; tests/e2e/test_desktop_window.py runs the real one."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest

from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

# Connects to the socket it is given, sends two messages back to back in one write, then writes
# what it receives to a file until the relay closes the socket (or a signal ends it).
CLIENT = """
import socket, sys, msgpack
relay_socket, received = sys.argv[1], sys.argv[2]
with socket.socket(socket.AF_UNIX) as s:
    s.connect(relay_socket)
    s.sendall(msgpack.packb([1, {"page": {"route": "/"}}]) + msgpack.packb([3, {"data": b"x"}]))
    with open(received, "wb") as out:
        while chunk := s.recv(65536):
            out.write(chunk)
            out.flush()
"""


def frame(kind: int, payload: bytes) -> bytes:
    return (len(payload) + 1).to_bytes(4, "little") + bytes([kind]) + payload


class App:
    """The app's end: a unix socket server speaking 1.0.5's framing."""

    def __init__(self) -> None:
        self.connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self.connected.put((reader, writer))


@pytest.fixture
async def app_socket(tmp_path: Path) -> AsyncIterator[tuple[App, str]]:
    app = App()
    path = str(tmp_path / "app.sock")
    server = await asyncio.start_unix_server(app.on_connection, path)
    yield app, path
    server.close()


async def start_relay(tmp_path: Path, app_path: str) -> asyncio.subprocess.Process:
    client = tmp_path / "client"
    client.write_text(f"#!{sys.executable}\n{CLIENT}")
    client.chmod(0o755)
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "flet_chat.testing.desktop_relay"),
        *("--client", str(client), app_path, str(tmp_path / "received")),
    )


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, object]:
    length = int.from_bytes(await reader.readexactly(4), "little")
    packet = await reader.readexactly(length)
    return packet[0], msgpack.unpackb(packet[1:])


async def test_messages_cross_in_each_sides_framing_and_app_close_ends_the_relay(
    tmp_path: Path, app_socket: tuple[App, str]
) -> None:
    app, path = app_socket
    relay = await start_relay(tmp_path, path)
    async with asyncio.timeout(20):
        reader, writer = await app.connected.get()
        # The client's two back-to-back messages arrive as two frames of type 0x00.
        assert await read_frame(reader) == (0x00, [1, {"page": {"route": "/"}}])
        assert await read_frame(reader) == (0x00, [3, {"data": b"x"}])
        first, second = msgpack.packb([2, {"id": 1}]), msgpack.packb([5, {"name": "focus"}])
        # A data-channel frame (0x01) in between is not for a 0.82.2 client: dropped.
        writer.write(frame(0x00, first) + frame(0x01, b"\x07\x00\x00\x00bytes") + frame(0, second))
        await writer.drain()
        received = tmp_path / "received"
        await wait_until(
            lambda: received.exists() and received.read_bytes() == first + second, timeout=10
        )
        writer.close()  # the app goes away: the relay stops the client and exits
        assert await relay.wait() in (0, 128 + signal.SIGTERM)


async def test_sigterm_reaches_the_client_and_ends_the_relay(
    tmp_path: Path, app_socket: tuple[App, str]
) -> None:
    app, path = app_socket
    relay = await start_relay(tmp_path, path)
    async with asyncio.timeout(20):
        reader, _writer = await app.connected.get()
        await read_frame(reader)  # the client is up and talking
        relay.send_signal(signal.SIGTERM)
        # The client ended by the signal passed on; the relay exits with its status and closes
        # its connection to the app.
        assert await relay.wait() == 128 + signal.SIGTERM
        await read_frame(reader)
        assert await reader.read() == b""


def _labelled_row(kind: str) -> list[object]:
    """A patch adding one row, wrapped in a control of type `kind`, whose texts say "Semantics"."""
    row = {
        "_c": kind,
        "_i": 5,
        "label": "Semantics",
        "container": True,
        "content": {"_c": "Text", "_i": 6, "value": "Semantics", "bytes": b"\x00Semantics"},
    }
    return [2, {"id": 30, "patch": [[0, {"controls": [1]}], [1, 1, 2, row]]}]


async def test_a_semantics_control_reaches_the_client_as_one_it_draws_with_its_content(
    tmp_path: Path, app_socket: tuple[App, str]
) -> None:
    # 0.82.2 draws a Semantics without its content; a MergeSemantics with it. Only the control
    # types change: props, texts and bytes that say "Semantics" arrive as sent.
    app, path = app_socket
    relay = await start_relay(tmp_path, path)
    async with asyncio.timeout(20):
        reader, writer = await app.connected.get()
        await read_frame(reader)
        plain = msgpack.packb([2, {"id": 1, "patch": [[0], [0, 0, "value", "Semantics"]]}])
        labelled = msgpack.packb(_labelled_row("Semantics"))
        writer.write(frame(0x00, plain) + frame(0x00, labelled))
        await writer.drain()
        received = tmp_path / "received"
        expected = [msgpack.unpackb(plain), _labelled_row("MergeSemantics")]

        def arrived() -> bool:
            if not received.exists():
                return False
            unpacker = msgpack.Unpacker()
            unpacker.feed(received.read_bytes())
            return list(unpacker) == expected

        await wait_until(arrived, timeout=10)
        writer.close()
        assert await relay.wait() in (0, 128 + signal.SIGTERM)
