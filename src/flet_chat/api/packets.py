"""Socket.IO and Engine.IO packets a client got wrong: refused with a warning, never a traceback.

python-socketio decodes packets inside Engine.IO's message handler, which logs anything raised
there as an ERROR with its traceback: a client sending `42not json` would write one per packet.
`CheckedPacket` turns every decoding failure into `MalformedPacket`, and refuses an event whose
name is not a string (python-socketio would fail on it later, in a task nobody awaits).
`CheckedServer` closes the client that sent it, with a warning. `refuse_bad_frames` does the
same for the websocket frames Engine.IO itself fails on (empty, or of an unknown type).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import socketio
from socketio import packet as sio_packet

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATH = "/socket.io"
_ENGINEIO_TYPES = frozenset("0123456")
_EVENTS = (sio_packet.EVENT, sio_packet.BINARY_EVENT)
# What decoding untrusted text can raise: bad JSON, bad digits, too deep, placeholders that
# point at no attachment.
_DECODING_ERRORS = (ValueError, TypeError, IndexError, KeyError, RecursionError)


class MalformedPacket(ValueError):
    """A packet no Socket.IO client sends: the client's mistake, not the server's failure."""


class CheckedPacket(sio_packet.Packet):  # type: ignore[misc]
    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = int(super().decode(encoded_packet))
        except _DECODING_ERRORS as error:
            raise MalformedPacket(f"undecodable packet ({type(error).__name__})") from None
        if self.packet_type in _EVENTS and not _is_event(self.data):
            raise MalformedPacket("an event without a name")
        return attachments

    def add_attachment(self, attachment: Any) -> bool:
        try:
            done = bool(super().add_attachment(attachment))
        except _DECODING_ERRORS as error:
            raise MalformedPacket(f"bad binary attachment ({type(error).__name__})") from None
        if done and self.packet_type == sio_packet.BINARY_EVENT and not _is_event(self.data):
            raise MalformedPacket("an event without a name")
        return done


def _is_event(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and isinstance(data[0], str)


class CheckedServer(socketio.AsyncServer):  # type: ignore[misc]
    """An AsyncServer that closes a client sending a malformed packet, logging a warning."""

    def __init__(self, **options: Any) -> None:
        super().__init__(serializer=CheckedPacket, **options)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            if not data and eio_sid not in self._binary_packet:
                # (python-socketio would read an empty message as an event with no data.)
                raise MalformedPacket("an empty packet")
            await super()._handle_eio_message(eio_sid, data)
        except ValueError as error:
            # Decoding errors (MalformedPacket) and python-socketio's own refusals of packets
            # a client may not send (an unknown type, a stray attachment) are ValueErrors;
            # event handlers run in their own tasks and never raise here.
            logger.warning("closing a Socket.IO client that sent a bad packet: %s", error)
            self._binary_packet.pop(eio_sid, None)
            # In its own task: a polling POST waits for this handler, and closing waits for it.
            self.start_background_task(self.eio.disconnect, eio_sid)


def _is_frame(message: Message) -> bool:
    """Engine.IO's websocket frames: binary data, or text starting with a packet type 0-6."""
    text = message.get("text")
    if text is None:
        return message.get("bytes") is not None  # an attachment, possibly empty
    return bool(text) and text[0] in _ENGINEIO_TYPES


def _is_payload(body: bytes) -> bool:
    """A polling POST body: text packets, separated by \\x1e, each starting with its type."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text or text.startswith("d="):  # nothing, or JSONP: Engine.IO's own checks
        return True
    return all(_is_packet(p) for p in text.split("\x1e"))


def _is_packet(text: str) -> bool:
    if text[:1] == "b":  # binary data, base64-encoded
        try:
            base64.b64decode(text[1:], validate=True)
        except binascii.Error:
            return False
        return True
    return text[:1] in _ENGINEIO_TYPES


def refuse_bad_frames(app: AsgiApp, max_bytes: int) -> AsgiApp:
    """Engine.IO cannot parse an empty websocket message (it raises out of the ASGI app) or an
    unknown packet type (it logs a traceback): such a frame closes the connection, and such a
    polling POST is answered 400, here instead, with a warning."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if not str(scope.get("path", "")).startswith(PATH):
            await app(scope, receive, send)
        elif scope["type"] == "websocket":
            await app(scope, _checked_frames(receive), send)
        elif scope["type"] == "http" and scope.get("method") == "POST":
            await _checked_post(app, scope, receive, send, max_bytes)
        else:
            await app(scope, receive, send)

    return checked


def _checked_frames(receive: Receive) -> Receive:
    async def receive_checked() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive" and not _is_frame(message):
            logger.warning("closing a Socket.IO websocket that sent a bad frame")
            return {"type": "websocket.disconnect", "code": 1003}
        return message

    return receive_checked


async def _checked_post(
    app: AsgiApp, scope: Scope, receive: Receive, send: Send, max_bytes: int
) -> None:
    # Read the body (Engine.IO reads all of it anyway), then hand it on as it came.
    read: list[Message] = []
    size, more = 0, True
    while more and size <= max_bytes:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = bool(message.get("more_body"))
    if not more and size <= max_bytes:
        body = b"".join(m.get("body", b"") for m in read if m["type"] == "http.request")
        if not _is_payload(body):
            logger.warning("refused a Socket.IO polling request with a bad packet")
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"Bad packet"})
            return

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    await app(scope, replay, send)
