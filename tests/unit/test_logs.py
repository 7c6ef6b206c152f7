"""What the server's log keeps of a websocket's handshake: the access line, not a second one."""

from __future__ import annotations

import logging

import pytest

from flet_chat.logs import configure_logging


def test_a_websocket_handshake_leaves_no_connection_open_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("INFO")
    configure_logging("INFO")  # idempotent: one filter
    server = logging.getLogger("uvicorn.error")
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO):
        access.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws?sid=secret")
        server.info("connection open")
        server.info("Application startup complete.")
        server.warning("connection open failed")
    assert [r.getMessage() for r in caplog.records] == [
        '127.0.0.1:5000 - "WebSocket /ws?…" [accepted]',
        "Application startup complete.",
        "connection open failed",
    ]
