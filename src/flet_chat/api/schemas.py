"""Every Socket.IO and webhook payload, as pydantic models: the API's documentation and its guard.

Client to server (Socket.IO events, each answered through the Socket.IO acknowledgement):
  `join` JoinRequest -> JoinAck | ErrorAck      enter a room under a name, a bot token or an
                                                identity token (from an earlier JoinAck)
  `send` SendRequest -> SendAck | ErrorAck      post a message; a retry with the same
                                                `client_id` is stored once
  `typing` TypingRequest -> TypingAck | ErrorAck   tell the room you are typing (throttled)
  `history` HistoryRequest -> HistoryAck | ErrorAck   messages before an id (or the newest)
  `chat_user_input` str (the seed console's event): no ack; answers come as `server_answer`
Server to client:
  `message` MessageEvent     every message stored in a room the client joined (its own too:
                             de-duplicate by `id`)
  `presence` PresenceEvent   a user came online or went offline
  `typing` TypingEvent       someone is typing (at most one per user per 2 s)
  `server_answer` str        to seed-console clients: the seed's answer, then the room's messages
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from flet_chat.core.limits import HISTORY_PAGE_SIZE, MAX_MESSAGE_LENGTH
from flet_chat.core.models import AuthorKind, Message, MessageKind

# Room names are validated by core/rooms.py; this only bounds what a client may send.
RoomName = Field(default=None, max_length=64)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JoinRequest(Request):
    room: str | None = RoomName
    name: str | None = Field(default=None, max_length=256)
    # A bot token from FLET_CHAT_BOT_TOKENS, or the identity token of an earlier JoinAck.
    token: str | None = Field(default=None, max_length=1024)


class SendRequest(Request):
    room: str | None = RoomName
    # Length and characters are checked by the ChatService, with the messages users see.
    text: str = Field(max_length=MAX_MESSAGE_LENGTH * 2)
    client_id: str = Field(min_length=1, max_length=64)


class TypingRequest(Request):
    room: str | None = RoomName


class TypingAck(BaseModel):
    ok: Literal[True] = True


class HistoryRequest(Request):
    room: str | None = RoomName
    before: int | None = Field(default=None, gt=0)
    limit: int = Field(default=HISTORY_PAGE_SIZE, ge=1, le=HISTORY_PAGE_SIZE)


class MessageEvent(BaseModel):
    type: Literal["message"] = "message"
    version: Literal[1] = 1
    room: str
    id: int
    kind: MessageKind
    author_kind: AuthorKind
    user_name: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, message: Message, room: str) -> MessageEvent:
        return cls(
            room=room,
            id=message.id,
            kind=message.kind,
            author_kind=message.author_kind,
            user_name=message.user_name,
            text=message.text,
            created_at=message.created_at,
        )


class PresenceEvent(BaseModel):
    type: Literal["presence"] = "presence"
    version: Literal[1] = 1
    room: str
    user_name: str
    online: bool


class TypingEvent(BaseModel):
    type: Literal["typing"] = "typing"
    version: Literal[1] = 1
    room: str
    user_name: str


ErrorCode = Literal[
    "invalid",
    "unknown_room",
    "not_joined",
    "name_taken",
    "unauthorized",
    "rate_limited",
    "unavailable",
]


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str


class ErrorAck(BaseModel):
    ok: Literal[False] = False
    error: ErrorBody


class JoinAck(BaseModel):
    ok: Literal[True] = True
    room: str
    user_name: str
    author_kind: AuthorKind
    # Signed: join with it later to be the same user (e.g. while an old connection lingers).
    token: str | None
    topic: str | None  # set with /topic
    messages: list[MessageEvent]
    has_older: bool


class SendAck(BaseModel):
    ok: Literal[True] = True
    # The stored message; None when the text was a command that posted nothing of the caller's.
    message: MessageEvent | None = None
    # A command's private answer (unknown command, /help): only this client gets it.
    hint: str | None = None


class HistoryAck(BaseModel):
    ok: Literal[True] = True
    room: str
    messages: list[MessageEvent]
    has_older: bool


class WebhookMessage(Request):
    """POST /api/rooms/{room}/messages body."""

    text: str = Field(max_length=MAX_MESSAGE_LENGTH * 2)
    # Shown as the author, with an APP badge.
    name: str = Field(default="Webhook", max_length=256)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)
