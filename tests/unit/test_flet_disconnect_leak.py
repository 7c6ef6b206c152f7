"""Flet 1.0.5 leaks a session when the client vanishes while the server is sending.

The vanilla FletApp is run too, so this test notices the day Flet fixes the bug (and the
workaround can go) as well as the day the workaround stops working.
"""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import pytest
from fastapi import WebSocketDisconnect
from flet_web.fastapi import app_manager
from flet_web.fastapi.flet_app import FletApp
from starlette.datastructures import URL

from flet_chat.flet_compat import LeakSafeFletApp, flet_sessions
from flet_chat.testing.flet_client import REGISTER, encode


class VanishingWebSocket:
    """Registers a session, then disappears: the server's next send fails, then the read."""

    def __init__(self) -> None:
        self.client = type("Client", (), {"host": "10.1.2.3"})()
        self.headers = {"user-agent": "vanishing-test"}
        self.cookies: dict[str, str] = {}
        self.url = URL("ws://testserver/ws")
        self._send_failed = asyncio.Event()
        self._frames = [
            encode(
                REGISTER, {"session_id": None, "page_name": "", "page": {"route": "/", "web": True}}
            )
        ]

    async def accept(self) -> None:
        return None

    async def receive_bytes(self) -> bytes:
        if self._frames:
            return self._frames.pop(0)
        await self._send_failed.wait()
        raise WebSocketDisconnect(code=1006)

    async def send_bytes(self, _data: bytes) -> None:
        self._send_failed.set()
        raise ConnectionResetError("client went away mid-send")


async def main(page: ft.Page) -> None:
    page.add(ft.Text("hello"))


async def run_app(app_class: type[FletApp]) -> tuple[Any, BaseException | None]:
    before = {id(s) for s in flet_sessions()}
    app = app_class(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    error: BaseException | None = None
    try:
        await asyncio.wait_for(app.handle(VanishingWebSocket()), timeout=10)
    except Exception as exc:
        error = exc
    [session] = [s for s in flet_sessions() if id(s) not in before]
    return session, error


async def test_vanilla_flet_app_leaks_the_session() -> None:
    session, error = await run_app(FletApp)
    assert isinstance(error, ConnectionResetError)
    assert session.expires_at is None, "Flet fixed the leak: LeakSafeFletApp can be retired"
    assert session.connection is not None


async def test_leak_safe_app_marks_the_session_disconnected() -> None:
    session, error = await run_app(LeakSafeFletApp)
    assert error is None
    assert session.expires_at is not None  # it will expire and be closed like any other
    assert session.connection is None


@pytest.fixture(autouse=True)
async def forget_test_sessions() -> Any:
    before = {id(s) for s in flet_sessions()}
    yield
    sessions = app_manager._FletAppManager__sessions
    for key, session in list(sessions.items()):
        if id(session) not in before:
            await app_manager.delete_session(key)


async def test_sending_to_a_closing_connection_is_dropped_not_raised() -> None:
    app = LeakSafeFletApp(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    app.send_message(object())  # no send queue: as after the send loop has ended
