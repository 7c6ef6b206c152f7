"""Flet's websocket goes straight to its endpoint; everything else goes through the app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import WebSocket

from flet_chat.server import FLET_SOCKET_PATH, flet_socket_first


async def nothing() -> dict[str, Any]:
    return {"type": "websocket.disconnect"}


async def dropped(_message: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("kind", "path", "to_endpoint"),
    [
        ("websocket", FLET_SOCKET_PATH, True),
        ("websocket", "/socket.io/", False),
        ("websocket", FLET_SOCKET_PATH + "/x", False),
        ("http", FLET_SOCKET_PATH, False),
        ("lifespan", "", False),
    ],
)
async def test_only_flets_websocket_skips_the_app(kind: str, path: str, to_endpoint: bool) -> None:
    reached: list[tuple[str, Any]] = []

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        reached.append(("app", scope.get("path")))

    async def endpoint(websocket: WebSocket) -> None:
        reached.append(("endpoint", websocket.url.path))

    scope: dict[str, Any] = {"type": kind, "path": path, "headers": [], "query_string": b""}
    if kind == "lifespan":
        del scope["path"]
    else:
        scope |= {"scheme": "ws" if kind == "websocket" else "http", "server": ("h", 80)}
    await flet_socket_first(app, endpoint)(scope, nothing, dropped)
    expected = ("endpoint", path) if to_endpoint else ("app", scope.get("path"))
    assert reached == [expected]
