"""A frame for a Flet session written to its websocket at once, when none waits before it.

Flet hands each frame to its connection's send loop: a task woken per frame, which goes through
Starlette's WebSocket and uvicorn's ASGI `send` to the same two calls this module makes. A live
message in a room of 1,000 is a frame for each of 1,000 sessions, each a task switch and a
dozen coroutine frames (py-spy of room-1000's message phase: the send loop and the event loop's
own work about a quarter of the server's samples). When the send loop is idle (nothing queued,
nothing in flight) and uvicorn's protocol could take the frame now, `write_now` writes it from
the caller, in order: anything else (a frame queued, the socket's buffer full, the socket
closing, another server than uvicorn's websockets sans-I/O protocol) leaves it to the queue, as
before, and an error there is the send loop's to meet.

Written against uvicorn 0.54.0 (pinned), whose `WebSocketsSansIOProtocol.send` makes the same
two calls for a `websocket.send` of bytes once the handshake is done. On an open connection with
no extension (the server turns compression off), the frame's header is made here rather than by
websockets' `send_binary` (a Frame object, its checks and a BytesIO, per session per message:
1.1 us against 0.3), and queued where `send_binary` queues it, after anything the connection
had queued and not yet written; anything else goes through `send_binary` as before.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Side, State

logger = logging.getLogger(__name__)


def protocol_of(websocket: Any) -> WebSocketsSansIOProtocol | None:
    """The uvicorn protocol behind a Starlette WebSocket, if its ASGI `send` is that protocol's
    own (no middleware between them)."""
    send = getattr(websocket, "_send", None)
    protocol = getattr(send, "__self__", None)
    if type(protocol) is WebSocketsSansIOProtocol and send == protocol.send:
        return protocol
    return None


_FIN_BINARY = 0x82  # FIN bit and the binary opcode


def binary_frame_head(length: int) -> bytes:
    """The header of a server's (unmasked) final binary frame of `length` bytes (RFC 6455 5.2):
    websockets' `Frame(BINARY, data).serialize(mask=False)` without its data."""
    if length < 126:
        return struct.pack("!BB", _FIN_BINARY, length)
    if length < 65536:
        return struct.pack("!BBH", _FIN_BINARY, 126, length)
    return struct.pack("!BBQ", _FIN_BINARY, 127, length)


def write_now(protocol: WebSocketsSansIOProtocol, frame: bytes) -> bool:
    """Write `frame` to the socket now if uvicorn would without waiting; returns whether it
    did (if not, nothing was written)."""
    if (
        not protocol.handshake_complete
        or protocol.close_sent
        or protocol.disconnected
        or protocol.initial_response is not None
        or not protocol.writable.is_set()
    ):
        return False
    conn = protocol.conn
    if (
        conn.state is State.OPEN
        and conn.side is Side.SERVER
        and not conn.expect_continuation_frame
        and not conn.extensions
        and not conn.debug
    ):
        # What `send_binary` queues for it, without its Frame object and BytesIO: a server's
        # frame is unmasked, and no extension (compression is off) changes it. With websockets'
        # debug log on, its own path logs each frame.
        conn.writes.append(binary_frame_head(len(frame)) + frame)
    else:
        try:
            conn.send_binary(frame)
        except Exception:  # the connection is closing: the send loop meets it, as before
            return False
    try:
        protocol.transport.write(b"".join(conn.data_to_send()))
    except Exception as error:  # the frame has left the connection: it is not sent again
        logger.info("a frame could not be written to a closing socket: %r", error)
    return True
