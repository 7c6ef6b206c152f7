"""Flet's websocket goes straight to its endpoint; everything else goes through the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import WebSocket

from flet_chat.flet_compat import LeakSafeFletApp
from flet_chat.server import FLET_SOCKET_PATH, create_app, flet_socket_first
from flet_chat.settings import Settings


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


async def test_the_app_hands_flets_websocket_over_inside_the_trusted_proxy_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `create_app`: Flet's websocket reaches the Flet app, with the address a trusted
    proxy forwarded (the shortcut sits inside `TrustedProxyHeaders`), and with the origin
    check still in front of it."""
    seen: list[tuple[str, str]] = []

    async def handle(app: LeakSafeFletApp, websocket: WebSocket) -> None:
        assert websocket.client is not None
        seen.append((websocket.url.path, websocket.client.host))

    monkeypatch.setattr(LeakSafeFletApp, "handle", handle)
    app = create_app(Settings(data_dir=tmp_path, forwarded_allow_ips="127.0.0.1"))
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    def scope(origin: bytes) -> dict[str, Any]:
        headers = [(b"host", b"chat.example"), (b"origin", origin)]
        return {
            "type": "websocket", "path": FLET_SOCKET_PATH, "raw_path": b"/ws", "root_path": "",
            "scheme": "ws", "server": ("127.0.0.1", 8550), "client": ("127.0.0.1", 50000),
            "query_string": b"", "headers": [*headers, (b"x-forwarded-for", b"198.51.100.9")],
            "subprotocols": [],
        }  # fmt: skip

    async def connect() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    await app(scope(b"http://chat.example"), connect, send)
    assert seen == [(FLET_SOCKET_PATH, "198.51.100.9")]
    await app(scope(b"https://evil.example"), connect, send)
    assert seen == [(FLET_SOCKET_PATH, "198.51.100.9")]  # refused before the Flet app
    assert sent[-1] == {"type": "websocket.close", "code": 1008, "reason": ""}
