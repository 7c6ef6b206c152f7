"""Only uvicorn's own websocket protocol is written to straight (socket_writes.py; the frames
themselves: tests/integration/test_socket_writes.py)."""

from __future__ import annotations

from flet_chat import socket_writes
from tests.unit.test_append_patch import OpenWebSocket


def test_only_uvicorns_own_protocol_is_written_to() -> None:
    assert socket_writes.protocol_of(OpenWebSocket()) is None
    assert socket_writes.protocol_of(object()) is None
