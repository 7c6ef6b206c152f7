"""A TCP proxy a test can cut: every open connection drops and new ones are refused, as when the
server behind it restarts, and `restore()` lets connections through again on the same port.
`hold_replies()` keeps what the server sends (a slow network) until `release_replies()`."""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.server import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._replies_flowing = asyncio.Event()
        self._replies_flowing.set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    def hold_replies(self) -> None:
        self._replies_flowing.clear()

    def release_replies(self) -> None:
        self._replies_flowing.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer),
            self._pipe(up_reader, writer, gate=self._replies_flowing),
            return_exceptions=True,
        )
        self._writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        gate: asyncio.Event | None = None,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if gate is not None:
                    await gate.wait()
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()
