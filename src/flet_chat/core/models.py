"""Domain records. Timestamps are UTC-aware; ids come from the store."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class MessageKind(enum.StrEnum):
    CHAT = "chat"
    JOIN = "join"
    LEAVE = "leave"
    ACTION = "action"  # `/me waves`: shown as "* Alice waves"
    TOPIC = "topic"  # `/topic ...`: a notice that the room's topic changed


class AuthorKind(enum.StrEnum):
    """Who wrote a message, so a bot's or an integration's words never pass for a person's."""

    USER = "user"
    BOT = "bot"
    INTEGRATION = "integration"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A validated message that has not been stored yet."""

    kind: MessageKind
    user_name: str
    text: str
    client_id: str | None = None  # a retry with the same id is stored once
    author_kind: AuthorKind = AuthorKind.USER


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message: `id` increases with every message in the store."""

    id: int
    kind: MessageKind
    user_name: str
    text: str
    created_at: datetime
    author_kind: AuthorKind = AuthorKind.USER


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Messages in id order, oldest first; `has_older` says whether more exist before them."""

    messages: list[Message]
    has_older: bool
