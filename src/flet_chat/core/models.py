"""Domain records. Timestamps are UTC-aware; ids come from the store."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from flet_chat.core.limits import DEFAULT_ROOM


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
class Attachment:
    """A file sent with a message. `id` is the server's (core/attachments.new_attachment_id),
    never a client's; `name` is cleaned (core/attachments.clean_file_name) and only ever shown
    or offered as a download name; `content_type` was sniffed from the content."""

    id: str
    name: str
    size: int
    content_type: str
    has_thumbnail: bool = False  # an image: shown as its thumbnail, inline at full size


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A validated message that has not been stored yet."""

    kind: MessageKind
    user_name: str
    text: str
    client_id: str | None = None  # a retry with the same id is stored once
    author_kind: AuthorKind = AuthorKind.USER
    room: str = DEFAULT_ROOM
    mentions: tuple[str, ...] = ()  # casefolded names after "@" (see core/mentions.py)
    attachments: tuple[Attachment, ...] = ()  # their blobs are stored before the message


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji on a message and who chose it, in the order they did."""

    emoji: str
    users: tuple[str, ...]


# A weak reference slot: the sessions of a process share one object per message revision
# (live/shared_messages.py).
@dataclass(frozen=True, slots=True, weakref_slot=True)
class Message:
    """A stored message: `id` increases with every message in the store (all rooms share one
    sequence). `revision` grows with every edit, delete or reaction, so a late event about an
    older state can be told apart and ignored."""

    id: int
    kind: MessageKind
    user_name: str
    text: str
    created_at: datetime
    author_kind: AuthorKind = AuthorKind.USER
    room: str = DEFAULT_ROOM
    revision: int = 0
    edited: bool = False
    deleted: bool = False  # the text is gone; the row shows a "message deleted" stub
    reactions: tuple[Reaction, ...] = field(default=())
    attachments: tuple[Attachment, ...] = field(default=())  # none once deleted
    # Deleted by a moderator (or an admin), not its author: the row reads "removed by a
    # moderator" (core/moderation.py).
    removed_by_moderator: bool = False


class RoomKind(enum.StrEnum):
    PUBLIC = "public"  # anyone may join; listed in the room directory
    DIRECT = "direct"  # two people; nobody else can read it or hear of it
    # Invite-only: not listed, not joinable; to anyone but its members it does not exist.
    PRIVATE = "private"


class RoomRole(enum.StrEnum):
    """A member's rank in a public or private room (a direct room has no roles). The creator
    is its owner; chat admins (accounts' Role.ADMIN) outrank every room role."""

    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Room:
    """`key` names the room everywhere (store, bus topics, API): a public or private room's
    name, or core.rooms.direct_key() of its two people. `members` is filled for direct rooms
    only. An `archived` room is read-only and hidden from everyone but its members;
    `slow_mode_seconds` > 0: one message per member per that many seconds."""

    key: str
    kind: RoomKind
    topic: str | None = None
    members: tuple[str, ...] = ()
    archived: bool = False
    slow_mode_seconds: int = 0


@dataclass(frozen=True, slots=True)
class Membership:
    """One user's standing in one room: their role and, while muted, until when."""

    room: str
    user_name: str
    role: RoomRole = RoomRole.MEMBER
    muted_until: datetime | None = None

    def muted_at(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now


@dataclass(frozen=True, slots=True)
class RoomState:
    """A room as one user's room list shows it (with that user's role and mute there)."""

    room: Room
    unread: int  # counted up to UNREAD_CAP
    mentioned: bool  # an unread message mentions this user
    role: RoomRole | None = None  # None in #general and direct rooms
    muted_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Messages in id order, oldest first; `has_older` says whether more exist before them
    (and `has_newer`, for a page read around a message, whether more exist after them)."""

    messages: list[Message]
    has_older: bool
    has_newer: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a store is asked to find: messages (chat, `/me` and topics; never join or leave
    notices, never deleted ones) holding every one of `terms` as a word, in one of `rooms`,
    with ids below `before` if given, newest first, at most `limit`. The core has decided which
    rooms the searcher may read; the store only filters by them."""

    terms: tuple[str, ...]
    rooms: tuple[str, ...]
    limit: int
    before: int | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of results, newest first; `terms` are the words looked for (for highlighting),
    `has_more` whether older results exist (ask again with `before` = the last one's id)."""

    terms: tuple[str, ...]
    messages: list[Message]
    has_more: bool
