"""A python-socketio AsyncClient that records the events it receives and can wait for one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import socketio

from tests.support.server import ServerProcess


class RecordingClient:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = {}
        self.token: str | None = None
        self._changed = asyncio.Condition()
        for name in (
            "message",
            "message_changed",
            "membership",
            "room_created",
            "presence",
            "typing",
            "server_answer",
            "signed_out",
            "moderation",
            "room_changed",
        ):
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], Any]:
        async def record(data: Any) -> None:
            self.events.setdefault(name, []).append(data)
            async with self._changed:
                self._changed.notify_all()

        return record

    def received(self, name: str) -> list[Any]:
        return self.events.get(name, [])

    def texts(self) -> list[str]:
        return [m["text"] for m in self.received("message")]

    async def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 10, what: str = ""
    ) -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out waiting for {what or predicate}")
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=10)

    async def join(self, name: str, **extra: Any) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call("join", {"name": name, **extra})
        self.token = ack.get("token")  # what a client keeps to be this user again
        return ack

    async def sign_up(self, name: str, password: str) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call("sign_up", {"name": name, "password": password})
        return ack

    async def sign_in(self, name: str, password: str) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call("sign_in", {"name": name, "password": password})
        return ack

    async def join_with(self, token: str, **extra: Any) -> dict[str, Any]:
        """Join as the account (or bot) a token proves."""
        ack: dict[str, Any] = await self.call("join", {"token": token, **extra})
        self.token = ack.get("token")
        return ack

    async def send(
        self, text: str, client_id: str | None = None, *, room: str | None = None
    ) -> dict[str, Any]:
        request = {"text": text, "client_id": client_id or f"c-{time.monotonic_ns()}"}
        ack: dict[str, Any] = await self.call(
            "send", request if room is None else {**request, "room": room}
        )
        return ack


@asynccontextmanager
async def sio_client(
    server: ServerProcess, *, headers: Mapping[str, str] | None = None
) -> AsyncIterator[RecordingClient]:
    client = RecordingClient()
    await client.sio.connect(server.base_url, headers=dict(headers or {}), wait_timeout=10)
    try:
        yield client
    finally:
        if client.sio.connected:
            await client.sio.disconnect()
