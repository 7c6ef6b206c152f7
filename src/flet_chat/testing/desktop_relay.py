"""Lets Flet's 0.82.2 Linux desktop client (the newest on PyPI) talk to a Flet 1.0.5 app.

flet_desktop starts `$FLET_VIEW_PATH/flet <socket> <pid file> [assets dir]`. Installed there (see
`scripts/install-desktop-client`), this relay starts the real client on a socket of its own and
connects it to the app's socket. The messages are the same in both versions; only the framing
differs: 1.0.5 puts a 4-byte little-endian length and a type byte (0x00 MessagePack, 0x01 data
channel) before each message, 0.82.2 sends bare MessagePack back to back. The relay adds the
header towards the app, strips it towards the client and drops data-channel frames, which 0.82.2
does not know. It exits when either side closes, and passes SIGTERM on to the client.

One control differs: 0.82.2's Semantics never builds its `content` (fixed in Flet 0.84), so
every row the chat labels for screen readers would be drawn empty. Towards the client the relay
sends each Semantics as a MergeSemantics, which 0.82.2 draws with its content. This window loses
the labels written for screen readers (each row's texts are merged into one node instead).

Usage: python -m flet_chat.testing.desktop_relay --client /path/to/flet/flet -- SOCKET PID [...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import msgpack

MESSAGE, DATA_CHANNEL = 0x00, 0x01
_SEMANTICS = b"Semantics"
# A file to append every message to, one JSON line each: ["<" or ">", [action, body]] (">" is
# client to app). Tests read it to know what the window has told the app; it helps debugging.
_TRACE = os.environ.get("FLET_RELAY_TRACE")


def _trace(direction: str, message: object) -> None:
    if _TRACE:
        with open(_TRACE, "a", encoding="utf-8") as trace:
            trace.write(json.dumps([direction, message], default=repr) + "\n")


async def _client_to_app(client: asyncio.StreamReader, app: asyncio.StreamWriter) -> None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    while chunk := await client.read(65536):
        unpacker.feed(chunk)
        for message in unpacker:
            _trace(">", message)
            # Re-packed as read: str stays str, bin stays bin, ext types stay ext types.
            body = bytes([MESSAGE]) + bytes(msgpack.packb(message, use_bin_type=True))
            app.write(len(body).to_bytes(4, "little") + body)
        await app.drain()


async def _app_to_client(app: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
    while True:
        try:
            length = int.from_bytes(await app.readexactly(4), "little")
            packet = await app.readexactly(length)
        except asyncio.IncompleteReadError:
            return
        if packet[:1] == bytes([MESSAGE]):  # DATA_CHANNEL frames are dropped
            body = packet[1:]
            if _TRACE:
                _trace("<", msgpack.unpackb(body, strict_map_key=False))
            if _SEMANTICS in body:
                body = _for_old_client(body)
            client.write(body)
            await client.drain()


def _for_old_client(body: bytes) -> bytes:
    """`body` (one MessagePack message) with each Semantics control made a MergeSemantics."""
    message = msgpack.unpackb(body, raw=False, strict_map_key=False)
    return bytes(msgpack.packb(_merge_semantics(message), use_bin_type=True))


def _merge_semantics(value: object) -> object:
    if isinstance(value, dict):
        renamed = {key: _merge_semantics(item) for key, item in value.items()}
        if renamed.get("_c") == "Semantics":
            renamed["_c"] = "MergeSemantics"
        return renamed
    if isinstance(value, list):
        return [_merge_semantics(item) for item in value]
    return value


async def _open_app(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if address.startswith("tcp://"):
        host, _, port = address.removeprefix("tcp://").rpartition(":")
        return await asyncio.open_connection(host, int(port))
    return await asyncio.open_unix_connection(address)


async def relay(client_executable: str, app_address: str, client_args: list[str]) -> int:
    """Runs the client until it or the app closes; the client's exit code (143 on SIGTERM)."""
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put((reader, writer))

    with tempfile.TemporaryDirectory(prefix="flet-relay-") as directory:
        own_socket = str(Path(directory) / "socket")
        server = await asyncio.start_unix_server(on_client, own_socket)
        process = await asyncio.create_subprocess_exec(client_executable, own_socket, *client_args)
        loop = asyncio.get_running_loop()
        terminated = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, terminated.set)
        loop.add_signal_handler(signal.SIGINT, terminated.set)
        exited = asyncio.create_task(process.wait())
        stop = asyncio.create_task(terminated.wait())
        session = asyncio.create_task(_serve_one(connected, app_address))
        await asyncio.wait({exited, stop, session}, return_when=asyncio.FIRST_COMPLETED)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        server.close()
        for task in (stop, session):
            task.cancel()
        await asyncio.gather(stop, session, return_exceptions=True)
        return await exited


async def _serve_one(
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]], app_address: str
) -> None:
    """Pumps the first client connection to the app until either end closes."""
    client_reader, client_writer = await connected.get()
    app_reader, app_writer = await _open_app(app_address)
    pumps = [
        asyncio.create_task(_client_to_app(client_reader, app_writer)),
        asyncio.create_task(_app_to_client(app_reader, client_writer)),
    ]
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for writer in (client_writer, app_writer):
            writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flet (relay)", description=__doc__.splitlines()[0])
    parser.add_argument("--client", required=True, help="the 0.82.2 client's `flet` executable")
    parser.add_argument("app_address", help="the app's socket: a path, or tcp://host:port")
    parser.add_argument("client_args", nargs="*", help="passed on to the client (pid file, ...)")
    args = parser.parse_args(argv)
    if not os.access(args.client, os.X_OK):
        parser.error(f"not an executable: {args.client}")
    status = asyncio.run(relay(args.client, args.app_address, args.client_args))
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
